//! What the engine needs from image verification, as a dyn-compatible trait, and its
//! registry-backed implementation.

use std::future::Future;
use std::pin::Pin;

use boltseal_evidence::{ImageVerifier, RegistryVerifier};
use boltseal_oci::{ErrorKind, ManifestRef, RegistryOptions, RegistryPool, Store};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::image::VerifyError;
use boltseal_verify::verifier::AttestorSet;
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

/// Verification against registries through boltseal-evidence's [`RegistryVerifier`] (its
/// per-digest cache included), signatures and attestations alike, over one
/// [`RegistryPool`]: one HTTP connection pool, one store and token per repository, and
/// registries without the referrers API remembered as such.
///
/// A tag is resolved once per call and the evidence read by digest; a digest reference is not
/// looked up again. The evidence of an image (legacy tag and referrers) is fetched concurrently.
#[derive(Clone, Debug)]
pub struct RegistryImageVerifier {
    verifier: RegistryVerifier,
}

impl RegistryImageVerifier {
    /// A verifier using `options` for every registry, keeping verified digests for `ttl`.
    #[must_use]
    pub fn new(options: RegistryOptions, ttl: std::time::Duration) -> Self {
        Self::with_pool(RegistryPool::new(options), ttl)
    }

    /// A verifier reaching registries through `pool`.
    #[must_use]
    pub fn with_pool(pool: RegistryPool, ttl: std::time::Duration) -> Self {
        RegistryImageVerifier {
            verifier: RegistryVerifier::with_pool(pool, ttl),
        }
    }

    /// The registry pool.
    #[must_use]
    pub fn pool(&self) -> &RegistryPool {
        self.verifier.pool()
    }

    /// `image` by digest: as it is when it has one, else its tag resolved (once).
    async fn by_digest(&self, image: &Reference) -> Result<Reference, VerifyFailure> {
        if image.digest().is_some() {
            return Ok(image.clone());
        }
        let store = self.pool().store(image).map_err(|e| classify(&e))?;
        let digest = store
            .resolve(&ManifestRef::of(image))
            .await
            .map_err(|e| classify(&e))?
            .digest;
        Ok(image.with_digest(digest))
    }
}

fn classify(e: &boltseal_oci::Error) -> VerifyFailure {
    match e.kind() {
        ErrorKind::Transport | ErrorKind::Io => VerifyFailure::Unavailable(e.to_string()),
        _ => VerifyFailure::Failed(e.to_string()),
    }
}

fn classify_verify(e: &VerifyError) -> VerifyFailure {
    if e.is_unavailable() {
        VerifyFailure::Unavailable(e.reason().to_owned())
    } else {
        VerifyFailure::Failed(e.reason().to_owned())
    }
}

impl Verifier for RegistryImageVerifier {
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move {
            let image = self.by_digest(image).await?;
            let v = self
                .verifier
                .verify(&image, attestors)
                .await
                .map_err(|e| classify_verify(&e))?;
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
            let image = self.by_digest(image).await?;
            let v = self
                .verifier
                .verify_attestations(&image, attestors, predicate_type)
                .await
                .map_err(|e| classify_verify(&e))?;
            Ok(AttestationCheck::new(v.digest, v.payloads))
        })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move {
            let store = self.pool().store(image).map_err(|e| classify(&e))?;
            Ok(store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(&e))?
                .digest)
        })
    }
}
