//! What a bundle signs: a message signature (with its digest) or a DSSE envelope.

use serde::{Deserialize, Serialize};

use crate::{b64, dsse};

/// What a bundle signs (exactly one per bundle).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact (or its digest).
    MessageSignature(MessageSignature),
    /// A DSSE envelope (in-toto statement) with exactly one signature.
    DsseEnvelope(dsse::Envelope),
}

/// A signature over an artifact.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    /// The artifact's digest, informational (the verifier hashes the artifact itself).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "message_digest"
    )]
    pub message_digest: Option<MessageDigest>,
    /// The signature bytes.
    #[serde(default, with = "b64::bytes_default")]
    pub signature: Vec<u8>,
}

impl MessageSignature {
    /// A signature without a message digest.
    #[must_use]
    pub fn new(signature: Vec<u8>) -> Self {
        MessageSignature {
            message_digest: None,
            signature,
        }
    }

    /// Sets the message digest.
    #[must_use]
    pub fn with_digest(mut self, algorithm: HashAlgorithm, digest: Vec<u8>) -> Self {
        self.message_digest = Some(MessageDigest { algorithm, digest });
        self
    }
}

/// A digest with its algorithm.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDigest {
    /// The hash algorithm.
    #[serde(default)]
    pub algorithm: HashAlgorithm,
    /// The digest bytes.
    #[serde(default, with = "b64::bytes_default")]
    pub digest: Vec<u8>,
}

impl MessageDigest {
    /// A digest.
    #[must_use]
    pub fn new(algorithm: HashAlgorithm, digest: Vec<u8>) -> Self {
        MessageDigest { algorithm, digest }
    }
}

/// `dev.sigstore.common.v1.HashAlgorithm`, written by name, read by name or number.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashAlgorithm {
    /// `HASH_ALGORITHM_UNSPECIFIED` (0).
    #[default]
    Unspecified,
    /// `SHA2_256` (1).
    Sha2_256,
    /// `SHA2_384` (2).
    Sha2_384,
    /// `SHA2_512` (3).
    Sha2_512,
    /// `SHA3_256` (4).
    Sha3_256,
    /// `SHA3_384` (5).
    Sha3_384,
}

const HASH_ALGORITHMS: [(HashAlgorithm, &str); 6] = [
    (HashAlgorithm::Unspecified, "HASH_ALGORITHM_UNSPECIFIED"),
    (HashAlgorithm::Sha2_256, "SHA2_256"),
    (HashAlgorithm::Sha2_384, "SHA2_384"),
    (HashAlgorithm::Sha2_512, "SHA2_512"),
    (HashAlgorithm::Sha3_256, "SHA3_256"),
    (HashAlgorithm::Sha3_384, "SHA3_384"),
];

impl HashAlgorithm {
    /// The protobuf enum name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        HASH_ALGORITHMS
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("HASH_ALGORITHM_UNSPECIFIED", |(_, name)| name)
    }

    /// The algorithm with this protobuf enum name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        HASH_ALGORITHMS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(a, _)| *a)
    }
}

impl Serialize for HashAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HashAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Option::<serde_json::Value>::deserialize(d)? {
            None => Ok(HashAlgorithm::Unspecified),
            Some(serde_json::Value::String(name)) => HashAlgorithm::from_name(&name)
                .ok_or_else(|| D::Error::custom(format_args!("unknown hash algorithm {name:?}"))),
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .and_then(|n| HASH_ALGORITHMS.get(usize::try_from(n).ok()?))
                .map(|(a, _)| *a)
                .ok_or_else(|| D::Error::custom(format_args!("unknown hash algorithm number {n}"))),
            Some(other) => Err(D::Error::custom(format_args!(
                "hash algorithm must be a name or number, found {other}"
            ))),
        }
    }
}
