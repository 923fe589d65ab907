//! cosign's legacy Rekor bundle: the JSON in a `.sig` layer's `dev.sigstore.cosign/bundle`
//! annotation.
//!
//! ```json
//! {"SignedEntryTimestamp":"<base64 SET>",
//!  "Payload":{"body":"<base64 entry>","integratedTime":1700000000,"logIndex":42,"logID":"<hex>"}}
//! ```
//!
//! The SET is the log's signature over the RFC 8785 canonical JSON of `Payload`
//! ([`RekorPayload::canonical_bytes`]); `logID` is the hex SHA-256 of the log key's DER SPKI.

use serde::{Deserialize, Serialize};

use crate::b64::{self, Base64Error};
use crate::canonical;

/// Why an annotation is not a Rekor bundle.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RekorBundleError {
    /// Not JSON, or a field is missing, mistyped or duplicated, or the SET is not base64.
    #[error("Rekor bundle annotation is not valid: {source}")]
    Json {
        /// The decoder's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// `Payload.body` is not base64.
    #[error("Rekor bundle body is not base64")]
    Body {
        /// The decoding error.
        #[source]
        source: Base64Error,
    },
    /// `Payload.logID` is not hex.
    #[error("Rekor bundle logID {log_id:?} is not hex")]
    LogId {
        /// The log id as written.
        log_id: String,
    },
}

/// The `dev.sigstore.cosign/bundle` annotation.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekorBundle {
    /// The signed entry timestamp (DER ECDSA signature by the log).
    #[serde(rename = "SignedEntryTimestamp", with = "b64::bytes")]
    pub signed_entry_timestamp: Vec<u8>,
    /// What the SET signs.
    #[serde(rename = "Payload")]
    pub payload: RekorPayload,
}

/// The part of a [`RekorBundle`] the SET covers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekorPayload {
    /// The canonicalized entry body, base64 as the log returned it (kept as text: the SET covers
    /// this exact string).
    pub body: String,
    /// When the log integrated the entry (Unix seconds).
    #[serde(rename = "integratedTime")]
    pub integrated_time: i64,
    /// The entry's index in the log.
    #[serde(rename = "logIndex")]
    pub log_index: i64,
    /// Hex SHA-256 of the log key's DER SPKI.
    #[serde(rename = "logID")]
    pub log_id: String,
}

impl RekorPayload {
    /// A payload from the decoded entry body.
    #[must_use]
    pub fn new(
        body: &[u8],
        integrated_time: i64,
        log_index: i64,
        log_id: impl Into<String>,
    ) -> Self {
        RekorPayload {
            body: b64::encode(body),
            integrated_time,
            log_index,
            log_id: log_id.into(),
        }
    }

    /// The bytes the SET signs: RFC 8785 canonical JSON of the four fields.
    #[must_use]
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical::to_vec(self).unwrap_or_default()
    }

    /// The decoded entry body.
    ///
    /// # Errors
    /// [`RekorBundleError::Body`] when `body` is not base64.
    pub fn body_bytes(&self) -> Result<Vec<u8>, RekorBundleError> {
        b64::decode(&self.body).map_err(|source| RekorBundleError::Body { source })
    }

    /// The decoded log id.
    ///
    /// # Errors
    /// [`RekorBundleError::LogId`] when `logID` is not an even number of hex digits.
    pub fn log_id_bytes(&self) -> Result<Vec<u8>, RekorBundleError> {
        boltseal_core::hex::decode(&self.log_id).map_err(|_| RekorBundleError::LogId {
            log_id: self.log_id.clone(),
        })
    }
}

impl RekorBundle {
    /// A bundle annotation.
    #[must_use]
    pub fn new(signed_entry_timestamp: Vec<u8>, payload: RekorPayload) -> Self {
        RekorBundle {
            signed_entry_timestamp,
            payload,
        }
    }

    /// Parses the annotation value. The body and log id are checked to decode.
    ///
    /// # Errors
    /// [`RekorBundleError`] naming the bad part.
    pub fn parse(bytes: &[u8]) -> Result<Self, RekorBundleError> {
        let bundle: RekorBundle =
            serde_json::from_slice(bytes).map_err(|source| RekorBundleError::Json { source })?;
        bundle.payload.body_bytes()?;
        bundle.payload.log_id_bytes()?;
        Ok(bundle)
    }

    /// The annotation value as compact JSON (`SignedEntryTimestamp`, then `Payload`).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
