//! What the engine needs from image verification, as a dyn-compatible trait, and its
//! registry-backed implementation.

use std::future::Future;
use std::pin::Pin;

pub use boltseal_evidence::{
    ImageVerifier, LayoutVerifier as LayoutImageVerifier, Offline,
    RegistryVerifier as RegistryImageVerifier,
};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::verifier::AttestorSet;
use boltseal_verify::{Authority, Claim, VerifyError};
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

/// Every [`ImageVerifier`] (registries, layouts, [`Offline`]) is a [`Verifier`].
impl<T: ImageVerifier + ?Sized> Verifier for T {
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move {
            let authority = Authority::Attestors(attestors.clone());
            let v = ImageVerifier::verify(self, image, &authority, &Claim::Signature)
                .await
                .map_err(|e| classify(&e))?;
            let payloads = v.payloads().cloned().collect();
            Ok(SignatureCheck::new(v.digest, payloads))
        })
    }

    fn verify_attestations<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
        predicate_type: &'a str,
    ) -> VerifyFuture<'a, AttestationCheck> {
        Box::pin(async move {
            let authority = Authority::Attestors(attestors.clone());
            let claim = Claim::attestation(predicate_type);
            let v = ImageVerifier::verify(self, image, &authority, &claim)
                .await
                .map_err(|e| classify(&e))?;
            let statements = v.payloads().cloned().collect();
            Ok(AttestationCheck::new(v.digest, statements))
        })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move {
            ImageVerifier::resolve(self, image)
                .await
                .map_err(|e| classify(&e))
        })
    }
}

fn classify(e: &VerifyError) -> VerifyFailure {
    if e.is_unavailable() {
        VerifyFailure::Unavailable(e.reason().to_owned())
    } else {
        VerifyFailure::Failed(e.reason().to_owned())
    }
}
