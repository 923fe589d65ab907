//! Predicate type URIs and cosign's `attest --type` names for them.
//!
//! ```
//! use boltseal_envelope::predicate::{self, predicate_type_for};
//!
//! assert_eq!(predicate_type_for("spdxjson")?, predicate::SPDX);
//! assert_eq!(predicate_type_for("slsaprovenance1")?, predicate::SLSA_PROVENANCE_V1);
//! assert_eq!(predicate_type_for("https://example.com/my-predicate/v1")?, "https://example.com/my-predicate/v1");
//! assert!(predicate_type_for("not a type").is_err());
//! # Ok::<(), boltseal_envelope::predicate::Error>(())
//! ```

/// cosign's image-signing predicate: the statement inside a v3 signature bundle.
pub const COSIGN_SIGN_V1: &str = "https://sigstore.dev/cosign/sign/v1";
/// cosign's `custom` predicate (`{"Data": …, "Timestamp": …}`), the default of `cosign attest`.
pub const COSIGN_CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";
/// cosign's vulnerability-scan predicate.
pub const COSIGN_VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA provenance v0.2.
pub const SLSA_PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// An SPDX document (JSON object for `spdxjson`, a JSON string for `spdx`).
pub const SPDX: &str = "https://spdx.dev/Document";
/// A CycloneDX BOM.
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// An in-toto link.
pub const LINK_V1: &str = "https://in-toto.io/Link/v1";
/// An OpenVEX document.
pub const OPENVEX: &str = "https://openvex.dev/ns";

/// cosign's `--type` names and the predicate types they stand for.
pub const COSIGN_TYPES: [(&str, &str); 10] = [
    ("custom", COSIGN_CUSTOM),
    ("slsaprovenance", SLSA_PROVENANCE_V0_2),
    ("slsaprovenance02", SLSA_PROVENANCE_V0_2),
    ("slsaprovenance1", SLSA_PROVENANCE_V1),
    ("spdx", SPDX),
    ("spdxjson", SPDX),
    ("cyclonedx", CYCLONEDX),
    ("link", LINK_V1),
    ("vuln", COSIGN_VULN),
    ("openvex", OPENVEX),
];

/// Why a `--type` argument names no predicate type.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Neither one of cosign's names nor an absolute URI.
    #[error(
        "predicate type {input:?} is neither one of custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex nor an absolute URI"
    )]
    Unknown {
        /// The argument as given.
        input: String,
    },
}

/// The predicate type for a cosign `--type` argument: one of [`COSIGN_TYPES`], or an absolute URI
/// (`scheme:rest`, no whitespace or control characters) used as given.
///
/// # Errors
/// [`Error::Unknown`] for anything else.
pub fn predicate_type_for(type_arg: &str) -> Result<String, Error> {
    if let Some((_, uri)) = COSIGN_TYPES.iter().find(|(name, _)| *name == type_arg) {
        return Ok((*uri).to_owned());
    }
    if is_absolute_uri(type_arg) {
        return Ok(type_arg.to_owned());
    }
    Err(Error::Unknown {
        input: type_arg.to_owned(),
    })
}

/// The cosign `--type` name of a predicate type, if it has one (`spdxjson` for SPDX,
/// `slsaprovenance02` for SLSA v0.2).
#[must_use]
pub fn cosign_type_name(predicate_type: &str) -> Option<&'static str> {
    match predicate_type {
        SPDX => Some("spdxjson"),
        SLSA_PROVENANCE_V0_2 => Some("slsaprovenance02"),
        _ => COSIGN_TYPES
            .iter()
            .find(|(_, uri)| *uri == predicate_type)
            .map(|(name, _)| *name),
    }
}

/// `scheme ":" rest` with an RFC 3986 scheme and a non-empty rest free of whitespace and control
/// characters (what Go's `url.ParseRequestURI` accepts for an absolute URI, roughly).
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cosign_name_maps_and_back() {
        for (name, uri) in COSIGN_TYPES {
            assert_eq!(predicate_type_for(name).as_deref(), Ok(uri));
            let back = cosign_type_name(uri).unwrap_or_default();
            assert_eq!(predicate_type_for(back).as_deref(), Ok(uri));
        }
    }

    #[test]
    fn uris_pass_through_and_junk_is_refused() {
        for ok in ["https://example.com/p", "urn:example:p", "x+y.z-w:1"] {
            assert_eq!(predicate_type_for(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "spdx-json",
            "1http://x",
            "https://a b",
            "https:",
            ":x",
            "SPDXJSON",
        ] {
            assert!(predicate_type_for(bad).is_err(), "{bad}");
        }
    }
}
