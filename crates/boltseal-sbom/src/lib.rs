#![doc = include_str!("../README.md")]

pub mod convert;
pub mod cyclonedx;
mod error;
#[cfg(any(feature = "cyclonedx-bom", feature = "spdx-rs"))]
pub mod interop;
pub mod license;
pub mod model;
pub mod purl;
pub mod spdx;
pub mod validate;
mod wire;

use std::borrow::Cow;

pub use error::{Error, ErrorKind, Note, Report, WriteOptions, Written};
pub use license::{LicenseError, LicenseExpression};
pub use model::{
    Actor, ActorKind, Checksum, CycloneDxVersion, DocumentInfo, Extensions, ExternalRef,
    ExtractedLicense, File, Format, FormatFamily, FormatParseError, HashAlgorithm, License,
    LicenseKind, LicenseValue, Package, Property, Purpose, Relationship, RelationshipType, Sbom,
    SpdxVersion,
};
pub use purl::{Purl, PurlBuilder, PurlError};
pub use validate::{Finding, Severity, Validation, validate};

/// UTF-8 as is (a byte-order mark removed); UTF-16 (with a byte-order mark, or detected from
/// zero bytes) converted to UTF-8.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(Cow::Borrowed(rest));
    }
    let (le, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        [a, 0, ..] if *a != 0 => (true, bytes),
        [0, b, ..] if *b != 0 => (false, bytes),
        _ => return Ok(Cow::Borrowed(bytes)),
    };
    if body.len() % 2 != 0 {
        return Err(Error::Encoding);
    }
    let units = body.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .collect::<Result<_, _>>()
        .map_err(|_| Error::Encoding)?;
    Ok(Cow::Owned(text.into_bytes()))
}

/// Which format a document is in, from its top-level keys (`spdxVersion`, `bomFormat`), without
/// parsing the rest.
///
/// ```
/// use boltseal_sbom::{detect, CycloneDxVersion, Format, SpdxVersion};
///
/// assert_eq!(detect(br#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#)?, Format::CycloneDx(CycloneDxVersion::V1_5));
/// assert_eq!(detect(br#"{"SPDXID":"SPDXRef-DOCUMENT","spdxVersion":"SPDX-2.2"}"#)?, Format::Spdx(SpdxVersion::V2_2));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] for input that is not a JSON object, [`Error::UnknownFormat`] when neither
/// marker is present, [`Error::UnsupportedVersion`] for other versions.
pub fn detect(bytes: &[u8]) -> Result<Format, Error> {
    let text = decode_text(bytes)?;
    let probe: Probe<'_> = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "JSON",
        source,
    })?;
    if let Some(v) = probe.spdx_version {
        return match v.as_ref() {
            "SPDX-2.3" => Ok(Format::Spdx(SpdxVersion::V2_3)),
            "SPDX-2.2" => Ok(Format::Spdx(SpdxVersion::V2_2)),
            other => Err(Error::UnsupportedVersion {
                format: "SPDX",
                version: other.to_owned(),
                supported: "SPDX-2.2 and SPDX-2.3",
            }),
        };
    }
    if probe.bom_format.as_deref() == Some("CycloneDX") {
        let spec = probe.spec_version.as_deref().unwrap_or("(missing)");
        return CycloneDxVersion::from_spec(spec)
            .map(Format::CycloneDx)
            .ok_or_else(|| Error::UnsupportedVersion {
                format: "CycloneDX",
                version: spec.to_owned(),
                supported: "1.4 to 1.7",
            });
    }
    Err(Error::UnknownFormat {
        reason: match probe.bom_format {
            Some(f) => format!("bomFormat is {f:?}"),
            None => "neither spdxVersion nor bomFormat is present".to_owned(),
        },
    })
}

#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[serde(rename = "spdxVersion", borrow, default)]
    spdx_version: Option<Cow<'a, str>>,
    #[serde(rename = "bomFormat", borrow, default)]
    bom_format: Option<Cow<'a, str>>,
    #[serde(rename = "specVersion", borrow, default)]
    spec_version: Option<Cow<'a, str>>,
}

/// Reads an SPDX or CycloneDX JSON document (detected with [`detect`]).
///
/// # Errors
///
/// See [`detect`], [`spdx::read`] and [`cyclonedx::read`].
pub fn read(bytes: &[u8]) -> Result<Sbom, Error> {
    match detect(bytes)? {
        Format::Spdx(_) => spdx::read(bytes),
        Format::CycloneDx(_) => cyclonedx::read(bytes),
    }
}

/// Writes `sbom` as `format`, mapping it onto that format first when it came from the other
/// family (see [`convert::write_as`]).
///
/// # Errors
///
/// What the writers return.
pub fn write(sbom: &Sbom, format: Format, opts: &WriteOptions) -> Result<Written, Error> {
    convert::write_as(sbom, format, opts)
}

/// Writes `document` and a newline to `path`, atomically replacing the file, or to standard
/// output when `path` is `None` (the `--file OUT` of the `sbom` and `sbom-convert` tools).
///
/// # Errors
///
/// The file or standard output cannot be written.
pub fn write_output(path: Option<&std::path::Path>, document: &[u8]) -> std::io::Result<()> {
    use boltseal_core::fs::{AtomicWrite, write_atomic};
    let bytes = [document, b"\n"].concat();
    match path {
        Some(path) => {
            write_atomic(path, &bytes, AtomicWrite::replace()).map_err(std::io::Error::other)
        }
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes),
    }
}

/// Reads a document from `path`, or from standard input when `path` is `-`.
///
/// # Errors
///
/// The file or standard input cannot be read.
pub fn read_input(path: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match path {
        "-" => std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map(|_| bytes),
        path => std::fs::read(path),
    }
}

#[cfg(test)]
mod io_tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn output_files_end_with_a_newline_and_inputs_read_back() {
        let dir = std::env::temp_dir().join(format!("boltseal-sbom-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.json");
        super::write_output(Some(&path), b"{}").unwrap();
        super::write_output(Some(&path), b"{\"a\":1}").unwrap();
        let path_str = path.to_str().unwrap();
        assert_eq!(super::read_input(path_str).unwrap(), b"{\"a\":1}\n");
        assert!(super::read_input(dir.join("missing").to_str().unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
