//! Signatures and attestations of container images: one check, [`check`], of an image's
//! [`Evidence`] against an [`Authority`] (a key policy, a keyless policy, or N of M attestors)
//! for a [`Claim`] (a signature, or an attestation of a predicate type).
//!
//! The evidence is what `boltseal-evidence` (or any other reader) fetched: the legacy
//! `sha256-<hex>.sig`/`.att` layers and the Sigstore bundle referrers. Everything here is sync
//! and sans-I/O.
//!
//! What a signature must satisfy to count: the signature verifies with the key (or the
//! certificate, which chains to a Fulcio CA with a matching identity) over the exact payload
//! bytes; the payload is a cosign simple-signing document (or an in-toto statement in a DSSE
//! envelope) naming the image digest; every required annotation is present with the same value
//! (in a statement, on the subject naming the digest); optionally the identity matches; and when
//! a transparency log is required, its entry verifies and binds this signature. What the payload
//! says is checked before any signature arithmetic. Layers are never deduplicated by digest
//! (identical payloads may carry different signatures); every layer that fails is reported with
//! its reason, and the image verifies only if at least one passes.

mod key;
mod keyless;
mod policy;

use std::collections::BTreeMap;

use base64::Engine as _;
use boltseal_envelope::bundle::{Bundle, Content};
use boltseal_envelope::intoto::Statement;
use boltseal_envelope::{dsse, predicate};
use boltseal_keys::PublicKey;
use boltseal_reference::{Digest, media_type};
use serde_json::Value;

pub use policy::{Authority, Claim, IdentityCheck, KeyPolicy, KeylessPolicy};

pub use crate::error::{Check, VerifyError};
use crate::evidence::{Evidence, EvidenceLimits};

/// Legacy signature annotation: standard base64 of the DER signature.
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Legacy Rekor bundle annotation (JSON: SET, integrated time, log index, log ID, body).
pub const ANNOTATION_REKOR_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Legacy annotation carrying the signing certificate (PEM) of keyless signatures.
pub const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// At most this many signature layers are read for one image.
pub const MAX_SIGNATURES: usize = 1000;
/// A signature payload (or attestation envelope) larger than this is refused.
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;
/// A Sigstore bundle larger than this is refused.
pub const MAX_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;

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

/// A signature or attestation that verified.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Verified {
    /// Where it was found.
    pub layout: Layout,
    /// Who signed it.
    pub signer: Signer,
    /// The signed payload as JSON, as signed: the simple-signing document of a legacy
    /// signature, else the in-toto statement.
    pub payload: Value,
    /// The in-toto statement, when the payload is one (attestations, bundle signatures).
    pub statement: Option<Statement>,
}

/// The outcome of a successful [`check`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Verification {
    /// The image digest the evidence is about.
    pub digest: Digest,
    /// What verified (of an attestor set: what each vouching attestor verified, in order).
    pub verified: Vec<Verified>,
    /// Indices of the attestors that vouched (`[0]` for a single key or keyless policy).
    pub verified_by: Vec<usize>,
    /// Layers or referrers that did not verify, with reasons (for diagnostics).
    pub rejected: Vec<String>,
}

impl Verified {
    /// A verified signature or attestation (for implementations of verifiers elsewhere).
    #[must_use]
    pub fn new(
        layout: Layout,
        signer: Signer,
        payload: Value,
        statement: Option<Statement>,
    ) -> Self {
        Verified {
            layout,
            signer,
            payload,
            statement,
        }
    }
}

impl Verification {
    /// A verification of `digest` in which `verified` vouched (by attestor 0).
    #[must_use]
    pub fn new(digest: Digest, verified: Vec<Verified>) -> Self {
        Verification {
            verified,
            ..Self::empty(digest)
        }
    }

    fn empty(digest: Digest) -> Self {
        Verification {
            digest,
            verified: Vec::new(),
            verified_by: vec![0],
            rejected: Vec::new(),
        }
    }

    /// The verified payloads, in order.
    pub fn payloads(&self) -> impl Iterator<Item = &Value> {
        self.verified.iter().map(|v| &v.payload)
    }
}

/// Checks `evidence` for `claim` under `authority`.
///
/// ```
/// use boltseal_keys::PrivateKey;
/// use boltseal_reference::Digest;
/// use boltseal_verify::{check, Claim, Evidence, EvidenceLimits, KeyPolicy};
///
/// let key = PrivateKey::generate()?;
/// let digest = Digest::sha256_of(b"an image manifest");
/// let evidence = Evidence::new(digest, vec![], vec![], vec![], EvidenceLimits::default(), 0);
/// let err = check(&evidence, &KeyPolicy::new(key.public_key()).into(), &Claim::Signature)
///     .unwrap_err();
/// assert!(err.reason().starts_with("no valid signatures"));
/// # Ok::<(), boltseal_keys::KeyError>(())
/// ```
///
/// # Errors
/// [`VerifyError`] when nothing verifies (or fewer attestors vouch than required), with the
/// first reasons.
pub fn check(
    evidence: &Evidence,
    authority: &Authority,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    match authority {
        Authority::Key(policy) => single(evidence, &Via::Key(policy), claim),
        Authority::Keyless(policy) => single(evidence, &Via::Keyless(policy), claim),
        Authority::Attestors(set) => crate::verifier::check_attestors(evidence, set, claim),
    }
}

/// One key or keyless policy.
pub(crate) enum Via<'a> {
    Key(&'a KeyPolicy),
    Keyless(&'a KeylessPolicy),
}

impl Via<'_> {
    fn layer(
        &self,
        ev: &Evidence,
        layer: &SignatureLayer,
        claim: &Claim,
    ) -> Result<Verified, String> {
        let (digest, limits) = (&ev.digest, &ev.limits);
        match (self, claim) {
            (Via::Key(p), Claim::Signature) => key::legacy_signature(digest, layer, p),
            (Via::Key(p), Claim::Attestation(_)) => {
                key::legacy_attestation(digest, layer, p, limits)
            }
            (Via::Keyless(p), Claim::Signature) => keyless::legacy_signature(digest, layer, p),
            (Via::Keyless(p), Claim::Attestation(_)) => {
                keyless::legacy_attestation(digest, layer, p, limits)
            }
        }
    }

    fn bundle(&self, ev: &Evidence, bundle: &Bundle, claim: &Claim) -> Result<Verified, String> {
        let Content::DsseEnvelope(envelope) = &bundle.content else {
            return Err(format!(
                "message-signature bundle: not an image {}",
                claim.noun()
            ));
        };
        let verified = match self {
            Via::Key(p) => key::bundle(&ev.digest, bundle, envelope, p, &ev.limits)?,
            Via::Keyless(p) => keyless::bundle(&ev.digest, bundle, p)?,
        };
        let predicate_type = verified
            .statement
            .as_ref()
            .map_or("", |s| s.predicate_type.as_str());
        match claim {
            Claim::Signature if predicate_type != predicate::COSIGN_SIGN_V1 => Err(format!(
                "an attestation ({predicate_type}), not a signature"
            )),
            Claim::Attestation(_) if predicate_type == predicate::COSIGN_SIGN_V1 => {
                Err("a signature, not an attestation".to_owned())
            }
            _ => Ok(verified),
        }
    }
}

/// Every layer and bundle of `ev` checked with one policy.
pub(crate) fn single(
    ev: &Evidence,
    via: &Via<'_>,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    let mut out = Verification::empty(ev.digest);
    if ev.layers.len() > MAX_SIGNATURES {
        out.rejected.push(format!(
            "{} {} layers: more than the {MAX_SIGNATURES} boltseal reads",
            ev.layers.len(),
            claim.noun()
        ));
    } else {
        for (i, layer) in ev.layers.iter().enumerate() {
            match via.layer(ev, layer, claim) {
                Ok(v) => out.verified.push(v),
                Err(reason) => out.rejected.push(format!("{} {i}: {reason}", claim.noun())),
            }
        }
    }
    out.rejected.extend(ev.rejected.iter().cloned());
    for (at, bundle) in &ev.bundles {
        match via.bundle(ev, bundle, claim) {
            Ok(v) => out.verified.push(v),
            Err(reason) => out.rejected.push(format!("bundle {at}: {reason}")),
        }
    }
    if let Claim::Attestation(Some(wanted)) = claim {
        let (keep, other): (Vec<_>, Vec<_>) = std::mem::take(&mut out.verified)
            .into_iter()
            .partition(|v| {
                v.statement
                    .as_ref()
                    .is_some_and(|s| s.predicate_type == *wanted)
            });
        for v in other {
            let found = v.statement.map(|s| s.predicate_type).unwrap_or_default();
            out.rejected
                .push(format!("attestation of type {found} is not {wanted}"));
        }
        out.verified = keep;
    }
    if out.verified.is_empty() {
        let reasons = if out.rejected.is_empty() {
            format!("no {}s found", claim.noun())
        } else {
            summarize(&out.rejected)
        };
        return Err(VerifyError::refused(format!(
            "no valid {}s for {}: {reasons}",
            claim.noun(),
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

/// Standard base64, surrounding white space ignored.
fn b64_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
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

/// The checks every legacy attestation layer needs first: the media type, the size, a DSSE
/// envelope with an in-toto payload and no more signatures than `limits` allows.
fn attestation_envelope(
    layer: &SignatureLayer,
    limits: &EvidenceLimits,
) -> Result<dsse::Envelope, String> {
    if layer.media_type != media_type::DSSE_ENVELOPE {
        return Err(format!(
            "media type {} is not a DSSE envelope",
            layer.media_type
        ));
    }
    if layer.blob.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(format!("envelope larger than {MAX_PAYLOAD_BYTES} bytes"));
    }
    let envelope = dsse::Envelope::parse(&layer.blob).map_err(|e| e.to_string())?;
    check_envelope(&envelope, limits)?;
    Ok(envelope)
}

/// An in-toto payload, and no more signatures than `limits` allows (refused before any is
/// checked).
fn check_envelope(envelope: &dsse::Envelope, limits: &EvidenceLimits) -> Result<(), String> {
    if envelope.payload_type != dsse::PAYLOAD_TYPE_IN_TOTO {
        return Err(format!(
            "payload type {} is not in-toto",
            envelope.payload_type
        ));
    }
    if envelope.signatures.len() > limits.max_envelope_signatures {
        return Err(format!(
            "envelope has {} signatures, more than the limit of {}",
            envelope.signatures.len(),
            limits.max_envelope_signatures
        ));
    }
    Ok(())
}

/// The checks on a signed in-toto statement: it parses, a subject has the image digest, and
/// that subject carries every required annotation (an annotation on another subject of the
/// same statement vouches for nothing about this image). Returns the statement and its JSON.
fn check_statement(
    digest: &Digest,
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<(Statement, Value), String> {
    let statement = Statement::parse(payload).map_err(|e| e.to_string())?;
    if !statement.matches_digest(digest) {
        return Err(format!("statement is not about the image {digest}"));
    }
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
    let json = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    Ok((statement, json))
}

/// A legacy hashedrekord entry records this payload and this signature; returns the entry's
/// public key (PEM or certificate bytes, decoded from base64).
fn check_hashedrekord(body: &[u8], payload: &[u8], signature: &[u8]) -> Result<Vec<u8>, String> {
    let entry: Value =
        serde_json::from_slice(body).map_err(|e| format!("Rekor entry body is not JSON: {e}"))?;
    if entry["kind"] != "hashedrekord" {
        return Err(format!(
            "Rekor entry kind {} is not hashedrekord",
            entry["kind"]
        ));
    }
    let spec = &entry["spec"];
    let hash = boltseal_core::hex::encode(<sha2::Sha256 as sha2::Digest>::digest(payload));
    if spec["data"]["hash"]["algorithm"] != "sha256" || spec["data"]["hash"]["value"] != hash {
        return Err("Rekor entry is for another payload".to_owned());
    }
    if spec["signature"]["content"]
        .as_str()
        .and_then(b64_decode)
        .as_deref()
        != Some(signature)
    {
        return Err("Rekor entry is for another signature".to_owned());
    }
    Ok(spec["signature"]["publicKey"]["content"]
        .as_str()
        .and_then(b64_decode)
        .unwrap_or_default())
}
