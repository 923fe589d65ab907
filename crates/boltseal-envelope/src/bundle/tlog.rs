//! Transparency-log entries (promises, proofs, checkpoints) and RFC 3161 timestamps.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{b64, wire};

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

    pub(super) fn problem(&self) -> Option<TlogEntryProblem> {
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
