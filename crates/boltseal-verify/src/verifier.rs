//! Attestor sets and N-of-M checks: what policy evaluation asks of an image's evidence.
//! Signatures ([`check_signatures_with_attestors`], Kyverno's `attestors`) and attestations of
//! one predicate type ([`check_attestations_with_attestors`], Kyverno's `attestations`), by
//! keys and keyless identities alike. Sync and sans-I/O: `boltseal-evidence` reads the
//! evidence and caches the answers.

use std::sync::Arc;

use boltseal_keys::PublicKey;
use boltseal_reference::Digest;
use serde_json::Value;

use crate::evidence::Evidence;
use crate::image::{
    KeyPolicy, KeylessPolicy, VerifyError, check_key_attestations, check_key_signatures,
    check_keyless_attestations, check_keyless_signatures,
};

/// Something that can vouch for an image.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Attestor {
    /// A public key: a signature by it (legacy or bundle) counts.
    Key(PublicKey),
    /// A keyless identity: a signature whose Fulcio certificate matches it, checked against the
    /// trusted root (certificate chain, SCT, Rekor SET or bundle proofs).
    Keyless {
        /// The identity (SAN and OIDC issuer matchers).
        identity: crate::bundle::Identity,
        /// The trust material.
        trust: Arc<crate::trust::TrustedRoot>,
    },
}

/// Attestors and how many of them must vouch (`None`: all of them, Kyverno's default).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AttestorSet {
    /// The attestors.
    pub attestors: Vec<Attestor>,
    /// How many must verify; `None` means all.
    pub count: Option<usize>,
    /// Annotations every counted signature must carry.
    pub annotations: Vec<(String, String)>,
    /// When not empty, key attestors count only signatures logged in a transparency log whose
    /// entry verifies with one of these Rekor keys ([`KeyPolicy::rekor_keys`]).
    pub rekor_keys: Vec<PublicKey>,
}

impl AttestorSet {
    /// All of `attestors` must verify.
    #[must_use]
    pub fn all(attestors: Vec<Attestor>) -> Self {
        AttestorSet {
            attestors,
            count: None,
            annotations: Vec::new(),
            rekor_keys: Vec::new(),
        }
    }

    /// At least `count` of `attestors` must verify.
    #[must_use]
    pub fn at_least(count: usize, attestors: Vec<Attestor>) -> Self {
        AttestorSet {
            attestors,
            count: Some(count),
            annotations: Vec::new(),
            rekor_keys: Vec::new(),
        }
    }

    /// Requires an annotation on the signatures.
    #[must_use]
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Requires key signatures to be logged: their Rekor SET must verify with one of `keys`.
    #[must_use]
    pub fn transparency_log(mut self, keys: Vec<PublicKey>) -> Self {
        self.rekor_keys = keys;
        self
    }

    fn required(&self) -> usize {
        self.count
            .unwrap_or(self.attestors.len())
            .min(self.attestors.len())
            .max(1)
    }

    /// A stable key for caching (attestors by key hint, count, annotations).
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let mut parts: Vec<String> = self
            .attestors
            .iter()
            .map(|a| match a {
                Attestor::Key(k) => format!("key:{}", k.hint()),
                Attestor::Keyless { identity, trust } => {
                    format!("keyless:{identity:?}@{:p}", Arc::as_ptr(trust))
                }
            })
            .collect();
        parts.push(format!("count:{:?}", self.count));
        for k in &self.rekor_keys {
            parts.push(format!("rekor:{}", k.hint()));
        }
        let mut ann = self.annotations.clone();
        ann.sort();
        for (k, v) in ann {
            parts.push(format!("a:{k}={v}"));
        }
        parts.join("|")
    }
}

/// The outcome of a successful verification.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ImageVerification {
    /// The digest the reference resolved to.
    pub digest: Digest,
    /// Indices (into the attestor set) of the attestors that vouched.
    pub verified_by: Vec<usize>,
    /// The verified payloads: simple-signing documents or signature statements for
    /// [`check_signatures_with_attestors`]; the in-toto statements (of the requested predicate type, about
    /// the digest) for [`check_attestations_with_attestors`]. A statement vouched for by several
    /// attestors appears once per attestor.
    pub payloads: Vec<Value>,
}

/// The key check one attestor stands for, with the set's required annotations.
fn key_policy(key: PublicKey, attestors: &AttestorSet) -> KeyPolicy {
    let mut policy = KeyPolicy::new(key);
    for (k, v) in &attestors.annotations {
        policy = policy.annotation(k, v);
    }
    for k in &attestors.rekor_keys {
        policy = policy.rekor_key(*k);
    }
    policy
}

/// The keyless check one attestor stands for, with the set's required annotations.
fn keyless_policy(
    identity: &crate::bundle::Identity,
    trust: &Arc<crate::trust::TrustedRoot>,
    attestors: &AttestorSet,
) -> KeylessPolicy {
    let mut policy = KeylessPolicy {
        identities: vec![identity.clone()],
        annotations: std::collections::BTreeMap::new(),
        trust: Arc::clone(trust),
    };
    for (k, v) in &attestors.annotations {
        policy = policy.annotation(k, v);
    }
    policy
}

/// N of M: checks `attestors` against the signatures in `evidence`.
///
/// # Errors
/// [`VerifyError`] when fewer attestors than required vouch, with each one's reason.
pub fn check_signatures_with_attestors(
    evidence: &Evidence,
    attestors: &AttestorSet,
) -> Result<ImageVerification, VerifyError> {
    count_attestors(evidence, attestors, "", |attestor| {
        let verified = match attestor {
            Attestor::Key(key) => check_key_signatures(evidence, &key_policy(*key, attestors)),
            Attestor::Keyless { identity, trust } => {
                check_keyless_signatures(evidence, &keyless_policy(identity, trust, attestors))
            }
        }?;
        Ok(verified.verified.into_iter().map(|s| s.payload).collect())
    })
}

/// N of M: runs `check` (the payloads an attestor vouches for) for each attestor, and succeeds
/// when at least the required number vouch; otherwise fails with every attestor's reason.
fn count_attestors(
    evidence: &Evidence,
    attestors: &AttestorSet,
    what: &str,
    check: impl Fn(&Attestor) -> Result<Vec<Value>, VerifyError>,
) -> Result<ImageVerification, VerifyError> {
    if attestors.attestors.is_empty() {
        return Err(VerifyError::new("no attestors configured"));
    }
    let digest = evidence.digest();
    let mut verified_by = Vec::new();
    let mut payloads = Vec::new();
    let mut reasons = Vec::new();
    for (i, attestor) in attestors.attestors.iter().enumerate() {
        match check(attestor) {
            Ok(p) => {
                verified_by.push(i);
                payloads.extend(p);
            }
            Err(e) => reasons.push(format!("attestor {i}: {}", e.reason())),
        }
    }
    let required = attestors.required();
    if verified_by.len() < required {
        return Err(VerifyError::new(format!(
            "{} of {} required attestors verified {what}{digest}: {}",
            verified_by.len(),
            required,
            reasons.join("; ")
        )));
    }
    Ok(ImageVerification {
        digest,
        verified_by,
        payloads,
    })
}

/// N of M: checks `attestors` against the attestations of `predicate_type` in `evidence`.
///
/// # Errors
/// [`VerifyError`] when fewer attestors than required vouch, with each one's reason.
pub fn check_attestations_with_attestors(
    evidence: &Evidence,
    attestors: &AttestorSet,
    predicate_type: &str,
) -> Result<ImageVerification, VerifyError> {
    let what = format!("attestations of type {predicate_type} for ");
    count_attestors(evidence, attestors, &what, |attestor| {
        let verified = match attestor {
            Attestor::Key(key) => {
                check_key_attestations(evidence, &key_policy(*key, attestors), Some(predicate_type))
            }
            Attestor::Keyless { identity, trust } => check_keyless_attestations(
                evidence,
                &keyless_policy(identity, trust, attestors),
                Some(predicate_type),
            ),
        }?;
        Ok(verified
            .verified
            .into_iter()
            .map(|a| a.statement_json)
            .collect())
    })
}
