//! [`Sbom`] ⇄ `cyclonedx_bom::models::bom::Bom` (feature `cyclonedx-bom`), through CycloneDX 1.5
//! JSON, the newest version `cyclonedx-bom` 0.8 models. See [the module above](super) for what
//! carries over.
//!
//! ```
//! use boltseal_sbom::interop::cyclonedx_bom::{from_bom, to_bom};
//! use boltseal_sbom::{Package, Sbom};
//!
//! let mut sbom = Sbom::new("demo");
//! let mut p = Package::new("pkg-a", "a");
//! p.version = Some("1.0.0".into());
//! p.purl = Some("pkg:npm/a@1.0.0".into());
//! sbom.packages.push(p);
//! let (bom, report) = to_bom(&sbom)?;
//! // CycloneDX has no document name: the report says so.
//! assert!(report.to_string().contains("no CycloneDX field for the document name"));
//! let back = from_bom(bom)?;
//! assert_eq!(back.packages[0].purl.as_deref(), Some("pkg:npm/a@1.0.0"));
//! # Ok::<(), boltseal_sbom::interop::InteropError>(())
//! ```

use cyclonedx_bom::models::bom::Bom;
use serde_json::Value;

use super::{InteropError, note_dropped};
use crate::{CycloneDxVersion, Format, Report, Sbom, WriteOptions};

const PEER: &str = "cyclonedx-bom";

/// The `Bom` of `sbom`, and what `cyclonedx-bom` (or CycloneDX 1.5) cannot hold.
///
/// # Errors
///
/// [`InteropError::Peer`] when `cyclonedx-bom` refuses the document (for example a value its
/// model validates on parse).
pub fn to_bom(sbom: &Sbom) -> Result<(Bom, Report), InteropError> {
    to_bom_with(sbom, &WriteOptions::new())
}

/// As [`to_bom`], with the options of the CycloneDX writer.
///
/// # Errors
///
/// As [`to_bom`].
pub fn to_bom_with(sbom: &Sbom, opts: &WriteOptions) -> Result<(Bom, Report), InteropError> {
    let written = crate::write(sbom, Format::CycloneDx(CycloneDxVersion::V1_5), opts)?;
    let mut report = written.report;
    let input: Value =
        serde_json::from_slice(&written.bytes).map_err(|source| crate::Error::Json {
            format: "CycloneDX JSON",
            source,
        })?;
    let bom = Bom::parse_json_value(input.clone()).map_err(|e| InteropError::peer(PEER, e))?;
    let output = bom_json(bom.clone())?;
    note_dropped(&input, &output, &mut String::new(), PEER, &mut report);
    Ok((bom, report))
}

/// The [`Sbom`] of a `Bom`. Nothing the `Bom` holds is lost (fields the model has no place for
/// are kept in its extensions).
///
/// # Errors
///
/// [`InteropError::Peer`] when `cyclonedx-bom` cannot write the `Bom` as CycloneDX 1.5.
pub fn from_bom(bom: Bom) -> Result<Sbom, InteropError> {
    let json = bom_json(bom)?;
    let bytes = serde_json::to_vec(&json).map_err(|source| crate::Error::Json {
        format: "CycloneDX JSON",
        source,
    })?;
    Ok(crate::cyclonedx::read(&bytes)?)
}

fn bom_json(bom: Bom) -> Result<Value, InteropError> {
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| InteropError::peer(PEER, e))?;
    serde_json::from_slice(&out).map_err(|e| InteropError::peer(PEER, e))
}
