//! Verification of images kept in OCI image layouts: policies evaluated in an offline pipeline
//! (a build directory, an air-gapped mirror) before anything reaches a registry.

use std::collections::BTreeMap;

use boltseal_evidence::{verify_attestations_with_attestors, verify_with_attestors};
use boltseal_oci::{ErrorKind, LayoutStore, ManifestRef, Store};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::verifier::AttestorSet;

use crate::verifier::{AttestationCheck, SignatureCheck, Verifier, VerifyFailure, VerifyFuture};

/// A [`Verifier`] that answers for repositories stored in OCI image layouts. Each repository
/// name (`registry/path`, as in [`Reference::repository_name`]) maps to one layout; an image of
/// any other repository fails verification (it is not trusted merely because it is absent).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use boltseal_oci::LayoutStore;
/// use boltseal_policy::{LayoutImageVerifier, Verifier};
///
/// let dir = tempfile::tempdir().unwrap();
/// let layout = LayoutStore::create(dir.path()).await.unwrap();
/// let verifier = LayoutImageVerifier::new().with_repository("localhost/demo", layout);
/// let elsewhere = "registry.example.com/app:v1".parse().unwrap();
/// let err = verifier.resolve(&elsewhere).await.unwrap_err();
/// assert!(err.reason().contains("no layout holds registry.example.com/app"));
/// # });
/// ```
#[derive(Debug, Default)]
pub struct LayoutImageVerifier {
    repositories: BTreeMap<String, LayoutStore>,
}

impl LayoutImageVerifier {
    /// A verifier that knows no repository yet.
    #[must_use]
    pub fn new() -> Self {
        LayoutImageVerifier::default()
    }

    /// Serves `repository` (`registry/path`, for example `localhost/demo` or
    /// `docker.io/library/nginx`) from `layout`, whose tags are the repository's tags.
    #[must_use]
    pub fn with_repository(mut self, repository: &str, layout: LayoutStore) -> Self {
        self.repositories.insert(repository.to_owned(), layout);
        self
    }

    fn store(&self, image: &Reference) -> Result<&LayoutStore, VerifyFailure> {
        let name = image.repository_name();
        self.repositories
            .get(&name)
            .ok_or_else(|| VerifyFailure::Failed(format!("{image}: no layout holds {name}")))
    }
}

/// A layout that cannot be read is an error (the policy's `failurePolicy` decides); anything
/// else (a missing tag, a bad manifest) fails verification.
fn classify(image: &Reference, e: &boltseal_oci::Error) -> VerifyFailure {
    match e.kind() {
        ErrorKind::Io => VerifyFailure::Unavailable(format!("{image}: {e}")),
        _ => VerifyFailure::Failed(format!("{image}: {e}")),
    }
}

impl Verifier for LayoutImageVerifier {
    fn verify_signatures<'a>(
        &'a self,
        image: &'a Reference,
        attestors: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move {
            let store = self.store(image)?;
            let digest = store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(image, &e))?
                .digest;
            let v = verify_with_attestors(store, &ManifestRef::Digest(digest), attestors)
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
                .map_err(|e| classify(image, &e))?
                .digest;
            let v = verify_attestations_with_attestors(
                store,
                &ManifestRef::Digest(digest),
                attestors,
                predicate_type,
            )
            .await
            .map_err(|e| VerifyFailure::Failed(e.reason().to_owned()))?;
            Ok(AttestationCheck::new(v.digest, v.payloads))
        })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move {
            let store = self.store(image)?;
            Ok(store
                .resolve(&ManifestRef::of(image))
                .await
                .map_err(|e| classify(image, &e))?
                .digest)
        })
    }
}
