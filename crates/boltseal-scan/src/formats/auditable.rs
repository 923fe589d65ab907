//! Dependency lists embedded by `cargo auditable`: a `.dep-v0` section (ELF, PE, or the
//! `__DATA` segment of Mach-O) holding zlib-compressed JSON
//! `{"packages":[{"name","version","source","kind","dependencies":[indices],"root"}]}`.
//!
//! Decompression stops at [`MAX_DECOMPRESSED`]; dependency indices are checked against the
//! package list.
//!
//! ```
//! use boltseal_scan::formats::auditable::parse_json;
//!
//! let pkgs = parse_json(br#"{"packages":[
//!     {"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
//!     {"name":"serde","version":"1.0.0","source":"crates.io","kind":"runtime"}]}"#).unwrap();
//! assert!(pkgs[0].root && pkgs[0].dependencies == [1]);
//! assert_eq!(pkgs[1].source, "crates.io");
//! assert!(pkgs[1].is_runtime());
//! ```

use std::io::Read;

use serde::Deserialize;

use super::object::Object;

/// Largest decompressed JSON accepted.
pub const MAX_DECOMPRESSED: u64 = 16 << 20;
/// Most packages accepted in one list.
pub const MAX_PACKAGES: usize = 100_000;

/// Errors reading `cargo auditable` data; each message is one line naming what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditableError {
    /// The section is not valid zlib data.
    #[error(".dep-v0 section is not valid zlib data: {0}")]
    Zlib(#[source] std::io::Error),
    /// The decompressed data is larger than [`MAX_DECOMPRESSED`].
    #[error(".dep-v0 section decompresses to more than {MAX_DECOMPRESSED} bytes")]
    TooLarge,
    /// The JSON does not have the expected shape.
    #[error(".dep-v0 JSON is malformed: {0}")]
    Json(#[source] serde_json::Error),
    /// More than [`MAX_PACKAGES`] packages.
    #[error(".dep-v0 lists more than {MAX_PACKAGES} packages")]
    TooManyPackages,
    /// A dependency index points outside the package list.
    #[error(
        ".dep-v0 package {package} depends on index {index}, but there are only {len} packages"
    )]
    BadIndex {
        /// Index of the package with the bad edge.
        package: usize,
        /// The out-of-range dependency index.
        index: usize,
        /// Number of packages.
        len: usize,
    },
}

/// One crate of the dependency list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AuditablePackage {
    /// Crate name.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// Where it came from: `crates.io`, `git`, `local`, `registry`, or another string.
    pub source: String,
    /// `runtime` (the default when absent) or `build` (build scripts and proc macros only).
    #[serde(default = "runtime")]
    pub kind: String,
    /// Indices into the package list of this crate's dependencies.
    #[serde(default)]
    pub dependencies: Vec<usize>,
    /// Whether this is the root crate of the binary.
    #[serde(default)]
    pub root: bool,
}

fn runtime() -> String {
    "runtime".to_owned()
}

impl AuditablePackage {
    /// Whether the crate is linked into the binary (syft keeps only these).
    #[must_use]
    pub fn is_runtime(&self) -> bool {
        self.kind == "runtime"
    }
}

#[derive(Deserialize)]
struct Document {
    packages: Vec<AuditablePackage>,
}

/// Reads the `cargo auditable` dependency list of an executable.
///
/// Returns `Ok(None)` when `bytes` is not an ELF, PE or Mach-O file or has no `.dep-v0`
/// section.
///
/// # Errors
///
/// An [`AuditableError`] when the section is present but cannot be decoded.
pub fn read_auditable(bytes: &[u8]) -> Result<Option<Vec<AuditablePackage>>, AuditableError> {
    let Some(obj) = Object::parse(bytes) else {
        return Ok(None);
    };
    match obj.section(b".dep-v0") {
        Some(s) => parse_dep_v0(s.data).map(Some),
        None => Ok(None),
    }
}

/// Decodes the contents of a `.dep-v0` section (zlib-compressed JSON).
///
/// # Errors
///
/// [`AuditableError::Zlib`], [`AuditableError::TooLarge`], and those of [`parse_json`].
pub fn parse_dep_v0(section: &[u8]) -> Result<Vec<AuditablePackage>, AuditableError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut json)
        .map_err(AuditableError::Zlib)?;
    if json.len() as u64 > MAX_DECOMPRESSED {
        return Err(AuditableError::TooLarge);
    }
    parse_json(&json)
}

/// Parses the JSON dependency list and checks its dependency indices.
///
/// # Errors
///
/// [`AuditableError::Json`] for malformed JSON, [`AuditableError::TooManyPackages`] and
/// [`AuditableError::BadIndex`].
pub fn parse_json(json: &[u8]) -> Result<Vec<AuditablePackage>, AuditableError> {
    let doc: Document = serde_json::from_slice(json).map_err(AuditableError::Json)?;
    let len = doc.packages.len();
    if len > MAX_PACKAGES {
        return Err(AuditableError::TooManyPackages);
    }
    for (package, p) in doc.packages.iter().enumerate() {
        if let Some(&index) = p.dependencies.iter().find(|&&d| d >= len) {
            return Err(AuditableError::BadIndex {
                package,
                index,
                len,
            });
        }
    }
    Ok(doc.packages)
}

/// A bound is [`boltseal_core::ErrorKind::LimitExceeded`]; the rest is invalid input.
impl boltseal_core::Classify for AuditableError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            AuditableError::TooLarge | AuditableError::TooManyPackages => {
                boltseal_core::ErrorKind::LimitExceeded
            }
            _ => boltseal_core::ErrorKind::InvalidInput,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let p =
            parse_json(br#"{"packages":[{"name":"a","version":"1","source":"local"}]}"#).unwrap();
        assert!(p[0].is_runtime() && !p[0].root && p[0].dependencies.is_empty());
        assert!(matches!(
            parse_json(
                br#"{"packages":[{"name":"a","version":"1","source":"local","dependencies":[1]}]}"#
            ),
            Err(AuditableError::BadIndex {
                package: 0,
                index: 1,
                len: 1
            })
        ));
        assert!(matches!(parse_json(b"[]"), Err(AuditableError::Json(_))));
        assert!(matches!(
            parse_dep_v0(b"not zlib"),
            Err(AuditableError::Zlib(_))
        ));
    }
}
