//! The key or certificate that verifies a bundle's signature, and its wire form.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Error, TimestampVerificationData, TransparencyLogEntry};
use crate::{b64, wire};

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
pub(super) struct MaterialWire {
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

    pub(super) fn to_wire(&self) -> MaterialWire {
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

    pub(super) fn from_wire(wire: MaterialWire) -> Result<Self, Error> {
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

impl fmt::Display for VerificationContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}
