//! Writing signatures to a Rekor transparency log, and checking what the log answers before
//! it goes into a signature.
//!
//! [`Log`] is where to write: a Rekor v1 (`POST /api/v1/log/entries`) or v2
//! (`POST /api/v2/log/entries`) URL and the trusted root that lists the log's key. Signing
//! with [`crate::SignOptions::transparency_log`] (and the same option of attestations and
//! blobs) uploads each signature and verifies the answer with `boltseal-verify`: the log is
//! in the trusted root, its SET (Rekor v1) and inclusion proof with signed checkpoint (when
//! present; always for v2) verify, and the entry body records this signature, key and
//! content. An answer that fails any of this is [`crate::Error::TransparencyLog`], never a
//! signature.
//!
//! Entry kinds, as cosign 3 and sigstore-go write them: Rekor v1 `hashedrekord` 0.0.1 for
//! message signatures (simple-signing payloads, blobs) and `dsse` 0.0.1 for DSSE envelopes;
//! Rekor v2 `hashedrekord` / `dsse` 0.0.2.

mod rekor;

use std::sync::Arc;
use std::time::Duration;

use boltseal_envelope::bundle::{Bundle, Content, TransparencyLogEntry, VerificationMaterial};
use boltseal_envelope::dsse;
use boltseal_keys::PublicKey;
use boltseal_reference::Digest;
use boltseal_verify::bundle::{Artifact, Policy, Verifier};
use boltseal_verify::trust::TrustedRoot;

pub use boltseal_verify::trust::signing_config::SIGNING_CONFIG_MEDIA_TYPE;
pub use boltseal_verify::trust::{Service, ServiceKind, SigningConfig};

use crate::error::Error;

/// The Rekor API versions this crate writes to, best first.
const SUPPORTED_REKOR_VERSIONS: [u32; 2] = [2, 1];

/// The major version of a Rekor API.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekorVersion {
    /// `/api/v1/log/entries`: entries with a SET and an inclusion proof.
    V1,
    /// `/api/v2/log/entries`: tiled log, entries with an inclusion proof and checkpoint.
    V2,
}

/// A transparency log to write signatures to, with the trusted root its answers are checked
/// against.
#[derive(Debug, Clone)]
pub struct Log {
    url: String,
    version: RekorVersion,
    trust: Arc<TrustedRoot>,
    timeout: Duration,
    max_response: u64,
}

impl Log {
    /// The default time one upload may take: 30 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default bound on an answer's size: 1 MiB.
    pub const DEFAULT_MAX_RESPONSE: u64 = 1 << 20;

    /// A log at `url` (its base, e.g. `https://rekor.sigstore.dev`) speaking `version`, whose
    /// key `trust` lists.
    #[must_use]
    pub fn new(url: impl Into<String>, version: RekorVersion, trust: TrustedRoot) -> Self {
        Log {
            url: url.into().trim_end_matches('/').to_owned(),
            version,
            trust: Arc::new(trust),
            timeout: Self::DEFAULT_TIMEOUT,
            max_response: Self::DEFAULT_MAX_RESPONSE,
        }
    }

    /// The log the signing configuration selects now, as sigstore-go selects it
    /// ([`SigningConfig::select`]: valid now, the highest of Rekor API versions 2 and 1, the
    /// first listed).
    ///
    /// # Errors
    /// [`Error::SigningConfig`] when it lists no log valid now with API version 1 or 2.
    pub fn from_signing_config(config: &SigningConfig, trust: TrustedRoot) -> Result<Self, Error> {
        let chosen = config
            .select(
                ServiceKind::TransparencyLog,
                &SUPPORTED_REKOR_VERSIONS,
                boltseal_core::Timestamp::now(),
            )
            .map_err(|e| Error::SigningConfig {
                reason: e.to_string(),
            })?;
        let service = chosen.first().ok_or_else(|| Error::SigningConfig {
            reason: "it lists no transparency log (Rekor API v1 or v2) valid now".to_owned(),
        })?;
        let version = if service.major_api_version == 2 {
            RekorVersion::V2
        } else {
            RekorVersion::V1
        };
        Ok(Self::new(service.url.clone(), version, trust))
    }

    /// The log that the signing configuration file selects now, checked against the trusted
    /// root file (`--signing-config F --trusted-root F`).
    ///
    /// # Errors
    /// [`Error::SigningConfig`] when a file cannot be read or parsed, or names no usable log.
    pub fn from_files(
        signing_config: &std::path::Path,
        trusted_root: &std::path::Path,
    ) -> Result<Self, Error> {
        let read = |path: &std::path::Path| {
            // Both files are small JSON documents; a larger one is not a configuration.
            let bytes = std::fs::read(path).map_err(|e| Error::SigningConfig {
                reason: format!("{}: {e}", path.display()),
            })?;
            if bytes.len() > 4 << 20 {
                return Err(Error::SigningConfig {
                    reason: format!("{}: larger than 4 MiB", path.display()),
                });
            }
            Ok(bytes)
        };
        let at = |path: &std::path::Path, e: &dyn std::fmt::Display| Error::SigningConfig {
            reason: format!("{}: {e}", path.display()),
        };
        let config =
            SigningConfig::from_json(&read(signing_config)?).map_err(|e| at(signing_config, &e))?;
        let trust =
            TrustedRoot::from_json(&read(trusted_root)?).map_err(|e| at(trusted_root, &e))?;
        Self::from_signing_config(&config, trust).map_err(|e| at(signing_config, &e))
    }

    /// Replaces the time one upload may take (connecting, sending, reading the answer).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the bound on an answer's size.
    #[must_use]
    pub fn max_response(mut self, bytes: u64) -> Self {
        self.max_response = bytes;
        self
    }

    /// The log's base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The log's API version.
    #[must_use]
    pub fn version(&self) -> RekorVersion {
        self.version
    }

    /// The trusted root its answers are checked against.
    #[must_use]
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.trust
    }

    fn error(&self, reason: impl Into<String>) -> Error {
        Error::TransparencyLog {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }

    /// Logs a message signature over data with SHA-256 `digest` and returns the verified
    /// entry.
    pub(crate) async fn log_message(
        &self,
        digest: &Digest,
        signature: &[u8],
        key: &PublicKey,
    ) -> Result<TransparencyLogEntry, Error> {
        let sha256: [u8; 32] = boltseal_core::hex::decode_array(digest.encoded())
            .map_err(|_| self.error("only SHA-256 digests can be logged"))?;
        let request = rekor::message_request(self.version, &sha256, signature, key);
        let entry = self.upload(&request).await?;
        let material = VerificationMaterial::public_key(key.hint()).with_tlog_entry(entry.clone());
        let content = Content::MessageSignature(
            boltseal_envelope::bundle::MessageSignature::new(signature.to_vec()).with_digest(
                boltseal_envelope::bundle::HashAlgorithm::Sha2_256,
                sha256.to_vec(),
            ),
        );
        self.check(
            &Bundle::new(material, content),
            &Artifact::Digest(*digest),
            key,
        )?;
        Ok(entry)
    }

    /// Logs a signed DSSE envelope (one signature) about `subject` and returns the verified
    /// entry.
    pub(crate) async fn log_envelope(
        &self,
        envelope: &dsse::Envelope,
        subject: &Digest,
        key: &PublicKey,
    ) -> Result<TransparencyLogEntry, Error> {
        let request = rekor::envelope_request(self.version, envelope, key);
        let entry = self.upload(&request).await?;
        let material = VerificationMaterial::public_key(key.hint()).with_tlog_entry(entry.clone());
        let bundle = Bundle::new(material, Content::DsseEnvelope(envelope.clone()));
        self.check(&bundle, &Artifact::Digest(*subject), key)?;
        Ok(entry)
    }

    async fn upload(&self, request: &serde_json::Value) -> Result<TransparencyLogEntry, Error> {
        let path = match self.version {
            RekorVersion::V1 => "/api/v1/log/entries",
            RekorVersion::V2 => "/api/v2/log/entries",
        };
        let body = rekor::post(
            &format!("{}{path}", self.url),
            request,
            self.timeout,
            self.max_response,
        )
        .await
        .map_err(|reason| self.error(reason))?;
        match self.version {
            RekorVersion::V1 => rekor::parse_v1(&body),
            RekorVersion::V2 => rekor::parse_v2(&body),
        }
        .map_err(|reason| self.error(format!("the log's answer is not an entry: {reason}")))
    }

    /// The entry must verify as boltseal-verify checks a bundle carrying it: same checks,
    /// same code.
    fn check(
        &self,
        bundle: &Bundle,
        artifact: &Artifact<'_>,
        key: &PublicKey,
    ) -> Result<(), Error> {
        Verifier::new(&self.trust)
            .verify(
                bundle,
                artifact,
                &Policy::key(key.clone()).with_tlog_threshold(1),
            )
            .map(|_| ())
            .map_err(|e| self.error(format!("the log's answer does not verify: {e}")))
    }
}

/// cosign's legacy `dev.sigstore.cosign/bundle` annotation for a Rekor v1 entry (which has a
/// SET) that `log` returned, checked as verifiers of the legacy layout check it.
pub(crate) fn rekor_bundle_annotation(
    entry: &TransparencyLogEntry,
    log: &Log,
) -> Result<String, Error> {
    let url = log.url();
    let set = entry
        .inclusion_promise
        .as_ref()
        .map(|p| p.signed_entry_timestamp.clone())
        .ok_or_else(|| Error::TransparencyLog {
            url: url.to_owned(),
            reason: "the entry has no SET (Rekor v2), which the legacy layout's \
                     dev.sigstore.cosign/bundle annotation needs; sign in the bundle format"
                .to_owned(),
        })?;
    let log_id = entry
        .log_id
        .as_ref()
        .map(|id| boltseal_core::hex::encode(&id.key_id))
        .unwrap_or_default();
    let payload = boltseal_envelope::bundle::RekorPayload::new(
        &entry.canonicalized_body,
        entry.integrated_time,
        entry.log_index,
        log_id,
    );
    let annotation = boltseal_envelope::bundle::RekorBundle::new(set, payload);
    boltseal_verify::bundle::verify_rekor_bundle(&annotation, log.trusted_root())
        .map_err(|e| log.error(format!("the Rekor bundle annotation does not verify: {e}")))?;
    Ok(String::from_utf8_lossy(&annotation.to_bytes()).into_owned())
}
