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

use crate::{dsse, wire};

mod content;
mod material;
mod rekor;
mod tlog;

pub use content::{Content, HashAlgorithm, MessageDigest, MessageSignature};
pub use material::{VerificationContent, VerificationMaterial};
pub use rekor::{RekorBundle, RekorBundleError, RekorPayload};
pub use tlog::{
    Checkpoint, InclusionPromise, InclusionProof, KindVersion, LogId, Rfc3161Timestamp,
    TimestampVerificationData, TlogEntryProblem, TransparencyLogEntry,
};

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
    verification_material: Option<material::MaterialWire>,
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
