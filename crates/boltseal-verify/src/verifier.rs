//! Attestor sets: keys and keyless identities of which N must vouch (Kyverno's `attestors`),
//! checked by [`crate::check`] as [`crate::Authority::Attestors`].

use std::sync::Arc;

use boltseal_core::ErrorKind;
use boltseal_keys::PublicKey;

use crate::evidence::Evidence;
use crate::image::{
    Check, Claim, KeyPolicy, KeylessPolicy, Verification, VerifyError, Via, single,
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

/// The key check one attestor stands for, with the set's required annotations and logs.
fn key_policy(key: PublicKey, attestors: &AttestorSet) -> KeyPolicy {
    let mut policy = KeyPolicy::new(key);
    for (k, v) in &attestors.annotations {
        policy = policy.annotation(k, v);
    }
    for k in &attestors.rekor_keys {
        policy = policy.rekor_key(k.clone());
    }
    policy
}

/// The keyless check one attestor stands for, with the set's required annotations.
fn keyless_policy(
    identity: &crate::bundle::Identity,
    trust: &Arc<crate::trust::TrustedRoot>,
    attestors: &AttestorSet,
) -> KeylessPolicy {
    let mut policy = KeylessPolicy::shared(vec![identity.clone()], Arc::clone(trust));
    for (k, v) in &attestors.annotations {
        policy = policy.annotation(k, v);
    }
    policy
}

/// N of M: checks each attestor against `evidence` for `claim`, and succeeds when at least the
/// required number vouch; otherwise fails with every attestor's reason.
pub(crate) fn check_attestors(
    evidence: &Evidence,
    attestors: &AttestorSet,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    if attestors.attestors.is_empty() {
        return Err(VerifyError::new(
            ErrorKind::InvalidInput,
            Check::Policy,
            "no attestors configured",
        ));
    }
    let digest = evidence.digest();
    let mut out = Verification {
        digest,
        verified: Vec::new(),
        verified_by: Vec::new(),
        rejected: Vec::new(),
    };
    let mut reasons = Vec::new();
    for (i, attestor) in attestors.attestors.iter().enumerate() {
        let result = match attestor {
            Attestor::Key(key) => single(
                evidence,
                &Via::Key(&key_policy(key.clone(), attestors)),
                claim,
            ),
            Attestor::Keyless { identity, trust } => single(
                evidence,
                &Via::Keyless(&keyless_policy(identity, trust, attestors)),
                claim,
            ),
        };
        match result {
            Ok(v) => {
                out.verified_by.push(i);
                out.verified.extend(v.verified);
            }
            Err(e) => reasons.push(format!("attestor {i}: {}", e.reason())),
        }
    }
    out.rejected.clone_from(&reasons);
    let required = attestors.required();
    if out.verified_by.len() < required {
        let what = match claim {
            Claim::Signature => String::new(),
            Claim::Attestation(Some(t)) => format!("attestations of type {t} for "),
            Claim::Attestation(None) => "attestations for ".to_owned(),
        };
        return Err(VerifyError::refused(format!(
            "{} of {} required attestors verified {what}{digest}: {}",
            out.verified_by.len(),
            required,
            reasons.join("; ")
        ))
        .at(Check::Attestors));
    }
    Ok(out)
}
