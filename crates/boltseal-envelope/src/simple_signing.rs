//! cosign's "simple signing" payload: the bytes a legacy `.sig` layer carries and signs.
//!
//! ```text
//! {"critical":{"identity":{"docker-reference":"…"},"image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},"optional":null}
//! ```
//!
//! [`SimpleSigning::to_bytes`] writes exactly what cosign's Go `json.Marshal` writes for the same
//! values (field order, no whitespace, Go's string escaping, sorted `optional` keys), so a
//! signature over boltseal's payload and one over cosign's are over identical bytes.
//!
//! [`SimpleSigning::parse`] reads what cosign, containers/image (skopeo, podman) and sigstore-rs
//! write. It does not depend on key order or whitespace and ignores unknown fields, but it insists
//! on what a verifier relies on: `critical.type` is exactly [`COSIGN_SIGNATURE_TYPE`], the manifest
//! digest is a valid [`Digest`], `optional` is `null`, absent or an object, and no known field
//! appears twice. Verify a signature over the bytes you received, never over a re-serialization.
//!
//! ```
//! use boltseal_envelope::simple_signing::SimpleSigning;
//! use boltseal_reference::Digest;
//!
//! let digest = Digest::sha256_of(b"manifest");
//! let payload = SimpleSigning::new("registry.example/app:v1", digest).with_annotation("env", "prod");
//! let bytes = payload.to_bytes();
//! assert!(bytes.starts_with(br#"{"critical":{"identity":{"docker-reference":"registry.example/app:v1"}"#));
//! assert!(bytes.ends_with(br#""optional":{"env":"prod"}}"#));
//! assert_eq!(SimpleSigning::parse(&bytes)?, payload);
//! # Ok::<(), boltseal_envelope::simple_signing::Error>(())
//! ```

use boltseal_reference::{Digest, DigestError, Reference, ReferenceError};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::gojson;

/// The `critical.type` of every cosign image signature payload.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// Why bytes are not a simple-signing payload.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not JSON, or a known field has the wrong JSON type, is missing, or appears twice.
    #[error("simple-signing payload is not valid: {source}")]
    Json {
        /// The decoder's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// `critical.type` is not [`COSIGN_SIGNATURE_TYPE`].
    #[error("simple-signing payload has type {found:?}, expected {COSIGN_SIGNATURE_TYPE:?}")]
    WrongType {
        /// The type found.
        found: String,
    },
    /// `critical.image.docker-manifest-digest` is not a valid digest.
    #[error("simple-signing payload has an invalid docker-manifest-digest {found:?}")]
    Digest {
        /// The digest as written.
        found: String,
        /// Why it is invalid.
        #[source]
        source: DigestError,
    },
    /// `critical.identity.docker-reference` is not an image reference (only from
    /// [`SimpleSigning::reference`]).
    #[error("simple-signing payload has an invalid docker-reference {found:?}")]
    Reference {
        /// The reference as written.
        found: String,
        /// Why it is invalid.
        #[source]
        source: ReferenceError,
    },
}

/// A simple-signing payload: which manifest digest is signed, under which name.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleSigning {
    /// `critical.identity.docker-reference`: cosign writes the repository only
    /// (`index.docker.io/library/alpine`), containers/image the full reference with its tag.
    /// boltseal writes the tagged reference so that both tools' default checks accept it.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`: the digest of the signed manifest.
    pub manifest_digest: Digest,
    /// `optional`: `None` is written as `null`; cosign's `-a key=value` annotations are string
    /// values, containers/image adds `creator` (string) and `timestamp` (integer).
    pub optional: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Wire {
    critical: Critical,
    #[serde(default)]
    optional: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    manifest_digest: String,
}

impl SimpleSigning {
    /// A payload for `manifest_digest` under `docker_reference`, with `optional: null`.
    #[must_use]
    pub fn new(docker_reference: impl Into<String>, manifest_digest: Digest) -> Self {
        SimpleSigning {
            docker_reference: docker_reference.into(),
            manifest_digest,
            optional: None,
        }
    }

    /// Replaces the `optional` section (`None` writes `null`).
    #[must_use]
    pub fn with_optional(mut self, optional: Option<Map<String, Value>>) -> Self {
        self.optional = optional;
        self
    }

    /// Adds one string annotation to `optional` (cosign's `-a key=value`).
    #[must_use]
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.optional
            .get_or_insert_with(Map::new)
            .insert(key.into(), Value::String(value.into()));
        self
    }

    /// The string annotation `key` of `optional`, if present and a string.
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.optional.as_ref()?.get(key)?.as_str()
    }

    /// `docker-reference` parsed as an image reference.
    ///
    /// # Errors
    /// [`Error::Reference`] when it is not a valid reference.
    pub fn reference(&self) -> Result<Reference, Error> {
        Reference::parse(&self.docker_reference).map_err(|source| Error::Reference {
            found: self.docker_reference.clone(),
            source,
        })
    }

    /// The payload bytes exactly as cosign writes them for these values.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(br#"{"critical":{"identity":{"docker-reference":"#);
        gojson::write_string(&mut out, &self.docker_reference);
        out.extend_from_slice(br#"},"image":{"docker-manifest-digest":"#);
        gojson::write_string(&mut out, self.manifest_digest.as_str());
        out.extend_from_slice(br#"},"type":"#);
        gojson::write_string(&mut out, COSIGN_SIGNATURE_TYPE);
        out.extend_from_slice(br#"},"optional":"#);
        match &self.optional {
            None => out.extend_from_slice(b"null"),
            Some(map) => gojson::write_object(&mut out, map),
        }
        out.push(b'}');
        out
    }

    /// Parses a payload written by cosign, containers/image or sigstore-rs.
    ///
    /// # Errors
    /// [`Error::Json`] for malformed JSON or a missing, mistyped or duplicated field,
    /// [`Error::WrongType`] when `critical.type` is not [`COSIGN_SIGNATURE_TYPE`],
    /// [`Error::Digest`] when the manifest digest is invalid.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let wire: Wire = serde_json::from_slice(bytes).map_err(|source| Error::Json { source })?;
        if wire.critical.kind != COSIGN_SIGNATURE_TYPE {
            return Err(Error::WrongType {
                found: wire.critical.kind,
            });
        }
        let found = wire.critical.image.manifest_digest;
        let manifest_digest =
            Digest::parse(&found).map_err(|source| Error::Digest { found, source })?;
        Ok(SimpleSigning {
            docker_reference: wire.critical.identity.docker_reference,
            manifest_digest,
            optional: wire.optional,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:247ea4c63ff7b7feb545ec5895b368e5737235c6542c1cfa7b5b6800587e2149";

    fn digest() -> Digest {
        Digest::parse(DIGEST).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn writes_cosign_bytes_with_null_optional() {
        let p = SimpleSigning::new("index.docker.io/library/alpine", digest());
        let want = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"index.docker.io/library/alpine"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        assert_eq!(String::from_utf8_lossy(&p.to_bytes()), want);
    }

    #[test]
    fn escapes_like_go() {
        let p = SimpleSigning::new("a", digest()).with_annotation("x<y", "&\u{2028}");
        let bytes = p.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.ends_with(r#""optional":{"x\u003cy":"\u0026\u2028"}}"#),
            "{text}"
        );
        assert_eq!(SimpleSigning::parse(&bytes).ok(), Some(p));
    }

    #[test]
    fn type_is_checked_exactly() {
        let bytes = SimpleSigning::new("a", digest()).to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        for other in [
            "Cosign container image signature",
            "atomic container signature",
            "",
        ] {
            let changed = text.replace(COSIGN_SIGNATURE_TYPE, other);
            assert!(
                matches!(
                    SimpleSigning::parse(changed.as_bytes()),
                    Err(Error::WrongType { .. })
                ),
                "{other}"
            );
        }
    }

    #[test]
    fn permissive_layout_strict_fields() {
        let loose = format!(
            r#" {{ "optional": {{"creator": "x", "timestamp": 5}}, "extra": 1, "critical": {{"type": "{COSIGN_SIGNATURE_TYPE}", "image": {{"docker-manifest-digest": "{DIGEST}"}}, "identity": {{"docker-reference": "r"}}, "more": []}} }}"#
        );
        let p = SimpleSigning::parse(loose.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.annotation("creator"), Some("x"));
        let missing_optional = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"r"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"{COSIGN_SIGNATURE_TYPE}"}}}}"#
        );
        assert_eq!(
            SimpleSigning::parse(missing_optional.as_bytes())
                .ok()
                .map(|p| p.optional),
            Some(None)
        );
        for bad in [
            format!(
                "{}{}",
                &missing_optional[..missing_optional.len() - 1],
                r#","optional":"x"}"#
            ),
            missing_optional.replace(DIGEST, "sha256:ABC"),
            missing_optional.replace("\"type\"", "\"type\":\"x\",\"type\""),
            missing_optional.replace("{\"docker-reference\":\"r\"}", "{}"),
        ] {
            assert!(SimpleSigning::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
