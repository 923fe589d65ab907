//! Who must have signed: [`KeyPolicy`], [`KeylessPolicy`], and the [`Authority`] they make;
//! what they must have signed: [`Claim`].

use std::collections::BTreeMap;
use std::sync::Arc;

use boltseal_keys::{Backend, PublicKey};
use boltseal_reference::Reference;

use crate::verifier::AttestorSet;

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

impl IdentityCheck {
    /// Checks the identity a simple-signing payload names.
    pub(crate) fn check(&self, docker_reference: &str) -> Result<(), String> {
        let parse = || {
            Reference::parse(docker_reference)
                .map_err(|e| format!("identity {docker_reference:?} is not a reference: {e}"))
        };
        match self {
            IdentityCheck::Ignore => Ok(()),
            IdentityCheck::Exact(want) => {
                let got = parse()?;
                if got == *want {
                    Ok(())
                } else {
                    Err(format!("identity {got} is not {want}"))
                }
            }
            IdentityCheck::SameRepository(repo) => {
                let got = parse()?;
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
    /// records this payload, signature and key; bundles must carry an entry of a log with one
    /// of these keys.
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

    pub(crate) fn verify_any(&self, message: &[u8], signature: &[u8]) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|k| k.verify_der_with(self.backend, message, signature).is_ok())
    }

    fn fingerprint(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(PublicKey::hint).collect();
        let rekor: Vec<String> = self.rekor_keys.iter().map(PublicKey::hint).collect();
        format!(
            "key:{keys:?}|a:{:?}|id:{:?}|rekor:{rekor:?}|{:?}",
            self.annotations, self.identity, self.backend
        )
    }
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
    pub trust: Arc<crate::trust::TrustedRoot>,
}

impl KeylessPolicy {
    /// Signatures by `identity`, checked against `trust`.
    #[must_use]
    pub fn new(identity: crate::bundle::Identity, trust: crate::trust::TrustedRoot) -> Self {
        Self::shared(vec![identity], Arc::new(trust))
    }

    /// Signatures by any of `identities`, checked against shared trust material.
    #[must_use]
    pub fn shared(
        identities: Vec<crate::bundle::Identity>,
        trust: Arc<crate::trust::TrustedRoot>,
    ) -> Self {
        KeylessPolicy {
            identities,
            annotations: BTreeMap::new(),
            trust,
        }
    }

    /// Requires an annotation.
    #[must_use]
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    pub(crate) fn bundle_policy(&self) -> crate::bundle::Policy {
        crate::bundle::Policy::any_identity(self.identities.clone())
    }

    fn fingerprint(&self) -> String {
        format!(
            "keyless:{:?}|a:{:?}@{:p}",
            self.identities,
            self.annotations,
            Arc::as_ptr(&self.trust)
        )
    }
}

/// Who must have vouched for an image: one key policy, one keyless policy, or a set of
/// attestors of which N must vouch.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Authority {
    /// Signatures by one of the policy's keys.
    Key(KeyPolicy),
    /// Signatures whose Fulcio certificate names one of the policy's identities.
    Keyless(KeylessPolicy),
    /// Keys and keyless identities, of which the set's count must vouch (Kyverno's
    /// `attestors`).
    Attestors(AttestorSet),
}

impl Authority {
    /// A stable text that differs whenever the authority would judge differently, for caches.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        match self {
            Authority::Key(p) => p.fingerprint(),
            Authority::Keyless(p) => p.fingerprint(),
            Authority::Attestors(set) => set.fingerprint(),
        }
    }
}

impl From<KeyPolicy> for Authority {
    fn from(p: KeyPolicy) -> Self {
        Authority::Key(p)
    }
}

impl From<KeylessPolicy> for Authority {
    fn from(p: KeylessPolicy) -> Self {
        Authority::Keyless(p)
    }
}

impl From<AttestorSet> for Authority {
    fn from(set: AttestorSet) -> Self {
        Authority::Attestors(set)
    }
}

/// What the authority must have signed about the image.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The image itself (`cosign sign`): legacy `.sig` layers and bundles whose statement is of
    /// type `https://sigstore.dev/cosign/sign/v1`.
    Signature,
    /// An in-toto attestation about the image (`cosign attest`): legacy `.att` layers and
    /// bundles, of this predicate type (`None`: any type but the signature type).
    Attestation(Option<String>),
}

impl Claim {
    /// Attestations of `predicate_type`.
    #[must_use]
    pub fn attestation(predicate_type: impl Into<String>) -> Self {
        Claim::Attestation(Some(predicate_type.into()))
    }

    /// Which evidence the claim is read from: `"sig"` or `"att"` (the legacy tag suffix).
    #[must_use]
    pub fn evidence_kind(&self) -> &'static str {
        match self {
            Claim::Signature => "sig",
            Claim::Attestation(_) => "att",
        }
    }

    /// A stable text for caches.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        match self {
            Claim::Signature => "signature".to_owned(),
            Claim::Attestation(t) => format!("attestation:{}", t.as_deref().unwrap_or("*")),
        }
    }

    pub(crate) fn noun(&self) -> &'static str {
        match self {
            Claim::Signature => "signature",
            Claim::Attestation(_) => "attestation",
        }
    }
}
