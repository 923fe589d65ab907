//! Signatures and attestations of container images, verified with public keys.
//!
//! The core is sync and sans-I/O: [`verify_signature_layers`] and [`verify_attestation_layers`]
//! check layers already fetched (from a registry, a layout, or a containers/image `dir:` image).
//! [`check_key_signatures`] and the other `check_*` functions check an image's
//! [`Evidence`] — its legacy `sha256-<hex>.sig`/`.att` layers and Sigstore bundle referrers —
//! as `boltseal-evidence` reads it from a store with bounded reads.
//!
//! What a signature must satisfy to count: the signature verifies with the key over the exact
//! payload bytes; the payload is a cosign simple-signing document (or an in-toto statement in a
//! DSSE envelope) naming the digest the tag resolved to; every required annotation is present
//! with the same value; optionally the identity matches; and when a Rekor key is configured, the
//! legacy `dev.sigstore.cosign/bundle` SET verifies and binds this signature. Layers are never
//! deduplicated by digest (identical payloads may carry different signatures); any layer that
//! fails is reported with its reason, and the image verifies only if at least one layer passes.

use std::collections::BTreeMap;

use crate::evidence::{Evidence, EvidenceLimits};
use base64::Engine as _;
use boltseal_envelope::bundle::{Bundle, Content, RekorBundle, VerificationContent};
use boltseal_envelope::dsse;
use boltseal_envelope::intoto::Statement;
use boltseal_envelope::predicate;
use boltseal_envelope::simple_signing::SimpleSigning;
use boltseal_keys::{Backend, PublicKey};
use boltseal_reference::{Digest, Reference, media_type};
use serde_json::Value;
use sha2::Digest as _;

/// Legacy signature annotation: standard base64 of the DER signature.
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Legacy annotation carrying cosign's Rekor bundle (SET + entry).
pub const ANNOTATION_REKOR_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// At most this many signature layers or referrers are read (cosign reads 1000).
pub const MAX_SIGNATURES: usize = 1000;
/// Simple-signing payloads and DSSE envelopes larger than this are refused.
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;
/// Sigstore bundles larger than this are refused (they carry certificates and proofs).
pub const MAX_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;

/// A signature verification failed. The reason is for people; callers branch on success only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct VerifyError {
    reason: String,
    unavailable: bool,
}

impl VerifyError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        VerifyError {
            reason: reason.into(),
            unavailable: false,
        }
    }

    /// A refusal: evidence was read and does not verify.
    #[must_use]
    pub fn refused(reason: impl Into<String>) -> Self {
        Self::new(reason)
    }

    /// Evidence that could not be read at all (a registry or the network failed).
    #[must_use]
    pub fn unavailable(reason: impl Into<String>) -> Self {
        VerifyError {
            reason: reason.into(),
            unavailable: true,
        }
    }

    /// Why verification failed, one line.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether the evidence could not be read at all (the registry or the network failed), as
    /// opposed to evidence that was read and does not verify. Policy engines treat the first as
    /// an error their failure policy decides, the second as a failure.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

/// How the signing identity (`docker-reference`) is checked. cosign does not check it;
/// containers/image does (`matchRepoDigestOrExact` by default).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IdentityCheck {
    /// Not checked (cosign's behaviour).
    #[default]
    Ignore,
    /// The payload names exactly this reference (repository and tag).
    Exact(Reference),
    /// The payload names this repository, with any tag or none.
    SameRepository(String),
}

/// What a key-based verification requires.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    /// The keys; a signature by any of them counts.
    pub keys: Vec<PublicKey>,
    /// Annotations that must be present with these values (`-a k=v`).
    pub annotations: BTreeMap<String, String>,
    /// The identity check.
    pub identity: IdentityCheck,
    /// When not empty, a transparency-log entry is required: legacy signatures and attestations
    /// must carry a Rekor bundle whose SET verifies with one of these keys and whose entry
    /// records this payload, signature and key (bundles are refused: their log entries are not
    /// checked against these keys).
    pub rekor_keys: Vec<PublicKey>,
    /// The ECDSA implementation that checks signatures ([`Backend::DEFAULT`] unless set);
    /// every backend gives the same answers.
    pub backend: Backend,
}

impl KeyPolicy {
    /// Signatures by `key`, no annotations, no identity check, no transparency log.
    #[must_use]
    pub fn new(key: PublicKey) -> Self {
        KeyPolicy {
            keys: vec![key],
            annotations: BTreeMap::new(),
            identity: IdentityCheck::Ignore,
            rekor_keys: Vec::new(),
            backend: Backend::DEFAULT,
        }
    }

    /// Verifies signatures with `backend` (`p256`, or AWS-LC with the `aws-lc` feature).
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Also accepts signatures by `key`.
    #[must_use]
    pub fn or_key(mut self, key: PublicKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Requires an annotation.
    #[must_use]
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets the identity check.
    #[must_use]
    pub fn identity(mut self, check: IdentityCheck) -> Self {
        self.identity = check;
        self
    }

    /// Requires a transparency-log entry whose SET verifies with `key` (or another key given
    /// this way).
    #[must_use]
    pub fn rekor_key(mut self, key: PublicKey) -> Self {
        self.rekor_keys.push(key);
        self
    }

    fn verify_any(&self, message: &[u8], signature: &[u8]) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|k| k.verify_der_with(self.backend, message, signature).is_ok())
    }
}

/// One layer of a legacy `.sig` or `.att` manifest: media type, blob and annotations.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureLayer {
    /// The layer's media type.
    pub media_type: String,
    /// The layer blob (payload or DSSE envelope).
    pub blob: Vec<u8>,
    /// The layer descriptor's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl SignatureLayer {
    /// A layer.
    #[must_use]
    pub fn new(
        media_type: impl Into<String>,
        blob: Vec<u8>,
        annotations: BTreeMap<String, String>,
    ) -> Self {
        SignatureLayer {
            media_type: media_type.into(),
            blob,
            annotations,
        }
    }
}

/// Where a verified signature was found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A layer of the `sha256-<hex>.sig` / `.att` tag.
    Legacy,
    /// A Sigstore bundle referrer.
    Bundle,
}

/// Who a verified signature is from.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// One of the policy's public keys.
    Key(PublicKey),
    /// A Fulcio certificate whose identity matched (keyless).
    Certificate {
        /// The certificate's subject alternative names.
        subject_alternative_names: Vec<String>,
        /// The OIDC issuer recorded in it.
        issuer: Option<String>,
    },
}

/// A signature that verified.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    /// Where it was found.
    pub layout: Layout,
    /// The signed payload as JSON: the simple-signing document (legacy) or the in-toto
    /// statement (bundle).
    pub payload: Value,
    /// Who signed it.
    pub signer: Signer,
}

/// An attestation that verified.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct VerifiedAttestation {
    /// Where it was found.
    pub layout: Layout,
    /// The statement.
    pub statement: Statement,
    /// The statement as JSON, as signed.
    pub statement_json: Value,
    /// Who signed it: one of the policy's keys, or a Fulcio certificate whose identity matched.
    pub signer: Signer,
}

/// The result of verifying an image.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct VerifiedImage<T> {
    /// The digest the reference resolved to (once).
    pub digest: Digest,
    /// What verified.
    pub verified: Vec<T>,
    /// Layers or referrers that did not verify, with reasons (for diagnostics).
    pub rejected: Vec<String>,
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

fn check_identity(check: &IdentityCheck, docker_reference: &str) -> Result<(), String> {
    match check {
        IdentityCheck::Ignore => Ok(()),
        IdentityCheck::Exact(want) => {
            let got = Reference::parse(docker_reference)
                .map_err(|e| format!("identity {docker_reference:?} is not a reference: {e}"))?;
            if got == *want {
                Ok(())
            } else {
                Err(format!("identity {got} is not {want}"))
            }
        }
        IdentityCheck::SameRepository(repo) => {
            let got = Reference::parse(docker_reference)
                .map_err(|e| format!("identity {docker_reference:?} is not a reference: {e}"))?;
            let want = Reference::parse(repo)
                .map(|r| r.repository_name())
                .unwrap_or_else(|_| repo.clone());
            if got.repository_name() == want {
                Ok(())
            } else {
                Err(format!("identity {got} is not in repository {want}"))
            }
        }
    }
}

/// Checks a legacy Rekor bundle annotation: the SET verifies with the Rekor key, and the entry
/// (hashedrekord) binds this signature, this payload and this key.
/// The layer's Rekor bundle, its SET verified with one of `rekor_keys`.
fn verified_rekor_bundle(
    layer: &SignatureLayer,
    rekor_keys: &[PublicKey],
    backend: Backend,
) -> Result<RekorBundle, String> {
    let text = layer
        .annotations
        .get(ANNOTATION_REKOR_BUNDLE)
        .ok_or("no Rekor bundle annotation, but a transparency-log entry is required")?;
    let bundle = RekorBundle::parse(text.as_bytes()).map_err(|e| format!("Rekor bundle: {e}"))?;
    let canonical = bundle.payload.canonical_bytes();
    if !rekor_keys.iter().any(|k| {
        k.verify_der_with(backend, &canonical, &bundle.signed_entry_timestamp)
            .is_ok()
    }) {
        return Err("Rekor SET does not verify with the Rekor key".to_owned());
    }
    Ok(bundle)
}

/// A key-signed bundle's log entry, when the policy requires one: an entry of the bundle is in
/// a log whose key is one of the policy's Rekor keys (SET, or inclusion proof and checkpoint)
/// and records this envelope, its signature by `signer`, and that key.
fn check_bundle_tlog(
    bundle: &Bundle,
    envelope: &dsse::Envelope,
    signer: &PublicKey,
    policy: &KeyPolicy,
) -> Result<(), String> {
    if policy.rekor_keys.is_empty() {
        return Ok(());
    }
    let logs = policy
        .rekor_keys
        .iter()
        .filter_map(|k| crate::trust::PublicKey::from_spki_der(&k.to_spki_der()).ok())
        .fold(crate::trust::TrustedRoot::empty(), |root, k| {
            root.with_tlog("rekor", k, 0)
        });
    let pae = envelope.pae();
    let signature = envelope
        .signatures
        .iter()
        .find(|s| signer.verify_der_with(policy.backend, &pae, &s.sig).is_ok())
        .ok_or("envelope signature does not verify with the key")?;
    crate::bundle::check_key_bundle_entries(
        &bundle.verification_material.tlog_entries,
        &logs,
        &signature.sig,
        &signer.to_spki_der(),
        envelope,
    )
    .map_err(|e| format!("a transparency-log entry is required: {e}"))
}

/// A key-signed legacy attestation's log entry: the SET verifies with one of `rekor_keys` and
/// the entry (`intoto` or `dsse`) records this envelope, its signature by `signer`, and that key.
fn check_rekor_attestation(
    layer: &SignatureLayer,
    envelope: &dsse::Envelope,
    signer: &PublicKey,
    rekor_keys: &[PublicKey],
    backend: Backend,
) -> Result<(), String> {
    let bundle = verified_rekor_bundle(layer, rekor_keys, backend)?;
    let pae = envelope.pae();
    let signature = envelope
        .signatures
        .iter()
        .find(|s| signer.verify_der_with(backend, &pae, &s.sig).is_ok())
        .ok_or("envelope signature does not verify with the key")?;
    let body = bundle
        .payload
        .body_bytes()
        .map_err(|e| format!("Rekor entry body: {e}"))?;
    crate::bundle::check_logged_envelope_by_key(
        &body,
        &signature.sig,
        &signer.to_spki_der(),
        envelope,
        &pae,
    )
    .map_err(|e| format!("Rekor entry: {e}"))
}

fn check_rekor_bundle(
    layer: &SignatureLayer,
    signature_b64: &str,
    rekor_keys: &[PublicKey],
    signer: &PublicKey,
    backend: Backend,
) -> Result<(), String> {
    let bundle = verified_rekor_bundle(layer, rekor_keys, backend)?;
    let body = bundle
        .payload
        .body_bytes()
        .map_err(|e| format!("Rekor entry body: {e}"))?;
    let entry: Value =
        serde_json::from_slice(&body).map_err(|e| format!("Rekor entry body is not JSON: {e}"))?;
    if entry["kind"] != "hashedrekord" {
        return Err(format!(
            "Rekor entry kind {} is not hashedrekord",
            entry["kind"]
        ));
    }
    let spec = &entry["spec"];
    let hash = hex_lower(&sha2::Sha256::digest(&layer.blob));
    if spec["data"]["hash"]["algorithm"] != "sha256" || spec["data"]["hash"]["value"] != hash {
        return Err("Rekor entry is for another payload".to_owned());
    }
    let logged_sig = spec["signature"]["content"].as_str().and_then(b64_decode);
    if logged_sig != b64_decode(signature_b64) {
        return Err("Rekor entry is for another signature".to_owned());
    }
    let logged_key = spec["signature"]["publicKey"]["content"]
        .as_str()
        .and_then(b64_decode)
        .and_then(|pem| PublicKey::from_pem(&pem).ok());
    if logged_key.as_ref() != Some(signer) {
        return Err("Rekor entry is for another key".to_owned());
    }
    Ok(())
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checks every legacy signature layer needs before its signature is looked at: the media
/// type, the payload size, and the signature annotation. Returns the annotation and its bytes.
fn layer_signature(layer: &SignatureLayer) -> Result<(&str, Vec<u8>), String> {
    if layer.media_type != media_type::COSIGN_SIMPLE_SIGNING {
        return Err(format!(
            "media type {} is not a signature",
            layer.media_type
        ));
    }
    if layer.blob.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(format!("payload larger than {MAX_PAYLOAD_BYTES} bytes"));
    }
    let sig_b64 = layer
        .annotations
        .get(ANNOTATION_SIGNATURE)
        .ok_or("no signature annotation")?;
    let signature = b64_decode(sig_b64).ok_or("signature annotation is not base64")?;
    Ok((sig_b64.as_str(), signature))
}

/// The checks on a payload whose signature verified: it is a simple-signing document about
/// `digest` carrying every required annotation.
fn check_payload(
    digest: &Digest,
    blob: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<SimpleSigning, String> {
    let payload = SimpleSigning::parse(blob).map_err(|e| e.to_string())?;
    if payload.manifest_digest != *digest {
        return Err(format!(
            "payload signs {}, not the image {digest}",
            payload.manifest_digest
        ));
    }
    for (k, v) in annotations {
        if payload.annotation(k) != Some(v.as_str()) {
            return Err(format!("annotation {k}={v} not signed"));
        }
    }
    Ok(payload)
}

fn verify_simple_signing_layer(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeyPolicy,
) -> Result<VerifiedSignature, String> {
    let (sig_b64, signature) = layer_signature(layer)?;
    // What the payload says is checked before any signature arithmetic: a payload about
    // another image, or without the annotations, fails either way.
    let payload = check_payload(digest, &layer.blob, &policy.annotations)?;
    check_identity(&policy.identity, &payload.docker_reference)?;
    let key = policy
        .verify_any(&layer.blob, &signature)
        .ok_or("signature does not verify with the key")?;
    if !policy.rekor_keys.is_empty() {
        check_rekor_bundle(layer, sig_b64, &policy.rekor_keys, key, policy.backend)?;
    }
    let json = serde_json::from_slice(&layer.blob).map_err(|e| e.to_string())?;
    Ok(VerifiedSignature {
        layout: Layout::Legacy,
        payload: json,
        signer: Signer::Key(*key),
    })
}

/// Checks each layer with `check`, collecting what verified and why the rest did not, without
/// failing yet (bundle referrers may still verify). Refuses more than [`MAX_SIGNATURES`] layers.
fn check_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    check: impl Fn(&SignatureLayer) -> Result<VerifiedSignature, String>,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    if layers.len() > MAX_SIGNATURES {
        return Err(VerifyError::new(format!(
            "{} signature layers: more than the {MAX_SIGNATURES} boltseal reads",
            layers.len()
        )));
    }
    let mut out = VerifiedImage {
        digest: *digest,
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    for (i, layer) in layers.iter().enumerate() {
        match check(layer) {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("signature {i}: {reason}")),
        }
    }
    Ok(out)
}

/// Verifies legacy signature layers of the image `digest` (sync, no I/O).
///
/// # Errors
/// [`VerifyError`] when no layer verifies, naming each layer's failure.
pub fn verify_signature_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeyPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let out = check_layers(digest, layers, |l| {
        verify_simple_signing_layer(digest, l, policy)
    })?;
    finish(out, "signatures")
}

fn finish<T>(out: VerifiedImage<T>, what: &str) -> Result<VerifiedImage<T>, VerifyError> {
    if out.verified.is_empty() {
        let reasons = if out.rejected.is_empty() {
            format!("no {what} found")
        } else {
            summarize(&out.rejected)
        };
        return Err(VerifyError::new(format!(
            "no valid {what} for {}: {reasons}",
            out.digest
        )));
    }
    Ok(out)
}

/// At most this many reasons are spelled out in a refusal; the rest are counted.
const REASONS_SHOWN: usize = 3;

/// The first few reasons, joined, and how many more there were (a refusal's message stays
/// short whatever the number of signatures an attacker attaches).
pub(crate) fn summarize(reasons: &[String]) -> String {
    let shown = reasons.len().min(REASONS_SHOWN);
    let mut text = reasons[..shown].join("; ");
    if reasons.len() > shown {
        text.push_str(&format!("; and {} more", reasons.len() - shown));
    }
    text
}

/// Refuses an envelope with more signatures than `limits` allows, before any is checked.
fn check_signature_count(envelope: &dsse::Envelope, limits: &EvidenceLimits) -> Result<(), String> {
    if envelope.signatures.len() > limits.max_envelope_signatures {
        return Err(format!(
            "envelope has {} signatures, more than the limit of {}",
            envelope.signatures.len(),
            limits.max_envelope_signatures
        ));
    }
    Ok(())
}

/// Checks a DSSE envelope with the key policy and returns the statement about `digest`. The
/// statement (subject digest, annotations) is checked before the signatures: either failing
/// refuses the envelope.
fn verify_envelope(
    digest: &Digest,
    envelope: &dsse::Envelope,
    policy: &KeyPolicy,
    limits: &EvidenceLimits,
) -> Result<(Statement, Value, PublicKey), String> {
    if envelope.payload_type != dsse::PAYLOAD_TYPE_IN_TOTO {
        return Err(format!(
            "payload type {} is not in-toto",
            envelope.payload_type
        ));
    }
    check_signature_count(envelope, limits)?;
    let (statement, json) = check_statement(digest, &envelope.payload, &policy.annotations)?;
    let pae = envelope.pae();
    let key = envelope
        .signatures
        .iter()
        .find_map(|s| policy.verify_any(&pae, &s.sig))
        .ok_or("envelope signature does not verify with the key")?;
    Ok((statement, json, *key))
}

/// The checks on a signed in-toto statement: it parses, a subject has the image digest, and
/// that subject carries every required annotation. Returns the statement and its JSON.
fn check_statement(
    digest: &Digest,
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<(Statement, Value), String> {
    let statement = Statement::parse(payload).map_err(|e| e.to_string())?;
    if !statement.matches_digest(digest) {
        return Err(format!("statement is not about the image {digest}"));
    }
    check_subject_annotations(&statement, digest, annotations)?;
    let json = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((statement, json))
}

/// Every required annotation is carried by a subject that names the image digest (an
/// annotation on another subject of the same statement vouches for nothing about this image).
fn check_subject_annotations(
    statement: &Statement,
    digest: &Digest,
    annotations: &BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in annotations {
        let found = statement.subject.iter().any(|s| {
            s.matches_digest(digest)
                && s.annotations
                    .as_ref()
                    .and_then(|a| a.get(k))
                    .and_then(Value::as_str)
                    == Some(v.as_str())
        });
        if !found {
            return Err(format!("annotation {k}={v} not signed"));
        }
    }
    Ok(())
}

/// The checks every legacy attestation layer needs first: the media type, the size, and a DSSE
/// envelope with an in-toto payload.
fn attestation_envelope(layer: &SignatureLayer) -> Result<dsse::Envelope, String> {
    if layer.media_type != media_type::DSSE_ENVELOPE {
        return Err(format!(
            "media type {} is not a DSSE envelope",
            layer.media_type
        ));
    }
    if layer.blob.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(format!("envelope larger than {MAX_PAYLOAD_BYTES} bytes"));
    }
    dsse::Envelope::parse(&layer.blob).map_err(|e| e.to_string())
}

/// Verifies legacy attestation layers (DSSE envelopes) of `digest`, keeping statements whose
/// predicate type is `predicate_type` (`None`: any).
///
/// # Errors
/// [`VerifyError`] when no attestation verifies.
pub fn verify_attestation_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeyPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    attestation_layers(
        digest,
        layers,
        policy,
        predicate_type,
        &EvidenceLimits::default(),
    )
}

fn attestation_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeyPolicy,
    predicate_type: Option<&str>,
    limits: &EvidenceLimits,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    if layers.len() > MAX_SIGNATURES {
        return Err(VerifyError::new(format!(
            "{} attestation layers: more than the {MAX_SIGNATURES} boltseal reads",
            layers.len()
        )));
    }
    let mut out = VerifiedImage {
        digest: *digest,
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    for (i, layer) in layers.iter().enumerate() {
        let result = attestation_envelope(layer).and_then(|envelope| {
            let verified = verify_envelope(digest, &envelope, policy, limits)?;
            if !policy.rekor_keys.is_empty() {
                check_rekor_attestation(
                    layer,
                    &envelope,
                    &verified.2,
                    &policy.rekor_keys,
                    policy.backend,
                )?;
            }
            Ok(verified)
        });
        match result {
            Ok((statement, json, key)) => out.verified.push(VerifiedAttestation {
                layout: Layout::Legacy,
                statement,
                statement_json: json,
                signer: Signer::Key(key),
            }),
            Err(reason) => out.rejected.push(format!("attestation {i}: {reason}")),
        }
    }
    filter_type(&mut out, predicate_type);
    finish(out, "attestations")
}

fn filter_type(out: &mut VerifiedImage<VerifiedAttestation>, predicate_type: Option<&str>) {
    if let Some(t) = predicate_type {
        let (keep, drop): (Vec<_>, Vec<_>) = std::mem::take(&mut out.verified)
            .into_iter()
            .partition(|a| a.statement.predicate_type == t);
        for a in drop {
            out.rejected.push(format!(
                "attestation of type {} is not {t}",
                a.statement.predicate_type
            ));
        }
        out.verified = keep;
    }
}

/// Checks the key hint of a bundle against the policy's keys (a bundle for another key is
/// reported as such rather than as a bad signature), and refuses bundles for policies they
/// cannot satisfy: a bundle statement names no `docker-reference`, so an identity check cannot
/// pass.
fn check_hint(bundle: &Bundle, policy: &KeyPolicy) -> Result<(), String> {
    if policy.identity != IdentityCheck::Ignore {
        return Err("bundle signatures carry no signed identity to check".to_owned());
    }
    match &bundle.verification_material.content {
        VerificationContent::PublicKey { hint } if !hint.is_empty() => {
            if policy.keys.iter().any(|k| k.hint() == *hint) {
                Ok(())
            } else {
                Err(format!("signed by another key (hint {hint})"))
            }
        }
        VerificationContent::PublicKey { .. } => Ok(()),
        _ => Err("signed with a certificate (keyless); verify with an identity".to_owned()),
    }
}

/// The signatures in `ev` that verify with a key policy: legacy layers and Sigstore bundles
/// (DSSE statements of type `https://sigstore.dev/cosign/sign/v1`).
///
/// # Errors
/// [`VerifyError`] when nothing verifies, with the first reasons.
pub fn check_key_signatures(
    ev: &Evidence,
    policy: &KeyPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let digest = ev.digest;
    let mut out = check_layers(&digest, &ev.layers, |l| {
        verify_simple_signing_layer(&digest, l, policy)
    })?;
    out.rejected.extend(ev.rejected.iter().cloned());
    for (at, bundle) in &ev.bundles {
        let result = (|| {
            check_hint(bundle, policy)?;
            let Content::DsseEnvelope(env) = &bundle.content else {
                return Err("message-signature bundle: not an image signature".to_owned());
            };
            let (statement, json, key) = verify_envelope(&digest, env, policy, &ev.limits)?;
            check_bundle_tlog(bundle, env, &key, policy)?;
            if statement.predicate_type != predicate::COSIGN_SIGN_V1 {
                return Err(format!(
                    "an attestation ({}), not a signature",
                    statement.predicate_type
                ));
            }
            Ok(VerifiedSignature {
                layout: Layout::Bundle,
                payload: json,
                signer: Signer::Key(key),
            })
        })();
        match result {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("bundle {at}: {reason}")),
        }
    }
    finish(out, "signatures")
}

/// The attestations in `ev` that verify with a key policy, keeping statements of
/// `predicate_type` (`None`: any).
///
/// # Errors
/// [`VerifyError`] when nothing verifies or nothing has the predicate type.
pub fn check_key_attestations(
    ev: &Evidence,
    policy: &KeyPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    let digest = ev.digest;
    let mut out = VerifiedImage {
        digest,
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    if !ev.layers.is_empty() {
        match attestation_layers(&digest, &ev.layers, policy, None, &ev.limits) {
            Ok(v) => {
                out.verified = v.verified;
                out.rejected = v.rejected;
            }
            Err(e) => out.rejected.push(e.reason().to_owned()),
        }
    }
    out.rejected.extend(ev.rejected.iter().cloned());
    for (at, bundle) in &ev.bundles {
        let result = (|| {
            check_hint(bundle, policy)?;
            let Content::DsseEnvelope(env) = &bundle.content else {
                return Err("message-signature bundle: not an attestation".to_owned());
            };
            let (statement, json, key) = verify_envelope(&digest, env, policy, &ev.limits)?;
            check_bundle_tlog(bundle, env, &key, policy)?;
            if statement.predicate_type == predicate::COSIGN_SIGN_V1 {
                return Err("a signature, not an attestation".to_owned());
            }
            Ok(VerifiedAttestation {
                layout: Layout::Bundle,
                statement,
                statement_json: json,
                signer: Signer::Key(key),
            })
        })();
        match result {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("bundle {at}: {reason}")),
        }
    }
    filter_type(&mut out, predicate_type);
    finish(out, "attestations")
}

/// What a keyless (Fulcio certificate) verification requires.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct KeylessPolicy {
    /// Accepted identities (certificate SAN and OIDC issuer); any of them counts.
    pub identities: Vec<crate::bundle::Identity>,
    /// Annotations that must be present with these values.
    pub annotations: BTreeMap<String, String>,
    /// Fulcio CAs, Rekor logs, CT logs and timestamp authorities.
    pub trust: std::sync::Arc<crate::trust::TrustedRoot>,
}

impl KeylessPolicy {
    /// Signatures by `identity`, checked against `trust`.
    #[must_use]
    pub fn new(identity: crate::bundle::Identity, trust: crate::trust::TrustedRoot) -> Self {
        KeylessPolicy {
            identities: vec![identity],
            annotations: BTreeMap::new(),
            trust: std::sync::Arc::new(trust),
        }
    }

    /// Requires an annotation.
    #[must_use]
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    fn bundle_policy(&self) -> crate::bundle::Policy {
        crate::bundle::Policy::any_identity(self.identities.clone())
    }
}

/// Legacy annotation carrying the signing certificate (PEM) of keyless signatures.
pub const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";

fn signer_of(v: crate::bundle::VerifiedSigner) -> Signer {
    match v {
        crate::bundle::VerifiedSigner::Certificate {
            subject_alternative_names,
            issuer,
            ..
        } => Signer::Certificate {
            subject_alternative_names,
            issuer,
        },
        // A keyless policy never yields a key signer; nothing else is reachable.
        crate::bundle::VerifiedSigner::Key { .. } => Signer::Certificate {
            subject_alternative_names: Vec::new(),
            issuer: None,
        },
    }
}

/// A keyless legacy layer: the Rekor SET gives the signing time, the certificate must chain to
/// a Fulcio CA at that time with a matching identity, its key must verify the signature, and the
/// log entry must record this payload, signature and certificate.
fn verify_keyless_layer(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeylessPolicy,
) -> Result<VerifiedSignature, String> {
    let (_, signature) = layer_signature(layer)?;
    // What the payload says is checked before the log, the certificate and the signature.
    check_payload(digest, &layer.blob, &policy.annotations)?;
    let certificate = layer
        .annotations
        .get(ANNOTATION_CERTIFICATE)
        .ok_or("no certificate: not a keyless signature")?;
    let rekor_text = layer
        .annotations
        .get(ANNOTATION_REKOR_BUNDLE)
        .ok_or("no Rekor bundle: a keyless signature needs a logged signing time")?;
    let rekor =
        RekorBundle::parse(rekor_text.as_bytes()).map_err(|e| format!("Rekor bundle: {e}"))?;
    let time = crate::bundle::verify_rekor_bundle(&rekor, &policy.trust)
        .map_err(|e| e.reason().to_owned())?;
    let (signer, key) = crate::bundle::verify_certificate(
        certificate.as_bytes(),
        &policy.bundle_policy(),
        &[time],
        &policy.trust,
    )
    .map_err(|e| e.reason().to_owned())?;
    key.verify_signature(&layer.blob, &signature)
        .map_err(|_| "signature does not verify with the certificate's key".to_owned())?;
    // The log entry must be about this payload, signature and certificate.
    let body = rekor
        .payload
        .body_bytes()
        .map_err(|e| format!("Rekor entry body: {e}"))?;
    let entry: Value =
        serde_json::from_slice(&body).map_err(|e| format!("Rekor entry body is not JSON: {e}"))?;
    let spec = &entry["spec"];
    if entry["kind"] != "hashedrekord"
        || spec["data"]["hash"]["algorithm"] != "sha256"
        || spec["data"]["hash"]["value"] != hex_lower(&sha2::Sha256::digest(&layer.blob))
    {
        return Err("Rekor entry is for another payload".to_owned());
    }
    if spec["signature"]["content"].as_str().and_then(b64_decode) != Some(signature.clone()) {
        return Err("Rekor entry is for another signature".to_owned());
    }
    let logged = spec["signature"]["publicKey"]["content"]
        .as_str()
        .and_then(b64_decode)
        .map(|pem| pem_der(&pem))
        .unwrap_or_default();
    if logged.is_empty() || logged != pem_der(certificate.as_bytes()) {
        return Err("Rekor entry is for another certificate".to_owned());
    }
    let json = serde_json::from_slice(&layer.blob).map_err(|e| e.to_string())?;
    Ok(VerifiedSignature {
        layout: Layout::Legacy,
        payload: json,
        signer: signer_of(signer),
    })
}

/// Verifies keyless legacy signature layers of the image `digest` (sync, no I/O).
///
/// # Errors
/// [`VerifyError`] when no layer verifies, naming each layer's failure.
pub fn verify_keyless_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeylessPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let out = check_layers(digest, layers, |l| verify_keyless_layer(digest, l, policy))?;
    finish(out, "signatures")
}

/// The DER inside the first PEM block (or the input when it is not PEM).
fn pem_der(input: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(input);
    let Some(start) = text.find("-----BEGIN ") else {
        return input.to_vec();
    };
    let rest = &text[start..];
    let body: String = rest
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END "))
        .collect();
    b64_decode(&body).unwrap_or_default()
}

/// The signatures in `ev` that verify with a keyless policy: legacy layers with a certificate
/// and a Rekor bundle, and Sigstore bundles (chain, SCT, identity, transparency log and
/// timestamps checked by [`crate::bundle::Verifier`]).
///
/// # Errors
/// [`VerifyError`] when nothing verifies, with the first reasons.
pub fn check_keyless_signatures(
    ev: &Evidence,
    policy: &KeylessPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let digest = ev.digest;
    let mut out = check_layers(&digest, &ev.layers, |l| {
        verify_keyless_layer(&digest, l, policy)
    })?;
    out.rejected.extend(ev.rejected.iter().cloned());
    let verifier = crate::bundle::Verifier::new(&policy.trust);
    for (at, bundle) in &ev.bundles {
        let result = (|| {
            let verified = verifier
                .verify(
                    bundle,
                    &crate::bundle::Artifact::Digest(digest),
                    &policy.bundle_policy(),
                )
                .map_err(|e| e.reason().to_owned())?;
            let statement = verified
                .statement
                .clone()
                .ok_or("not an in-toto statement: not an image signature")?;
            if !statement.matches_digest(&digest) {
                return Err(format!("statement is not about the image {digest}"));
            }
            if statement.predicate_type != predicate::COSIGN_SIGN_V1 {
                return Err(format!(
                    "an attestation ({}), not a signature",
                    statement.predicate_type
                ));
            }
            check_subject_annotations(&statement, &digest, &policy.annotations)?;
            let payload = verified
                .dsse_payload
                .as_ref()
                .and_then(|(_, p)| serde_json::from_slice(p).ok())
                .unwrap_or(Value::Null);
            Ok(VerifiedSignature {
                layout: Layout::Bundle,
                payload,
                signer: signer_of(verified.signer),
            })
        })();
        match result {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("bundle {at}: {reason}")),
        }
    }
    finish(out, "signatures")
}

/// A keyless legacy attestation layer (`.att`, what `cosign attest` writes with a Fulcio
/// certificate): the Rekor SET gives the signing time, the certificate must chain to a Fulcio CA
/// at that time with a matching identity, its key must verify a DSSE signature over the PAE,
/// the log entry (`intoto` 0.0.2 or `dsse` 0.0.1/0.0.2) must record this envelope, signature and
/// certificate, and the statement must be about the image and carry the required annotations.
fn verify_keyless_attestation_layer(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeylessPolicy,
    limits: &EvidenceLimits,
) -> Result<VerifiedAttestation, String> {
    let envelope = attestation_envelope(layer)?;
    if envelope.payload_type != dsse::PAYLOAD_TYPE_IN_TOTO {
        return Err(format!(
            "payload type {} is not in-toto",
            envelope.payload_type
        ));
    }
    check_signature_count(&envelope, limits)?;
    // The statement is checked before the log, the certificate and the signatures.
    let (statement, statement_json) =
        check_statement(digest, &envelope.payload, &policy.annotations)?;
    let certificate = layer
        .annotations
        .get(ANNOTATION_CERTIFICATE)
        .ok_or("no certificate: not a keyless attestation")?;
    let rekor_text = layer
        .annotations
        .get(ANNOTATION_REKOR_BUNDLE)
        .ok_or("no Rekor bundle: a keyless attestation needs a logged signing time")?;
    let rekor =
        RekorBundle::parse(rekor_text.as_bytes()).map_err(|e| format!("Rekor bundle: {e}"))?;
    let time = crate::bundle::verify_rekor_bundle(&rekor, &policy.trust)
        .map_err(|e| e.reason().to_owned())?;
    let (signer, key) = crate::bundle::verify_certificate(
        certificate.as_bytes(),
        &policy.bundle_policy(),
        &[time],
        &policy.trust,
    )
    .map_err(|e| e.reason().to_owned())?;
    let pae = envelope.pae();
    let signature = envelope
        .signatures
        .iter()
        .find(|s| key.verify_signature(&pae, &s.sig).is_ok())
        .ok_or("envelope signature does not verify with the certificate's key")?;
    let body = rekor
        .payload
        .body_bytes()
        .map_err(|e| format!("Rekor entry body: {e}"))?;
    crate::bundle::check_logged_envelope(
        &body,
        &signature.sig,
        &pem_der(certificate.as_bytes()),
        &envelope,
        &pae,
    )
    .map_err(|e| format!("Rekor entry: {e}"))?;
    Ok(VerifiedAttestation {
        layout: Layout::Legacy,
        statement,
        statement_json,
        signer: signer_of(signer),
    })
}

/// Verifies keyless legacy attestation layers (DSSE envelopes with a Fulcio certificate and a
/// Rekor bundle) of `digest` (sync, no I/O), keeping statements whose predicate type is
/// `predicate_type` (`None`: any).
///
/// # Errors
/// [`VerifyError`] when no attestation verifies, naming each layer's failure.
pub fn verify_keyless_attestation_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeylessPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    keyless_attestation_layers(
        digest,
        layers,
        policy,
        predicate_type,
        &EvidenceLimits::default(),
    )
}

fn keyless_attestation_layers(
    digest: &Digest,
    layers: &[SignatureLayer],
    policy: &KeylessPolicy,
    predicate_type: Option<&str>,
    limits: &EvidenceLimits,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    if layers.len() > MAX_SIGNATURES {
        return Err(VerifyError::new(format!(
            "{} attestation layers: more than the {MAX_SIGNATURES} boltseal reads",
            layers.len()
        )));
    }
    let mut out = VerifiedImage {
        digest: *digest,
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    for (i, layer) in layers.iter().enumerate() {
        match verify_keyless_attestation_layer(digest, layer, policy, limits) {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("attestation {i}: {reason}")),
        }
    }
    filter_type(&mut out, predicate_type);
    finish(out, "attestations")
}

/// The attestations in `ev` that verify with a keyless policy, keeping statements of
/// `predicate_type` (`None`: any) whose subject is the image digest.
///
/// # Errors
/// [`VerifyError`] when nothing verifies or nothing has the predicate type.
pub fn check_keyless_attestations(
    ev: &Evidence,
    policy: &KeylessPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    let digest = ev.digest;
    let mut out = VerifiedImage {
        digest,
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    if !ev.layers.is_empty() {
        match keyless_attestation_layers(&digest, &ev.layers, policy, None, &ev.limits) {
            Ok(v) => {
                out.verified = v.verified;
                out.rejected = v.rejected;
            }
            Err(e) => out.rejected.push(e.reason().to_owned()),
        }
    }
    out.rejected.extend(ev.rejected.iter().cloned());
    let verifier = crate::bundle::Verifier::new(&policy.trust);
    for (at, bundle) in &ev.bundles {
        let result = (|| {
            if !matches!(bundle.content, Content::DsseEnvelope(_)) {
                return Err("message-signature bundle: not an attestation".to_owned());
            }
            let verified = verifier
                .verify(
                    bundle,
                    &crate::bundle::Artifact::Digest(digest),
                    &policy.bundle_policy(),
                )
                .map_err(|e| e.reason().to_owned())?;
            let (_, payload) = verified
                .dsse_payload
                .as_ref()
                .ok_or("not a DSSE envelope: not an attestation")?;
            let (statement, statement_json) =
                check_statement(&digest, payload, &policy.annotations)?;
            if statement.predicate_type == predicate::COSIGN_SIGN_V1 {
                return Err("a signature, not an attestation".to_owned());
            }
            Ok(VerifiedAttestation {
                layout: Layout::Bundle,
                statement,
                statement_json,
                signer: signer_of(verified.signer),
            })
        })();
        match result {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("bundle {at}: {reason}")),
        }
    }
    filter_type(&mut out, predicate_type);
    finish(out, "attestations")
}
