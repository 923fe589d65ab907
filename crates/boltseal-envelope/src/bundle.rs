//! Sigstore bundles (`dev.sigstore.bundle.v1.Bundle`) in their JSON form, versions 0.1 to 0.3,
//! and cosign's legacy Rekor bundle annotation ([`RekorBundle`]).
//!
//! The JSON is protobuf's JSON mapping (protojson): lowerCamelCase keys (the proto's snake_case
//! names are accepted too), `bytes` as base64, `int64` as decimal strings, enums by name.
//!
//! **Reading** ([`Bundle::parse`]) is permissive where protojson is — unknown fields ignored,
//! `int64` as string or number, `null` as the default, base64 in either alphabet with or without
//! padding — and strict where a verifier relies on structure:
//!
//! - the media type names version 0.1, 0.2 or 0.3 (both spellings of 0.3; anything else, e.g.
//!   0.4 or 99.9, is refused);
//! - exactly one content kind (`messageSignature` or `dsseEnvelope`) and exactly one
//!   verification-material kind (`publicKey`, `x509CertificateChain` or `certificate`); a
//!   certificate chain is non-empty and no certificate is empty;
//! - a DSSE envelope carries exactly one signature; a message signature is not empty;
//! - v0.1: every tlog entry has an inclusion promise (SET); v0.2 and later: every tlog entry has
//!   an inclusion proof; v0.3 and later: no `x509CertificateChain` (a single `certificate`);
//! - every tlog entry has a log id, a kind and version, a canonicalized body, and a non-negative
//!   log index (in the entry and in its proof), tree size and integrated time.
//!
//! These are the structural rules of sigstore-go's bundle validation and the protobuf-specs
//! comments, restated; everything cryptographic (signatures, proofs, SETs, certificate chains,
//! whether a chain wrongly includes its root) is left to a verifier.
//!
//! **Writing** ([`Bundle::to_bytes`]) is deterministic compact protojson-style JSON: keys in proto
//! field order, standard padded base64, `int64` as strings, empty optional messages omitted.
//!
//! ```
//! use boltseal_envelope::bundle::{Bundle, Content, MessageSignature, VerificationMaterial};
//!
//! let bundle = Bundle::new(
//!     VerificationMaterial::public_key("hint"),
//!     Content::MessageSignature(MessageSignature::new(vec![0x30, 0x45])),
//! );
//! let json = bundle.to_bytes();
//! assert!(json.starts_with(br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json""#));
//! assert_eq!(Bundle::parse(&json)?, bundle);
//! # Ok::<(), boltseal_envelope::bundle::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{b64, dsse, wire};

mod rekor;

pub use rekor::{RekorBundle, RekorBundleError, RekorPayload};

/// Media type of a v0.1 bundle.
pub const MEDIA_TYPE_V0_1: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
/// Media type of a v0.2 bundle.
pub const MEDIA_TYPE_V0_2: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// Media type of a v0.3 bundle (the preferred spelling; also its OCI artifact type).
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The older spelling of the v0.3 media type, still accepted.
pub const MEDIA_TYPE_V0_3_LEGACY: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// Why bytes are not a well-formed Sigstore bundle.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not JSON, a field has the wrong JSON type or appears twice, a byte string is not base64,
    /// or an integer is out of range.
    #[error("Sigstore bundle is not valid JSON of the expected shape: {source}")]
    Json {
        /// The decoder's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The media type names no supported bundle version.
    #[error("Sigstore bundle media type {media_type:?} is not a supported version (0.1 to 0.3)")]
    UnsupportedMediaType {
        /// The media type found.
        media_type: String,
    },
    /// No `verificationMaterial`, or it has none of `publicKey`, `x509CertificateChain`,
    /// `certificate`.
    #[error("Sigstore bundle has no verification material")]
    MissingVerificationMaterial,
    /// More than one verification-material kind is set.
    #[error("Sigstore bundle has more than one kind of verification material: {kinds:?}")]
    AmbiguousVerificationMaterial {
        /// The kinds present.
        kinds: Vec<&'static str>,
    },
    /// Neither `messageSignature` nor `dsseEnvelope` is set.
    #[error("Sigstore bundle has no content (messageSignature or dsseEnvelope)")]
    MissingContent,
    /// Both `messageSignature` and `dsseEnvelope` are set.
    #[error("Sigstore bundle has both a messageSignature and a dsseEnvelope")]
    AmbiguousContent,
    /// An `x509CertificateChain` with no certificates.
    #[error("Sigstore bundle has an empty certificate chain")]
    EmptyCertificateChain,
    /// A certificate with no bytes (`index` is its position in a chain, `None` for `certificate`).
    #[error("Sigstore bundle has an empty certificate (chain position {index:?})")]
    EmptyCertificate {
        /// Position in the chain, if in a chain.
        index: Option<usize>,
    },
    /// A v0.3 or later bundle uses `x509CertificateChain`.
    #[error("Sigstore bundle {version} must use certificate, not x509CertificateChain")]
    CertificateChainNotAllowed {
        /// The bundle's version.
        version: BundleVersion,
    },
    /// A DSSE envelope with other than exactly one signature.
    #[error("Sigstore bundle DSSE envelope has {count} signatures, expected exactly one")]
    DsseSignatureCount {
        /// The number of signatures found.
        count: usize,
    },
    /// An empty message signature.
    #[error("Sigstore bundle message signature is empty")]
    EmptySignature,
    /// A v0.1 bundle's tlog entry lacks an inclusion promise.
    #[error("Sigstore bundle {version} tlog entry {index} has no inclusion promise")]
    MissingInclusionPromise {
        /// The bundle's version.
        version: BundleVersion,
        /// Index of the tlog entry.
        index: usize,
    },
    /// A v0.2+ bundle's tlog entry lacks an inclusion proof.
    #[error("Sigstore bundle {version} tlog entry {index} has no inclusion proof")]
    MissingInclusionProof {
        /// The bundle's version.
        version: BundleVersion,
        /// Index of the tlog entry.
        index: usize,
    },
    /// A tlog entry is structurally invalid.
    #[error("Sigstore bundle tlog entry {index}: {problem}")]
    InvalidTlogEntry {
        /// Index of the tlog entry.
        index: usize,
        /// What is wrong with it.
        problem: TlogEntryProblem,
    },
}

/// What is structurally wrong with a transparency-log entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlogEntryProblem {
    /// `logId` is missing or its `keyId` is empty.
    MissingLogId,
    /// `kindVersion` is missing or its `kind` or `version` is empty.
    MissingKindVersion,
    /// `canonicalizedBody` is missing or empty.
    MissingBody,
    /// A field that must not be negative is.
    Negative {
        /// The field (`logIndex`, `integratedTime`, `inclusionProof.logIndex`, `inclusionProof.treeSize`).
        field: &'static str,
        /// Its value.
        value: i64,
    },
}

impl fmt::Display for TlogEntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlogEntryProblem::MissingLogId => f.write_str("missing logId.keyId"),
            TlogEntryProblem::MissingKindVersion => f.write_str("missing kindVersion"),
            TlogEntryProblem::MissingBody => f.write_str("missing canonicalizedBody"),
            TlogEntryProblem::Negative { field, value } => {
                write!(f, "{field} is negative ({value})")
            }
        }
    }
}

/// A bundle format version.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BundleVersion {
    /// 0.1: certificate chain or key, tlog entries with inclusion promises.
    V0_1,
    /// 0.2: tlog entries with inclusion proofs.
    V0_2,
    /// 0.3: a single leaf `certificate` instead of a chain.
    V0_3,
}

impl BundleVersion {
    /// The version a media type names: the three `application/vnd.dev.sigstore.bundle+json;version=0.N`
    /// spellings, and `application/vnd.dev.sigstore.bundle.v0.N[.P]+json` for N in 1..=3.
    #[must_use]
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            MEDIA_TYPE_V0_1 => return Some(BundleVersion::V0_1),
            MEDIA_TYPE_V0_2 => return Some(BundleVersion::V0_2),
            MEDIA_TYPE_V0_3_LEGACY => return Some(BundleVersion::V0_3),
            _ => {}
        }
        let version = media_type
            .strip_prefix("application/vnd.dev.sigstore.bundle.v0.")?
            .strip_suffix("+json")?;
        let (minor, patch) = match version.split_once('.') {
            Some((minor, patch)) => (minor, Some(patch)),
            None => (version, None),
        };
        if let Some(patch) = patch {
            let canonical = patch == "0" || (!patch.starts_with('0') && !patch.is_empty());
            if !canonical || !patch.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        match minor {
            "1" => Some(BundleVersion::V0_1),
            "2" => Some(BundleVersion::V0_2),
            "3" => Some(BundleVersion::V0_3),
            _ => None,
        }
    }

    /// The media type boltseal writes for this version.
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            BundleVersion::V0_1 => MEDIA_TYPE_V0_1,
            BundleVersion::V0_2 => MEDIA_TYPE_V0_2,
            BundleVersion::V0_3 => MEDIA_TYPE_V0_3,
        }
    }
}

impl fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BundleVersion::V0_1 => "v0.1",
            BundleVersion::V0_2 => "v0.2",
            BundleVersion::V0_3 => "v0.3",
        })
    }
}

/// A Sigstore bundle: what was signed, how, and the material to verify it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The media type as written (see [`BundleVersion::from_media_type`]).
    pub media_type: String,
    /// Key hint or certificate(s), tlog entries, timestamps.
    pub verification_material: VerificationMaterial,
    /// The signature: over a message digest, or a DSSE envelope.
    pub content: Content,
}

/// The key or certificate that verifies the signature, and the evidence of when it was made.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMaterial {
    /// Which key or certificate(s).
    pub content: VerificationContent,
    /// Transparency-log entries for the signature.
    pub tlog_entries: Vec<TransparencyLogEntry>,
    /// RFC 3161 timestamps over the signature.
    pub timestamp_verification_data: Option<TimestampVerificationData>,
}

/// The verification-material kinds (exactly one per bundle).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationContent {
    /// A key the verifier already has; `hint` names it (cosign: base64 of SHA-256 of the SPKI DER).
    PublicKey {
        /// The key hint (may be empty).
        hint: String,
    },
    /// DER certificates, leaf first, without the root (bundles v0.1 and v0.2).
    X509CertificateChain {
        /// The DER certificates.
        certificates: Vec<Vec<u8>>,
    },
    /// The DER leaf certificate (bundles v0.3).
    Certificate {
        /// The DER certificate.
        raw_bytes: Vec<u8>,
    },
}

impl VerificationContent {
    fn kind(&self) -> &'static str {
        match self {
            VerificationContent::PublicKey { .. } => "publicKey",
            VerificationContent::X509CertificateChain { .. } => "x509CertificateChain",
            VerificationContent::Certificate { .. } => "certificate",
        }
    }
}

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

/// A transparency-log (Rekor) entry for the bundle's signature.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogEntry {
    /// The entry's index in the log.
    #[serde(default, with = "wire::int64", alias = "log_index")]
    pub log_index: i64,
    /// Which log.
    #[serde(default, alias = "log_id")]
    pub log_id: Option<LogId>,
    /// The entry type (`hashedrekord`, `dsse`, `intoto`, …) and its version.
    #[serde(default, alias = "kind_version")]
    pub kind_version: Option<KindVersion>,
    /// When the log integrated the entry (Unix seconds; 0 for Rekor v2 entries).
    #[serde(default, with = "wire::int64", alias = "integrated_time")]
    pub integrated_time: i64,
    /// The log's signed entry timestamp (SET).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "inclusion_promise"
    )]
    pub inclusion_promise: Option<InclusionPromise>,
    /// The Merkle inclusion proof with a signed checkpoint.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "inclusion_proof"
    )]
    pub inclusion_proof: Option<InclusionProof>,
    /// The entry body exactly as logged.
    #[serde(default, with = "b64::bytes_default", alias = "canonicalized_body")]
    pub canonicalized_body: Vec<u8>,
}

impl TransparencyLogEntry {
    /// An entry without promise or proof.
    #[must_use]
    pub fn new(
        log_index: i64,
        log_key_id: Vec<u8>,
        kind: impl Into<String>,
        version: impl Into<String>,
        integrated_time: i64,
        canonicalized_body: Vec<u8>,
    ) -> Self {
        TransparencyLogEntry {
            log_index,
            log_id: Some(LogId { key_id: log_key_id }),
            kind_version: Some(KindVersion {
                kind: kind.into(),
                version: version.into(),
            }),
            integrated_time,
            inclusion_promise: None,
            inclusion_proof: None,
            canonicalized_body,
        }
    }

    /// Sets the inclusion promise (SET).
    #[must_use]
    pub fn with_inclusion_promise(mut self, signed_entry_timestamp: Vec<u8>) -> Self {
        self.inclusion_promise = Some(InclusionPromise {
            signed_entry_timestamp,
        });
        self
    }

    /// Sets the inclusion proof.
    #[must_use]
    pub fn with_inclusion_proof(mut self, proof: InclusionProof) -> Self {
        self.inclusion_proof = Some(proof);
        self
    }

    fn problem(&self) -> Option<TlogEntryProblem> {
        if self.log_id.as_ref().is_none_or(|id| id.key_id.is_empty()) {
            return Some(TlogEntryProblem::MissingLogId);
        }
        if self
            .kind_version
            .as_ref()
            .is_none_or(|kv| kv.kind.is_empty() || kv.version.is_empty())
        {
            return Some(TlogEntryProblem::MissingKindVersion);
        }
        if self.canonicalized_body.is_empty() {
            return Some(TlogEntryProblem::MissingBody);
        }
        let mut numbers = vec![
            ("logIndex", self.log_index),
            ("integratedTime", self.integrated_time),
        ];
        if let Some(proof) = &self.inclusion_proof {
            numbers.push(("inclusionProof.logIndex", proof.log_index));
            numbers.push(("inclusionProof.treeSize", proof.tree_size));
        }
        numbers
            .into_iter()
            .find(|(_, value)| *value < 0)
            .map(|(field, value)| TlogEntryProblem::Negative { field, value })
    }
}

/// Identifies a log: the SHA-256 of its public key's DER SPKI.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// The key id bytes.
    #[serde(default, with = "b64::bytes_default", alias = "key_id")]
    pub key_id: Vec<u8>,
}

impl LogId {
    /// A log id from the key id bytes.
    #[must_use]
    pub fn new(key_id: Vec<u8>) -> Self {
        LogId { key_id }
    }
}

/// The type of a log entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindVersion {
    /// The entry kind, e.g. `hashedrekord`.
    #[serde(default, deserialize_with = "wire::string::deserialize")]
    pub kind: String,
    /// The kind's version, e.g. `0.0.1`.
    #[serde(default, deserialize_with = "wire::string::deserialize")]
    pub version: String,
}

impl KindVersion {
    /// An entry type, e.g. `("hashedrekord", "0.0.1")`.
    #[must_use]
    pub fn new(kind: impl Into<String>, version: impl Into<String>) -> Self {
        KindVersion {
            kind: kind.into(),
            version: version.into(),
        }
    }
}

/// A log's promise to include an entry: the signed entry timestamp.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    /// The SET: the log's signature over the canonical entry metadata.
    #[serde(default, with = "b64::bytes_default", alias = "signed_entry_timestamp")]
    pub signed_entry_timestamp: Vec<u8>,
}

impl InclusionPromise {
    /// A promise from the SET bytes.
    #[must_use]
    pub fn new(signed_entry_timestamp: Vec<u8>) -> Self {
        InclusionPromise {
            signed_entry_timestamp,
        }
    }
}

/// A Merkle inclusion proof of an entry, with the checkpoint it leads to.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// The entry's index in the tree.
    #[serde(default, with = "wire::int64", alias = "log_index")]
    pub log_index: i64,
    /// The tree's root hash.
    #[serde(default, with = "b64::bytes_default", alias = "root_hash")]
    pub root_hash: Vec<u8>,
    /// The tree's size.
    #[serde(default, with = "wire::int64", alias = "tree_size")]
    pub tree_size: i64,
    /// The audit path, leaf to root.
    #[serde(default, with = "b64::bytes_list")]
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint (signed note) for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

impl InclusionProof {
    /// A proof.
    #[must_use]
    pub fn new(
        log_index: i64,
        root_hash: Vec<u8>,
        tree_size: i64,
        hashes: Vec<Vec<u8>>,
        checkpoint: Option<String>,
    ) -> Self {
        InclusionProof {
            log_index,
            root_hash,
            tree_size,
            hashes,
            checkpoint: checkpoint.map(|envelope| Checkpoint { envelope }),
        }
    }
}

/// A signed checkpoint in the signed-note format.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The note text with its signature lines.
    #[serde(default, deserialize_with = "wire::string::deserialize")]
    pub envelope: String,
}

impl Checkpoint {
    /// A checkpoint from its signed-note text.
    #[must_use]
    pub fn new(envelope: impl Into<String>) -> Self {
        Checkpoint {
            envelope: envelope.into(),
        }
    }
}

/// RFC 3161 timestamps over the signature.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampVerificationData {
    /// The timestamps.
    #[serde(
        default,
        deserialize_with = "wire::list::deserialize",
        alias = "rfc3161_timestamps"
    )]
    pub rfc3161_timestamps: Vec<Rfc3161Timestamp>,
}

impl TimestampVerificationData {
    /// Timestamp data from DER `TimeStampResp`/`TimeStampToken` bytes.
    #[must_use]
    pub fn new(signed_timestamps: Vec<Vec<u8>>) -> Self {
        TimestampVerificationData {
            rfc3161_timestamps: signed_timestamps
                .into_iter()
                .map(|signed_timestamp| Rfc3161Timestamp { signed_timestamp })
                .collect(),
        }
    }
}

/// One RFC 3161 timestamp.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rfc3161Timestamp {
    /// The DER-encoded timestamp token.
    #[serde(default, with = "b64::bytes_default", alias = "signed_timestamp")]
    pub signed_timestamp: Vec<u8>,
}

impl Rfc3161Timestamp {
    /// A timestamp from its DER bytes.
    #[must_use]
    pub fn new(signed_timestamp: Vec<u8>) -> Self {
        Rfc3161Timestamp { signed_timestamp }
    }
}

// ---- wire forms -------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PublicKeyWire {
    #[serde(default, deserialize_with = "wire::string::deserialize")]
    hint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateWire {
    #[serde(default, with = "b64::bytes_default", alias = "raw_bytes")]
    raw_bytes: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct ChainWire {
    #[serde(default, deserialize_with = "wire::list::deserialize")]
    certificates: Vec<CertificateWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MaterialWire {
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "public_key")]
    public_key: Option<PublicKeyWire>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "x509_certificate_chain"
    )]
    x509_certificate_chain: Option<ChainWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<CertificateWire>,
    #[serde(
        default,
        deserialize_with = "wire::list::deserialize",
        alias = "tlog_entries"
    )]
    tlog_entries: Vec<TransparencyLogEntry>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "timestamp_verification_data"
    )]
    timestamp_verification_data: Option<TimestampVerificationData>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleWire {
    #[serde(
        default,
        deserialize_with = "wire::string::deserialize",
        alias = "media_type"
    )]
    media_type: String,
    #[serde(default, alias = "verification_material")]
    verification_material: Option<MaterialWire>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "message_signature"
    )]
    message_signature: Option<MessageSignature>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "dsse_envelope"
    )]
    dsse_envelope: Option<dsse::Envelope>,
}

impl VerificationMaterial {
    /// Material naming a key by hint, no tlog entries, no timestamps.
    #[must_use]
    pub fn public_key(hint: impl Into<String>) -> Self {
        VerificationMaterial::new(VerificationContent::PublicKey { hint: hint.into() })
    }

    /// Material with a DER leaf certificate (v0.3).
    #[must_use]
    pub fn certificate(der: Vec<u8>) -> Self {
        VerificationMaterial::new(VerificationContent::Certificate { raw_bytes: der })
    }

    /// Material of the given kind, no tlog entries, no timestamps.
    #[must_use]
    pub fn new(content: VerificationContent) -> Self {
        VerificationMaterial {
            content,
            tlog_entries: Vec::new(),
            timestamp_verification_data: None,
        }
    }

    /// Adds a tlog entry.
    #[must_use]
    pub fn with_tlog_entry(mut self, entry: TransparencyLogEntry) -> Self {
        self.tlog_entries.push(entry);
        self
    }

    /// Sets the timestamp verification data.
    #[must_use]
    pub fn with_timestamps(mut self, data: TimestampVerificationData) -> Self {
        self.timestamp_verification_data = Some(data);
        self
    }

    fn to_wire(&self) -> MaterialWire {
        let mut out = MaterialWire {
            public_key: None,
            x509_certificate_chain: None,
            certificate: None,
            tlog_entries: self.tlog_entries.clone(),
            timestamp_verification_data: self.timestamp_verification_data.clone(),
        };
        match &self.content {
            VerificationContent::PublicKey { hint } => {
                out.public_key = Some(PublicKeyWire { hint: hint.clone() });
            }
            VerificationContent::X509CertificateChain { certificates } => {
                out.x509_certificate_chain = Some(ChainWire {
                    certificates: certificates
                        .iter()
                        .map(|raw_bytes| CertificateWire {
                            raw_bytes: raw_bytes.clone(),
                        })
                        .collect(),
                });
            }
            VerificationContent::Certificate { raw_bytes } => {
                out.certificate = Some(CertificateWire {
                    raw_bytes: raw_bytes.clone(),
                });
            }
        }
        out
    }

    fn from_wire(wire: MaterialWire) -> Result<Self, Error> {
        let mut kinds = Vec::new();
        let mut content = None;
        if let Some(key) = wire.public_key {
            kinds.push("publicKey");
            content = Some(VerificationContent::PublicKey { hint: key.hint });
        }
        if let Some(chain) = wire.x509_certificate_chain {
            kinds.push("x509CertificateChain");
            content = Some(VerificationContent::X509CertificateChain {
                certificates: chain
                    .certificates
                    .into_iter()
                    .map(|c| c.raw_bytes)
                    .collect(),
            });
        }
        if let Some(cert) = wire.certificate {
            kinds.push("certificate");
            content = Some(VerificationContent::Certificate {
                raw_bytes: cert.raw_bytes,
            });
        }
        if kinds.len() > 1 {
            return Err(Error::AmbiguousVerificationMaterial { kinds });
        }
        let content = content.ok_or(Error::MissingVerificationMaterial)?;
        Ok(VerificationMaterial {
            content,
            tlog_entries: wire.tlog_entries,
            timestamp_verification_data: wire.timestamp_verification_data,
        })
    }
}

impl Bundle {
    /// A v0.3 bundle.
    #[must_use]
    pub fn new(verification_material: VerificationMaterial, content: Content) -> Self {
        Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material,
            content,
        }
    }

    /// The bundle's version, if its media type names a supported one.
    #[must_use]
    pub fn version(&self) -> Option<BundleVersion> {
        BundleVersion::from_media_type(&self.media_type)
    }

    /// The DSSE envelope, if the bundle carries one.
    #[must_use]
    pub fn dsse_envelope(&self) -> Option<&dsse::Envelope> {
        match &self.content {
            Content::DsseEnvelope(envelope) => Some(envelope),
            Content::MessageSignature(_) => None,
        }
    }

    /// The message signature, if the bundle carries one.
    #[must_use]
    pub fn message_signature(&self) -> Option<&MessageSignature> {
        match &self.content {
            Content::MessageSignature(signature) => Some(signature),
            Content::DsseEnvelope(_) => None,
        }
    }

    /// Checks the structural rules listed in the module documentation and returns the version.
    ///
    /// # Errors
    /// The [`Error`] variant naming the first rule broken.
    pub fn validate(&self) -> Result<BundleVersion, Error> {
        let version = self.version().ok_or_else(|| Error::UnsupportedMediaType {
            media_type: self.media_type.clone(),
        })?;
        match &self.verification_material.content {
            VerificationContent::PublicKey { .. } => {}
            VerificationContent::X509CertificateChain { certificates } => {
                if version >= BundleVersion::V0_3 {
                    return Err(Error::CertificateChainNotAllowed { version });
                }
                if certificates.is_empty() {
                    return Err(Error::EmptyCertificateChain);
                }
                if let Some(index) = certificates.iter().position(Vec::is_empty) {
                    return Err(Error::EmptyCertificate { index: Some(index) });
                }
            }
            VerificationContent::Certificate { raw_bytes } => {
                if raw_bytes.is_empty() {
                    return Err(Error::EmptyCertificate { index: None });
                }
            }
        }
        for (index, entry) in self.verification_material.tlog_entries.iter().enumerate() {
            if let Some(problem) = entry.problem() {
                return Err(Error::InvalidTlogEntry { index, problem });
            }
            if version == BundleVersion::V0_1 && entry.inclusion_promise.is_none() {
                return Err(Error::MissingInclusionPromise { version, index });
            }
            if version >= BundleVersion::V0_2 && entry.inclusion_proof.is_none() {
                return Err(Error::MissingInclusionProof { version, index });
            }
        }
        match &self.content {
            Content::MessageSignature(signature) => {
                if signature.signature.is_empty() {
                    return Err(Error::EmptySignature);
                }
            }
            Content::DsseEnvelope(envelope) => {
                if envelope.signatures.len() != 1 {
                    return Err(Error::DsseSignatureCount {
                        count: envelope.signatures.len(),
                    });
                }
            }
        }
        Ok(version)
    }

    /// Parses and validates a bundle (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Json`] for malformed JSON, otherwise the structural rule broken.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let wire: BundleWire =
            serde_json::from_slice(bytes).map_err(|source| Error::Json { source })?;
        if BundleVersion::from_media_type(&wire.media_type).is_none() {
            return Err(Error::UnsupportedMediaType {
                media_type: wire.media_type,
            });
        }
        let content = match (wire.message_signature, wire.dsse_envelope) {
            (Some(_), Some(_)) => return Err(Error::AmbiguousContent),
            (Some(signature), None) => Content::MessageSignature(signature),
            (None, Some(envelope)) => Content::DsseEnvelope(envelope),
            (None, None) => return Err(Error::MissingContent),
        };
        let material = wire
            .verification_material
            .ok_or(Error::MissingVerificationMaterial)?;
        let bundle = Bundle {
            media_type: wire.media_type,
            verification_material: VerificationMaterial::from_wire(material)?,
            content,
        };
        bundle.validate()?;
        Ok(bundle)
    }

    /// The bundle as compact protojson-style JSON (see the module documentation).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let (message_signature, dsse_envelope) = match &self.content {
            Content::MessageSignature(signature) => (Some(signature.clone()), None),
            Content::DsseEnvelope(envelope) => (None, Some(envelope.clone())),
        };
        let wire = BundleWire {
            media_type: self.media_type.clone(),
            verification_material: Some(self.verification_material.to_wire()),
            message_signature,
            dsse_envelope,
        };
        // Plain strings, integers and byte strings serialize into a Vec without error.
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

impl fmt::Display for VerificationContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}
