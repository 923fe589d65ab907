//! What the engine needs from image verification, as a dyn-compatible trait, and its
//! registry-backed implementation.

use std::future::Future;
use std::pin::Pin;

use boltseal_oci::{ErrorKind, ManifestRef, RegistryOptions, RegistryStore, Store};
use boltseal_reference::{Digest, Reference};
use std::sync::Arc;

use boltseal_verify::image::{
    KeyPolicy, KeylessPolicy, verify_image_attestations, verify_image_attestations_keyless,
};
use boltseal_verify::verifier::{Attestor, AttestorSet, ImageVerifier, RegistryVerifier};
use serde_json::Value;

/// Why a verification did not succeed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyFailure {
    /// The evidence does not verify (no signature, wrong key, unmet annotation, …): the rule
    /// **fails**.
    Failed(String),
    /// The registry or the network could not be reached: the rule is an **error**, and the
    /// policy's `failurePolicy` decides.
    Unavailable(String),
}

impl VerifyFailure {
    /// The reason, one line.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            VerifyFailure::Failed(r) | VerifyFailure::Unavailable(r) => r,
        }
    }
}

impl std::fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

/// Signatures that verified.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct SignatureCheck {
    /// The digest the image resolved to.
    pub digest: Digest,
    /// The verified payloads.
    pub payloads: Vec<Value>,
}

impl SignatureCheck {
    /// A successful check.
    #[must_use]
    pub fn new(digest: Digest, payloads: Vec<Value>) -> Self {
        SignatureCheck { digest, payloads }
    }
}

/// Attestations that verified.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AttestationCheck {
    /// The digest the image resolved to.
    pub digest: Digest,
    /// The verified in-toto statements (whole statements: `_type`, `subject`,
    /// `predicateType`, `predicate`) of the requested predicate type.
    pub statements: Vec<Value>,
}

impl AttestationCheck {
    /// A successful check.
    #[must_use]
    pub fn new(digest: Digest, statements: Vec<Value>) -> Self {
        AttestationCheck { digest, statements }
    }
}

/// A boxed future, so that [`Verifier`] can be used as `Arc<dyn Verifier>`.
pub type VerifyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, VerifyFailure>> + Send + 'a>>;

/// Image verification as the policy engine calls it. The engine asks for one attestor at a
/// time (it implements Kyverno's `count` across entries itself) and caches successes.
pub trait Verifier: Send + Sync {
    /// Verifies the signatures of `image` against `attestors`.
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck>;

    /// Verifies the attestations of `image` of `predicate_type` against `attestors`.
    fn verify_attestations<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
        predicate_type: &'a str,
    ) -> VerifyFuture<'a, AttestationCheck>;

    /// Resolves `image` to its digest (for `mutateDigest` without attestors).
    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest>;
}

/// A [`Verifier`] that cannot reach any registry: every call is
/// [`VerifyFailure::Unavailable`]. What offline evaluation (`policy-test`) uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offline;

impl Verifier for Offline {
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        _: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move { Err(offline(image)) })
    }

    fn verify_attestations<'a>(
        &'a self,
        image: &'a Reference,
        _: &'a AttestorSet,
        _: &'a str,
    ) -> VerifyFuture<'a, AttestationCheck> {
        Box::pin(async move { Err(offline(image)) })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move { Err(offline(image)) })
    }
}

fn offline(image: &Reference) -> VerifyFailure {
    VerifyFailure::Unavailable(format!("{image}: no registry access (offline evaluation)"))
}

/// Verification against registries: signatures through boltseal-verify's
/// [`RegistryVerifier`] (its per-digest cache included), attestations through
/// `verify_image_attestations` / `verify_image_attestations_keyless`.
#[derive(Clone, Debug)]
pub struct RegistryImageVerifier {
    options: RegistryOptions,
    signatures: RegistryVerifier,
}

impl RegistryImageVerifier {
    /// A verifier using `options` for every registry, keeping verified digests for `ttl`.
    #[must_use]
    pub fn new(options: RegistryOptions, ttl: std::time::Duration) -> Self {
        RegistryImageVerifier {
            signatures: RegistryVerifier::new(options.clone(), ttl),
            options,
        }
    }

    fn store(&self, image: &Reference) -> Result<RegistryStore, VerifyFailure> {
        RegistryStore::new(image, self.options.clone()).map_err(|e| classify(&e))
    }
}

fn classify(e: &boltseal_oci::Error) -> VerifyFailure {
    match e.kind() {
        ErrorKind::Transport | ErrorKind::Io => VerifyFailure::Unavailable(e.to_string()),
        _ => VerifyFailure::Failed(e.to_string()),
    }
}

impl Verifier for RegistryImageVerifier {
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move {
            // Resolve first, so that an unreachable registry is an error, not a failure; then
            // verify that digest (not looked up again).
            let store = self.store(image)?;
            let digest = store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(&e))?
                .digest;
            let v = self
                .signatures
                .verify(&image.with_digest(digest), attestors)
                .await
                .map_err(|e| VerifyFailure::Failed(e.reason().to_owned()))?;
            Ok(SignatureCheck::new(v.digest, v.payloads))
        })
    }

    fn verify_attestations<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
        predicate_type: &'a str,
    ) -> VerifyFuture<'a, AttestationCheck> {
        Box::pin(async move {
            let store = self.store(image)?;
            let digest = store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(&e))?
                .digest;
            let manifest = ManifestRef::Digest(digest);
            let mut keys = Vec::new();
            let mut keyless = None;
            for a in &attestors.attestors {
                match a {
                    Attestor::Key(k) => keys.push(*k),
                    Attestor::Keyless { identity, trust } => {
                        keyless = Some((identity.clone(), Arc::clone(trust)));
                    }
                    _ => {
                        return Err(VerifyFailure::Failed(
                            "unsupported attestor for attestations".to_owned(),
                        ));
                    }
                }
            }
            let found = if let Some((identity, trust)) = keyless {
                if !keys.is_empty() {
                    return Err(VerifyFailure::Failed(
                        "keys and keyless identities in one attestor".to_owned(),
                    ));
                }
                let mut policy = KeylessPolicy::new(identity, (*trust).clone());
                policy.trust = trust;
                for (k, v) in &attestors.annotations {
                    policy = policy.annotation(k, v);
                }
                verify_image_attestations_keyless(&store, &manifest, &policy, Some(predicate_type))
                    .await
            } else {
                let Some((first, rest)) = keys.split_first() else {
                    return Err(VerifyFailure::Failed("no attestor".to_owned()));
                };
                let mut policy = KeyPolicy::new(*first);
                for k in rest {
                    policy = policy.or_key(*k);
                }
                for (k, v) in &attestors.annotations {
                    policy = policy.annotation(k, v);
                }
                verify_image_attestations(&store, &manifest, &policy, Some(predicate_type)).await
            }
            .map_err(|e| VerifyFailure::Failed(e.reason().to_owned()))?;
            Ok(AttestationCheck::new(
                digest,
                found
                    .verified
                    .into_iter()
                    .map(|a| a.statement_json)
                    .collect(),
            ))
        })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move {
            let store = self.store(image)?;
            Ok(store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(&e))?
                .digest)
        })
    }
}
