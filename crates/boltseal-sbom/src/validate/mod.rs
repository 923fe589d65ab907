//! Validation of SPDX 2.2/2.3 and CycloneDX 1.4–1.7 JSON documents (for 1.7, its additions to
//! 1.6: citations, external components with version ranges, mixed license choices,
//! distribution constraints; patent assertions are checked for their JSON type only).
//!
//! Two layers, both reported as [`Finding`]s:
//!
//! * **Schema rules**, compiled into Rust from the official JSON schemas' structure (the
//!   schemas themselves are not embedded): required properties, property types, closed objects
//!   (`additionalProperties: false`), enumerations per spec version, patterns (serial number,
//!   hash content, BOM links, MIME types, locales), `oneOf` choices (license choice, tools,
//!   lifecycles, annotators, JSF algorithms), `uniqueItems`, numeric bounds, and the
//!   `date-time`, `uri`, `iri-reference` and `idn-email` formats asserted. CycloneDX areas with
//!   deep structures of their own — `formulation`, `declarations`, `definitions`, `modelCard`,
//!   component `data`, `cryptoProperties`, evidence call stacks, vulnerability
//!   `proofOfConcept` — are checked for their JSON type only.
//! * **Semantic rules** the schemas cannot express: unique SPDX ids and `bom-ref`s, SPDX id
//!   syntax, relationships and dependencies that point at existing elements, at least one
//!   `DESCRIBES`, `filesAnalyzed` consistent with files, package verification code and
//!   `licenseInfoFromFiles`, a document namespace, valid package URLs, valid SPDX license
//!   expressions with every `LicenseRef-` defined, checksum lengths, CPE 2.3 syntax.
//!
//! Findings name the element concerned: a JSON pointer for schema rules, the SPDX id or
//! `bom-ref` for semantic rules.
//!
//! The schema rules are data: each schema definition is a static `Shape` (required properties,
//! the properties allowed from which version, the rule each value follows) in the tables of
//! `validate/cyclonedx.rs`, `validate/cyclonedx_services.rs` and `validate/spdx.rs`, and one
//! interpreter (`validate/schema.rs`) checks a document against them.

mod cyclonedx;
mod cyclonedx_services;
mod formats;
mod schema;
mod semantic;
mod spdx;

use std::fmt;

use serde_json::Value;

use crate::error::Error;
use crate::model::{CycloneDxVersion, Format, SpdxVersion};
use schema::Walker;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The document breaks a rule of its format: it is invalid.
    Error,
    /// Allowed but questionable (for example a deprecated spelling).
    Warning,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The element concerned: a JSON pointer (`/components/3/hashes/0/content`) or an element
    /// id (`SPDXRef-Package-x`, a `bom-ref`).
    pub element: String,
    /// What is wrong.
    pub message: String,
    /// For schema rules, the JSON pointer of the offending node (the property itself for a
    /// property that is not allowed).
    node: String,
}

impl Finding {
    /// The JSON pointer of the node a schema rule rejected (empty for semantic rules).
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let element = if self.element.is_empty() {
            "/"
        } else {
            &self.element
        };
        write!(f, "{sev}: {element}: {}", self.message)
    }
}

/// The outcome of [`validate`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Validation {
    /// The format the document claims.
    pub format: Format,
    /// Findings in document order (schema rules first, then semantic rules).
    pub findings: Vec<Finding>,
}

impl Validation {
    /// Whether there is no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }
}

/// Validates an SPDX or CycloneDX JSON document.
///
/// ```
/// let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
///   "metadata":{"timestamp":"2020-04-13"},
///   "components":[{"type":"library","name":"a","bom-ref":"a","purl":"pkg:npm/a@1"},
///                 {"type":"library","name":"b","bom-ref":"a"}]}"#;
/// let v = boltseal_sbom::validate(doc)?;
/// assert!(!v.is_valid());
/// let lines: Vec<String> = v.findings.iter().map(|f| f.to_string()).collect();
/// assert!(lines.iter().any(|l| l.contains("/metadata/timestamp")));
/// assert!(lines.iter().any(|l| l.contains("bom-ref") && l.contains("not unique")));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] when the input is not JSON, [`Error::UnknownFormat`] when it is neither SPDX
/// nor CycloneDX, [`Error::UnsupportedVersion`] for versions this crate does not validate.
pub fn validate(bytes: &[u8]) -> Result<Validation, Error> {
    let text = crate::decode_text(bytes)?;
    let value: Value = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "JSON",
        source,
    })?;
    validate_value(&value)
}

/// Validates a parsed JSON document; see [`validate`].
///
/// # Errors
///
/// As [`validate`], except for JSON syntax.
pub fn validate_value(value: &Value) -> Result<Validation, Error> {
    let obj = value.as_object();
    let get = |k: &str| obj.and_then(|o| o.get(k));
    if let Some(v) = get("spdxVersion") {
        let version = match v.as_str() {
            Some("SPDX-2.3") => SpdxVersion::V2_3,
            Some("SPDX-2.2") => SpdxVersion::V2_2,
            _ => {
                return Err(Error::UnsupportedVersion {
                    format: "SPDX",
                    version: v.to_string(),
                    supported: "SPDX-2.2 and SPDX-2.3",
                });
            }
        };
        let mut w = Walker::new(());
        spdx::document(&mut w, value);
        semantic::spdx(&mut w, value);
        return Ok(Validation {
            format: Format::Spdx(version),
            findings: w.out,
        });
    }
    if get("bomFormat").is_some() || get("specVersion").is_some() {
        let spec = get("specVersion").and_then(Value::as_str).unwrap_or("");
        let version =
            CycloneDxVersion::from_spec(spec).ok_or_else(|| Error::UnsupportedVersion {
                format: "CycloneDX",
                version: get("specVersion").map_or("(missing)".to_owned(), Value::to_string),
                supported: "1.4 to 1.7",
            })?;
        let mut w = Walker::new(version);
        cyclonedx::bom(&mut w, value);
        semantic::cyclonedx(&mut w, value);
        return Ok(Validation {
            format: Format::CycloneDx(version),
            findings: w.out,
        });
    }
    Err(Error::UnknownFormat {
        reason: "neither spdxVersion nor bomFormat/specVersion is present".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::formats::*;

    #[test]
    fn formats() {
        assert!(is_date_time("2020-04-13T20:20:39+00:00"));
        assert!(is_date_time("2024-02-29T23:59:60.123Z"));
        assert!(!is_date_time("2020-04-13"));
        assert!(!is_date_time("2023-02-29T00:00:00Z"));
        assert!(is_iri_reference("uri/to/changes.diff"));
        assert!(is_iri_reference("https://例え.jp/パス"));
        assert!(!is_iri_reference("has space"));
        assert!(is_uri("https://example.com/x"));
        assert!(!is_uri("ES256"));
        assert!(is_bom_link(
            "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#x",
            true
        ));
        assert!(is_cpe23("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"));
        assert!(!is_cpe23("cpe:2.3:a:busybox"));
    }
}
