//! Conversions between [`Sbom`](crate::Sbom) and the document types of the ecosystem's SBOM
//! crates, for programs that already use one of them and adopt boltseal-sbom piece by piece.
//!
//! | feature | module | peer type | format spoken between them |
//! | --- | --- | --- | --- |
//! | `cyclonedx-bom` | [`cyclonedx_bom`] | `cyclonedx_bom::models::bom::Bom` (0.8) | CycloneDX 1.5 JSON |
//! | `spdx-rs` | [`spdx_rs`] | `spdx_rs::models::SPDX` (0.5) | SPDX 2.3 JSON |
//!
//! Each conversion goes through the JSON both sides read and write, so it carries exactly what
//! the two models share: packages (components), purls, versions, licenses, hashes (checksums),
//! external references, relationships (dependencies, nesting, `DESCRIBES`), creators and tools,
//! creation time, document name and namespace or serial number.
//!
//! What cannot carry over is reported, never silently lost: towards the peer, every field the
//! peer's model has no place for is a [`Note`](crate::Note) naming its JSON pointer (kept
//! unknown fields, CycloneDX 1.6 fields such as `manufacturer` or `omniborId`, which
//! `cyclonedx-bom` 0.8 cannot represent, SPDX fields `spdx-rs` does not model); facts of the
//! other family are first mapped as [`convert`](crate::convert) documents. From the peer,
//! nothing is lost: every field the peer writes is read into the model or kept in
//! [`Extensions`](crate::Extensions). `cyclonedx-bom` may normalize what it reads (for example
//! dropping a `bom-ref` it finds invalid); those normalizations are the peer's.

#[cfg(feature = "cyclonedx-bom")]
pub mod cyclonedx_bom;
#[cfg(feature = "spdx-rs")]
pub mod spdx_rs;

use serde_json::Value;

use crate::Report;

/// An error converting to or from a peer crate's document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InteropError {
    /// Writing or reading the boltseal side failed.
    #[error(transparent)]
    Sbom(#[from] crate::Error),
    /// The peer could not read the document boltseal wrote, or could not write its own.
    #[error("{peer}: {message}")]
    Peer {
        /// `cyclonedx-bom` or `spdx-rs`.
        peer: &'static str,
        /// The peer's error.
        message: String,
        /// The peer's error value.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl InteropError {
    fn peer(peer: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        InteropError::Peer {
            peer,
            message: source.to_string(),
            source: Box::new(source),
        }
    }
}

impl boltseal_core::Classify for InteropError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            InteropError::Sbom(e) => boltseal_core::Classify::kind(e),
            InteropError::Peer { .. } => boltseal_core::ErrorKind::InvalidInput,
        }
    }
}

/// Notes every field of `input` that is missing from `output` (what the peer dropped), by JSON
/// pointer. Empty values are not facts and are not noted.
fn note_dropped(input: &Value, output: &Value, path: &mut String, peer: &str, report: &mut Report) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match b.get(k) {
                    Some(y) => note_dropped(x, y, path, peer, report),
                    // `$schema` names the schema; it is not a fact of the document.
                    None if is_empty(x) || k == "$schema" => {}
                    None => report.note(
                        path.clone(),
                        format!("{peer} has no field for this; dropped"),
                    ),
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                note_dropped(x, y, path, peer, report);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}
