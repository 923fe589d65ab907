//! [`Sbom`] ⇄ `spdx_rs::models::SPDX` (feature `spdx-rs`), through SPDX 2.3 JSON. See [the
//! module above](super) for what carries over.
//!
//! ```
//! use boltseal_sbom::interop::spdx_rs::{from_spdx, to_spdx};
//! use boltseal_sbom::{Package, Sbom};
//!
//! let mut sbom = Sbom::new("demo");
//! let mut p = Package::new("SPDXRef-Package-a", "a");
//! p.version = Some("1.0.0".into());
//! p.purl = Some("pkg:npm/a@1.0.0".into());
//! sbom.packages.push(p);
//! let (spdx, report) = to_spdx(&sbom)?;
//! assert_eq!(spdx.package_information[0].package_name, "a");
//! assert!(report.is_empty());
//! let back = from_spdx(&spdx)?;
//! assert_eq!(back.packages[0].purl.as_deref(), Some("pkg:npm/a@1.0.0"));
//! # Ok::<(), boltseal_sbom::interop::InteropError>(())
//! ```

use serde_json::Value;
use spdx_rs::models::SPDX;

use super::{InteropError, note_dropped};
use crate::{Format, Report, Sbom, SpdxVersion, WriteOptions};

const PEER: &str = "spdx-rs";

/// The `SPDX` document of `sbom`, and what `spdx-rs` cannot hold.
///
/// # Errors
///
/// [`InteropError::Peer`] when `spdx-rs` refuses the document for a reason other than a field
/// it does not know (those are dropped and reported).
pub fn to_spdx(sbom: &Sbom) -> Result<(SPDX, Report), InteropError> {
    to_spdx_with(sbom, &WriteOptions::new())
}

/// As [`to_spdx`], with the options of the SPDX writer (creation time and namespace fallbacks).
///
/// # Errors
///
/// As [`to_spdx`].
pub fn to_spdx_with(sbom: &Sbom, opts: &WriteOptions) -> Result<(SPDX, Report), InteropError> {
    let written = crate::write(sbom, Format::Spdx(SpdxVersion::V2_3), opts)?;
    let mut report = written.report;
    let input: Value =
        serde_json::from_slice(&written.bytes).map_err(|source| crate::Error::Json {
            format: "SPDX JSON",
            source,
        })?;
    // The document and its packages refuse unknown fields: leave those out, one at a time.
    let mut fitted = input.clone();
    if let Some(packages) = fitted.get_mut("packages").and_then(Value::as_array_mut) {
        for p in packages {
            fit::<spdx_rs::models::PackageInformation>(p)?;
        }
    }
    fit::<SPDX>(&mut fitted)?;
    let spdx: SPDX = serde_json::from_value(fitted).map_err(|e| InteropError::peer(PEER, e))?;
    let output = serde_json::to_value(&spdx).map_err(|e| InteropError::peer(PEER, e))?;
    note_dropped(&input, &output, &mut String::new(), PEER, &mut report);
    Ok((spdx, report))
}

/// The [`Sbom`] of an `SPDX` document. Nothing the document holds is lost.
///
/// # Errors
///
/// [`InteropError::Peer`] when `spdx-rs` cannot serialize the document.
pub fn from_spdx(spdx: &SPDX) -> Result<Sbom, InteropError> {
    let bytes = serde_json::to_vec(spdx).map_err(|e| InteropError::peer(PEER, e))?;
    Ok(crate::spdx::read(&bytes)?)
}

/// Removes the fields `T` reports as unknown from the object `value` until `T` reads it.
fn fit<T: serde::de::DeserializeOwned>(value: &mut Value) -> Result<(), InteropError> {
    loop {
        let Err(e) = serde_json::from_value::<T>(value.clone()) else {
            return Ok(());
        };
        let message = e.to_string();
        let field = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(field, _)| field.to_owned());
        let removed = field.is_some_and(|f| {
            value
                .as_object_mut()
                .is_some_and(|m| m.remove(&f).is_some())
        });
        if !removed {
            return Err(InteropError::peer(PEER, e));
        }
    }
}
