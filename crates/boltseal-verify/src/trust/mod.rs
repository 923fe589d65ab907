//! Trust material for Sigstore verification: `trusted_root.json`.
//!
//! A [`TrustedRoot`] lists what a verifier trusts, each entry with a validity window:
//!
//! - Rekor transparency logs (v1 and v2): their public keys and log ids;
//! - certificate authorities (Fulcio): certificate chains, leaf-most first, root last;
//! - certificate-transparency logs: the keys that sign embedded SCTs;
//! - timestamp authorities: the chains of RFC 3161 timestamp signers.
//!
//! [`TrustedRoot::from_json`] reads the protojson form of `dev.sigstore.trustroot.v1.TrustedRoot`
//! (media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1`, also the
//! `trustedroot.v0.N+json` spellings) or a `ClientTrustConfig` that wraps one in `trustedRoot`.
//! Every log key must have a `validFor.start` (a root without one is refused, as sigstore-go
//! does); certificate and timestamp authorities without `validFor` are valid at any time.
//! Windows are closed intervals: an instant equal to `end` is inside.
//!
//! Log keys are DER SubjectPublicKeyInfo, or PKCS #1 `RSAPublicKey` when `keyDetails` says
//! `PKCS1_RSA_*`. Keys of algorithms boltseal does not verify with are kept as entries without a
//! key: they match nothing, and nothing verifies against them.
//!
//! ```
//! use boltseal_verify::trust::TrustedRoot;
//!
//! let json = br#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
//!   "tlogs": [{"baseUrl": "https://rekor.example", "hashAlgorithm": "SHA2_256",
//!     "publicKey": {"rawBytes": "MCowBQYDK2VwAyEAREvJyNZGjX6B3DAIuD3BTg9rIwV00GY8Xg5FU+IFDUQ=",
//!                   "keyDetails": "PKIX_ED25519", "validFor": {"start": "2026-01-15T22:45:54Z"}},
//!     "logId": {"keyId": "2AtEIMfG6Y41yK0tcwRTBS2tjhOrjKGIpDkHFgp65g0="}}]}"#;
//! let root = TrustedRoot::from_json(json)?;
//! assert_eq!(root.tlogs().len(), 1);
//! assert_eq!(root.tlogs()[0].base_url(), "https://rekor.example");
//! assert!(root.certificate_authorities().is_empty());
//! # Ok::<(), boltseal_verify::trust::TrustRootError>(())
//! ```

pub(crate) mod key;
mod public_good;
pub mod signing_config;
pub(crate) mod time;

use base64::Engine as _;
use serde::Deserialize;

pub(crate) use key::Hash;
pub use key::{KeyAlgorithm, KeyError, PublicKey};
pub use signing_config::{Selector, Service, ServiceKind, SigningConfig, SigningConfigError};
use time::Nanos;

/// Media types of a trusted root that [`TrustedRoot::from_json`] accepts.
pub const TRUSTED_ROOT_MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// Media type of a client trust configuration (a trusted root plus a signing configuration).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Why bytes are not a usable trusted root.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TrustRootError {
    /// Not JSON of the trusted-root shape.
    #[error("trusted root is not valid JSON of the expected shape: {source}")]
    Json {
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The media type is not a supported trusted-root (or client trust config) version.
    #[error("trusted root media type {media_type:?} is not supported")]
    UnsupportedMediaType {
        /// The media type found.
        media_type: String,
    },
    /// A field is missing or not valid.
    #[error("trusted root {field}: {reason}")]
    Invalid {
        /// JSON path of the field, e.g. `tlogs[1].publicKey.validFor.start`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> TrustRootError {
    TrustRootError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A closed interval of time in which a key or authority is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    start: Option<Nanos>,
    end: Option<Nanos>,
}

impl Validity {
    /// Always valid.
    pub(crate) const ALWAYS: Validity = Validity {
        start: None,
        end: None,
    };

    /// The start, as Unix seconds (rounded down); `None` for "since forever".
    #[must_use]
    pub fn start(&self) -> Option<i64> {
        self.start.map(time::to_unix)
    }

    /// The end, as Unix seconds (rounded down); `None` for "still valid".
    #[must_use]
    pub fn end(&self) -> Option<i64> {
        self.end.map(time::to_unix)
    }

    /// Whether the Unix time `seconds` is inside the window (both ends included).
    #[must_use]
    pub fn contains(&self, seconds: i64) -> bool {
        self.contains_nanos(time::from_unix(seconds))
    }

    pub(crate) fn contains_nanos(&self, at: Nanos) -> bool {
        self.start.is_none_or(|start| start <= at) && self.end.is_none_or(|end| at <= end)
    }
}

/// A transparency log (Rekor or certificate transparency) and its key.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    base_url: String,
    key: Option<PublicKey>,
    key_details: String,
    log_id: Vec<u8>,
    checkpoint_key_id: Option<Vec<u8>>,
    validity: Validity,
}

impl TransparencyLog {
    /// The log's URL, as the trusted root names it.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The log's key; `None` when its algorithm is not supported (see the module docs).
    #[must_use]
    pub fn key(&self) -> Option<&PublicKey> {
        self.key.as_ref()
    }

    /// The `keyDetails` the trusted root gives (e.g. `PKIX_ECDSA_P256_SHA_256`).
    #[must_use]
    pub fn key_details(&self) -> &str {
        &self.key_details
    }

    /// The log id (`logId.keyId`): for Rekor v1 and CT, SHA-256 of the key's DER SPKI.
    #[must_use]
    pub fn log_id(&self) -> &[u8] {
        &self.log_id
    }

    /// The signed-note key id of the log's checkpoints (`checkpointKeyId`), when given.
    #[must_use]
    pub fn checkpoint_key_id(&self) -> Option<&[u8]> {
        self.checkpoint_key_id.as_deref()
    }

    /// When the key is trusted.
    #[must_use]
    pub fn validity(&self) -> Validity {
        self.validity
    }
}

/// A certificate authority (Fulcio) or a timestamp authority: a chain and a validity window.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    uri: String,
    certificates: Vec<Vec<u8>>,
    validity: Validity,
}

impl CertificateAuthority {
    /// The authority's URI.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The DER certificates of the chain, leaf-most first, the root (trust anchor) last.
    #[must_use]
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// When the authority is trusted.
    #[must_use]
    pub fn validity(&self) -> Validity {
        self.validity
    }
}

/// Trust material for bundle verification (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct TrustedRoot {
    tlogs: Vec<TransparencyLog>,
    certificate_authorities: Vec<CertificateAuthority>,
    ctlogs: Vec<TransparencyLog>,
    timestamp_authorities: Vec<CertificateAuthority>,
}

impl TrustedRoot {
    /// A root that trusts nothing (add what you trust with the `with_` methods).
    #[must_use]
    pub fn empty() -> Self {
        TrustedRoot::default()
    }

    /// The Sigstore public-good production instance (Rekor v1 and its 2025 v2 log, Fulcio,
    /// CT logs, the timestamp authority), built from constants compiled into this crate: the
    /// offline default. Refresh by passing a current `trusted_root.json` to
    /// [`TrustedRoot::from_json`].
    #[must_use]
    pub fn public_good() -> Self {
        public_good::trusted_root()
    }

    /// Parses a `trusted_root.json` or a client trust configuration.
    ///
    /// # Errors
    /// [`TrustRootError`] naming the first problem.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustRootError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| TrustRootError::Json { source })?;
        let media_type = value
            .get("mediaType")
            .or_else(|| value.get("media_type"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let root = if media_type == CLIENT_TRUST_CONFIG_MEDIA_TYPE {
            value
                .get("trustedRoot")
                .or_else(|| value.get("trusted_root"))
                .cloned()
                .ok_or_else(|| invalid("trustedRoot", "missing"))?
        } else {
            value
        };
        let wire: RootWire =
            serde_json::from_value(root).map_err(|source| TrustRootError::Json { source })?;
        if !TRUSTED_ROOT_MEDIA_TYPES.contains(&wire.media_type.as_str()) {
            return Err(TrustRootError::UnsupportedMediaType {
                media_type: wire.media_type,
            });
        }
        let tlogs = wire
            .tlogs
            .into_iter()
            .enumerate()
            .map(|(i, log)| log.into_log(&format!("tlogs[{i}]")))
            .collect::<Result<_, _>>()?;
        let ctlogs = wire
            .ctlogs
            .into_iter()
            .enumerate()
            .map(|(i, log)| log.into_log(&format!("ctlogs[{i}]")))
            .collect::<Result<_, _>>()?;
        let certificate_authorities = wire
            .certificate_authorities
            .into_iter()
            .enumerate()
            .map(|(i, ca)| ca.into_authority(&format!("certificateAuthorities[{i}]")))
            .collect::<Result<_, _>>()?;
        let timestamp_authorities = wire
            .timestamp_authorities
            .into_iter()
            .enumerate()
            .map(|(i, ca)| ca.into_authority(&format!("timestampAuthorities[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(TrustedRoot {
            tlogs,
            certificate_authorities,
            ctlogs,
            timestamp_authorities,
        })
    }

    /// The Rekor logs.
    #[must_use]
    pub fn tlogs(&self) -> &[TransparencyLog] {
        &self.tlogs
    }

    /// The certificate authorities (Fulcio).
    #[must_use]
    pub fn certificate_authorities(&self) -> &[CertificateAuthority] {
        &self.certificate_authorities
    }

    /// The certificate-transparency logs.
    #[must_use]
    pub fn ctlogs(&self) -> &[TransparencyLog] {
        &self.ctlogs
    }

    /// The timestamp authorities.
    #[must_use]
    pub fn timestamp_authorities(&self) -> &[CertificateAuthority] {
        &self.timestamp_authorities
    }

    /// Adds a Rekor log trusted since `valid_since` (Unix seconds); its log id is SHA-256 of
    /// the key's SPKI, as for Rekor v1.
    #[must_use]
    pub fn with_tlog(
        mut self,
        base_url: impl Into<String>,
        key: PublicKey,
        valid_since: i64,
    ) -> Self {
        self.tlogs
            .push(TransparencyLog::from_key(base_url.into(), key, valid_since));
        self
    }

    /// Adds a certificate-transparency log trusted since `valid_since` (Unix seconds).
    #[must_use]
    pub fn with_ctlog(
        mut self,
        base_url: impl Into<String>,
        key: PublicKey,
        valid_since: i64,
    ) -> Self {
        self.ctlogs
            .push(TransparencyLog::from_key(base_url.into(), key, valid_since));
        self
    }

    /// Adds a certificate authority: DER certificates, leaf-most first, root last; valid at any
    /// time.
    #[must_use]
    pub fn with_certificate_authority(
        mut self,
        uri: impl Into<String>,
        certificates: Vec<Vec<u8>>,
    ) -> Self {
        self.certificate_authorities.push(CertificateAuthority {
            uri: uri.into(),
            certificates,
            validity: Validity::ALWAYS,
        });
        self
    }

    /// Adds a timestamp authority: DER certificates, signer first, root last; valid at any time.
    #[must_use]
    pub fn with_timestamp_authority(
        mut self,
        uri: impl Into<String>,
        certificates: Vec<Vec<u8>>,
    ) -> Self {
        self.timestamp_authorities.push(CertificateAuthority {
            uri: uri.into(),
            certificates,
            validity: Validity::ALWAYS,
        });
        self
    }

    /// The Rekor logs whose log id is `log_id`.
    pub(crate) fn tlogs_by_id<'a>(
        &'a self,
        log_id: &'a [u8],
    ) -> impl Iterator<Item = &'a TransparencyLog> + 'a {
        self.tlogs.iter().filter(move |log| log.log_id == log_id)
    }

    /// The CT logs whose log id is `log_id`.
    pub(crate) fn ctlogs_by_id<'a>(
        &'a self,
        log_id: &'a [u8],
    ) -> impl Iterator<Item = &'a TransparencyLog> + 'a {
        self.ctlogs.iter().filter(move |log| log.log_id == log_id)
    }
}

impl TransparencyLog {
    fn from_key(base_url: String, key: PublicKey, valid_since: i64) -> Self {
        TransparencyLog {
            base_url,
            key_details: String::new(),
            log_id: key.key_id().to_vec(),
            key: Some(key),
            checkpoint_key_id: None,
            validity: Validity {
                start: Some(time::from_unix(valid_since)),
                end: None,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Wire form (protojson: lowerCamelCase, snake_case accepted, unknown fields ignored).

fn decode_b64(field: &str, text: &str) -> Result<Vec<u8>, TrustRootError> {
    let engine = &base64::engine::general_purpose::STANDARD;
    engine
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
        .map_err(|e| invalid(field, format!("invalid base64: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootWire {
    #[serde(default, alias = "media_type")]
    media_type: String,
    #[serde(default)]
    tlogs: Vec<LogWire>,
    #[serde(default, alias = "certificate_authorities")]
    certificate_authorities: Vec<AuthorityWire>,
    #[serde(default)]
    ctlogs: Vec<LogWire>,
    #[serde(default, alias = "timestamp_authorities")]
    timestamp_authorities: Vec<AuthorityWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogWire {
    #[serde(default, alias = "base_url")]
    base_url: String,
    #[serde(default, alias = "hash_algorithm")]
    hash_algorithm: Option<String>,
    #[serde(default, alias = "public_key")]
    public_key: Option<KeyWire>,
    #[serde(default, alias = "log_id")]
    log_id: Option<KeyIdWire>,
    #[serde(default, alias = "checkpoint_key_id")]
    checkpoint_key_id: Option<KeyIdWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyWire {
    #[serde(default, alias = "raw_bytes")]
    raw_bytes: Option<String>,
    #[serde(default, alias = "key_details")]
    key_details: Option<String>,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<RangeWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyIdWire {
    #[serde(default, alias = "key_id")]
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct RangeWire {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityWire {
    #[serde(default)]
    uri: String,
    #[serde(default, alias = "cert_chain")]
    cert_chain: Option<ChainWire>,
    #[serde(default, alias = "valid_for")]
    valid_for: Option<RangeWire>,
}

#[derive(Deserialize)]
struct ChainWire {
    #[serde(default)]
    certificates: Vec<CertWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertWire {
    #[serde(default, alias = "raw_bytes")]
    raw_bytes: Option<String>,
}

impl RangeWire {
    fn parse(&self, field: &str, require_start: bool) -> Result<Validity, TrustRootError> {
        let at = |name: &str, text: &Option<String>| -> Result<Option<Nanos>, TrustRootError> {
            match text {
                None => Ok(None),
                Some(text) => time::parse_rfc3339(text).map(Some).ok_or_else(|| {
                    invalid(
                        format!("{field}.{name}"),
                        format!("not an RFC 3339 time: {text:?}"),
                    )
                }),
            }
        };
        let start = at("start", &self.start)?;
        let end = at("end", &self.end)?;
        if require_start && start.is_none() {
            return Err(invalid(
                format!("{field}.start"),
                "missing (required for log keys)",
            ));
        }
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(invalid(field, "ends before it starts"));
        }
        Ok(Validity { start, end })
    }
}

impl LogWire {
    fn into_log(self, field: &str) -> Result<TransparencyLog, TrustRootError> {
        if let Some(hash) = &self.hash_algorithm
            && hash != "SHA2_256"
        {
            return Err(invalid(
                format!("{field}.hashAlgorithm"),
                format!("unsupported {hash}"),
            ));
        }
        let key_field = format!("{field}.publicKey");
        let public_key = self
            .public_key
            .ok_or_else(|| invalid(&key_field, "missing"))?;
        let raw = public_key
            .raw_bytes
            .as_deref()
            .ok_or_else(|| invalid(format!("{key_field}.rawBytes"), "missing"))?;
        let raw = decode_b64(&format!("{key_field}.rawBytes"), raw)?;
        let details = public_key.key_details.as_deref().unwrap_or_default();
        let parsed = if details.starts_with("PKCS1_RSA") {
            PublicKey::from_pkcs1_rsa_der(&raw)
        } else {
            PublicKey::from_spki_der(&raw)
        };
        // `PKIX_RSA_PSS_*`: an RSA key whose signatures are PSS (sigstore-go's key details).
        let parsed = match parsed {
            Ok(key) if details.starts_with("PKIX_RSA_PSS") => Ok(key.with_rsa_pss()),
            other => other,
        };
        let key = match parsed {
            Ok(key) => Some(key),
            Err(KeyError::UnsupportedKeyType { .. }) => None,
            Err(e) => return Err(invalid(format!("{key_field}.rawBytes"), e.to_string())),
        };
        let validity = match &public_key.valid_for {
            Some(range) => range.parse(&format!("{key_field}.validFor"), true)?,
            None => {
                return Err(invalid(
                    format!("{key_field}.validFor"),
                    "missing (required for log keys)",
                ));
            }
        };
        let log_id = match self.log_id.and_then(|id| id.key_id) {
            Some(text) => decode_b64(&format!("{field}.logId.keyId"), &text)?,
            None => return Err(invalid(format!("{field}.logId.keyId"), "missing")),
        };
        let checkpoint_key_id = match self.checkpoint_key_id.and_then(|id| id.key_id) {
            Some(text) => Some(decode_b64(
                &format!("{field}.checkpointKeyId.keyId"),
                &text,
            )?),
            None => None,
        };
        Ok(TransparencyLog {
            base_url: self.base_url,
            key,
            key_details: public_key.key_details.unwrap_or_default(),
            log_id,
            checkpoint_key_id,
            validity,
        })
    }
}

impl AuthorityWire {
    fn into_authority(self, field: &str) -> Result<CertificateAuthority, TrustRootError> {
        let chain = self
            .cert_chain
            .ok_or_else(|| invalid(format!("{field}.certChain"), "missing"))?;
        if chain.certificates.is_empty() {
            return Err(invalid(format!("{field}.certChain"), "no certificates"));
        }
        let certificates = chain
            .certificates
            .into_iter()
            .enumerate()
            .map(|(i, cert)| {
                let f = format!("{field}.certChain.certificates[{i}].rawBytes");
                let text = cert.raw_bytes.ok_or_else(|| invalid(&f, "missing"))?;
                let der = decode_b64(&f, &text)?;
                crate::bundle::x509::Certificate::parse(&der)
                    .map_err(|reason| invalid(&f, reason))?;
                Ok(der)
            })
            .collect::<Result<Vec<_>, TrustRootError>>()?;
        let validity = match &self.valid_for {
            Some(range) => range.parse(&format!("{field}.validFor"), false)?,
            None => Validity::ALWAYS,
        };
        Ok(CertificateAuthority {
            uri: self.uri,
            certificates,
            validity,
        })
    }
}
