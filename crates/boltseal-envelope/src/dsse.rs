//! DSSE (Dead Simple Signing Envelope) v1: the envelope, its JSON form and the pre-authentication
//! encoding (PAE) that signatures cover.
//!
//! A signature never covers the envelope JSON; it covers
//! `PAE(payloadType, payload) = "DSSEv1" SP len(payloadType) SP payloadType SP len(payload) SP payload`
//! with lengths as decimal byte counts and the *decoded* payload. So the JSON layout is free, and
//! [`Envelope::to_bytes`] picks one deterministic form: keys `payload`, `payloadType`,
//! `signatures`, each signature `sig` then `keyid` (omitted when empty) — the layout cosign writes
//! for `.att` layers. Byte strings are standard base64 with padding.
//!
//! [`Envelope::parse`] accepts what Go's DSSE library and protojson accept: base64 in the standard
//! or URL-safe alphabet with or without padding, unknown fields ignored, `keyid` optional, a
//! missing `signatures` list read as empty (a verifier then finds nothing to verify).
//!
//! ```
//! use boltseal_envelope::dsse::{self, Envelope, Signature};
//!
//! let pae = dsse::pae("http://example.com/HelloWorld", b"hello world");
//! assert_eq!(pae, b"DSSEv1 29 http://example.com/HelloWorld 11 hello world");
//!
//! let envelope = Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, b"{}".to_vec())
//!     .with_signature(Signature::new("", vec![1, 2, 3]));
//! let json = envelope.to_bytes();
//! assert_eq!(json, br#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AQID"}]}"#);
//! assert_eq!(Envelope::parse(&json)?, envelope);
//! # Ok::<(), boltseal_envelope::dsse::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{b64, wire};

/// The payload type of an in-toto statement.
pub const PAYLOAD_TYPE_IN_TOTO: &str = "application/vnd.in-toto+json";

/// The media type of a DSSE envelope stored as an OCI layer (cosign's `.att` layers).
pub const MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// Why bytes are not a DSSE envelope.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not JSON, a required field is missing, a field has the wrong type, appears twice, or a
    /// byte string is not base64.
    #[error("DSSE envelope is not valid: {source}")]
    Json {
        /// The decoder's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
}

/// The pre-authentication encoding DSSE v1 signs: `DSSEv1 <len> <type> <len> <payload>`.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let payload_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        "DSSEv1".len()
            + 4
            + type_len.len()
            + payload_type.len()
            + payload_len.len()
            + payload.len(),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope: a typed payload and the signatures over its PAE.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The payload, decoded (JSON: base64 `payload`).
    #[serde(with = "b64::bytes")]
    pub payload: Vec<u8>,
    /// What the payload is, e.g. [`PAYLOAD_TYPE_IN_TOTO`] (JSON: `payloadType`).
    #[serde(rename = "payloadType", alias = "payload_type")]
    pub payload_type: String,
    /// The signatures, each over [`Envelope::pae`].
    #[serde(default, deserialize_with = "wire::list::deserialize")]
    pub signatures: Vec<Signature>,
}

/// One signature of an [`Envelope`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The signature bytes, decoded (JSON: base64 `sig`).
    #[serde(with = "b64::bytes")]
    pub sig: Vec<u8>,
    /// An optional, unauthenticated hint naming the key; empty when absent.
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "wire::string::deserialize"
    )]
    pub keyid: String,
}

impl Signature {
    /// A signature with key hint `keyid` (may be empty).
    #[must_use]
    pub fn new(keyid: impl Into<String>, sig: Vec<u8>) -> Self {
        Signature {
            sig,
            keyid: keyid.into(),
        }
    }
}

impl Envelope {
    /// An unsigned envelope around `payload`.
    #[must_use]
    pub fn new(payload_type: impl Into<String>, payload: Vec<u8>) -> Self {
        Envelope {
            payload,
            payload_type: payload_type.into(),
            signatures: Vec::new(),
        }
    }

    /// Adds a signature.
    #[must_use]
    pub fn with_signature(mut self, signature: Signature) -> Self {
        self.signatures.push(signature);
        self
    }

    /// The bytes a signature of this envelope covers: [`pae`] of its type and payload.
    #[must_use]
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The envelope as compact JSON (see the module documentation for the layout).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings and byte strings into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses an envelope.
    ///
    /// # Errors
    /// [`Error::Json`] for malformed JSON, a missing `payload` or `payloadType`, a duplicated
    /// field or invalid base64.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(|source| Error::Json { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_vector() {
        // secure-systems-lab/dsse protocol.md, "Test vector".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert_eq!(pae("é", "ü".as_bytes()), "DSSEv1 2 é 2 ü".as_bytes());
    }

    #[test]
    fn reads_url_safe_unpadded_and_keyids() {
        let json = br#"{"payloadType":"t","payload":"-_8","signatures":[{"keyid":"k","sig":"AQ"},{"sig":"Ag==","keyid":null}],"extra":1}"#;
        let e = Envelope::parse(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.payload, [0xfb, 0xff]);
        assert_eq!(
            e.signatures,
            [Signature::new("k", vec![1]), Signature::new("", vec![2])]
        );
        assert_eq!(
            e.to_bytes(),
            br#"{"payload":"+/8=","payloadType":"t","signatures":[{"sig":"AQ==","keyid":"k"},{"sig":"Ag=="}]}"#
        );
    }

    #[test]
    fn refuses_missing_fields_and_bad_base64() {
        for json in [
            &br#"{"payloadType":"t","signatures":[]}"#[..],
            br#"{"payload":"","signatures":[]}"#,
            br#"{"payload":"!","payloadType":"t"}"#,
            br#"{"payload":"","payloadType":"t","signatures":[{"keyid":"k"}]}"#,
            br#"{"payload":"","payload":"","payloadType":"t"}"#,
        ] {
            assert!(
                Envelope::parse(json).is_err(),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }
}
