//! [`ImageVerifier`]: image verification as services call it (a policy engine, an admission
//! webhook), dyn-compatible so it can be shared as `Arc<dyn ImageVerifier>`, with its
//! implementations over registries ([`crate::RegistryVerifier`]), OCI layouts
//! ([`LayoutVerifier`]) and nothing at all ([`Offline`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use boltseal_core::ErrorKind;
use boltseal_oci::{LayoutStore, ManifestRef, Store};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::{Authority, Check, Claim, Verification, VerifyError};

/// A boxed future, so that [`ImageVerifier`] is dyn-compatible.
pub type VerifyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, VerifyError>> + Send + 'a>>;

/// Verifies images by reference. Implementations resolve a tag once and answer for that
/// digest; [`VerifyError::is_unavailable`] tells a store that could not be reached from
/// evidence that does not verify.
pub trait ImageVerifier: Send + Sync {
    /// Verifies that `authority` vouched for `claim` about `image`.
    fn verify<'a>(
        &'a self,
        image: &'a Reference,
        authority: &'a Authority,
        claim: &'a Claim,
    ) -> VerifyFuture<'a, Verification>;

    /// Resolves `image` to its digest (for digest pinning without signatures).
    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest>;
}

/// An [`ImageVerifier`] that cannot reach any store: every call is unavailable. What offline
/// policy evaluation uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offline;

fn offline(image: &Reference) -> VerifyError {
    VerifyError::unavailable(format!("{image}: no registry access (offline evaluation)"))
}

impl ImageVerifier for Offline {
    fn verify<'a>(
        &'a self,
        image: &'a Reference,
        _: &'a Authority,
        _: &'a Claim,
    ) -> VerifyFuture<'a, Verification> {
        Box::pin(async move { Err(offline(image)) })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move { Err(offline(image)) })
    }
}

/// An [`ImageVerifier`] for repositories kept in OCI image layouts: policies evaluated in an
/// offline pipeline (a build directory, an air-gapped mirror) before anything reaches a
/// registry. Each repository name (`registry/path`, as [`Reference::repository_name`] gives it)
/// maps to one layout; an image of any other repository fails verification (it is not trusted
/// merely because it is absent).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use boltseal_evidence::{ImageVerifier, LayoutVerifier};
/// use boltseal_oci::LayoutStore;
///
/// let dir = std::env::temp_dir().join(format!("evidence-layout-doc-{}", std::process::id()));
/// let layout = LayoutStore::create(&dir).await.unwrap();
/// let verifier = LayoutVerifier::new().with_repository("localhost/demo", layout);
/// let elsewhere = "registry.example.com/app:v1".parse().unwrap();
/// let err = verifier.resolve(&elsewhere).await.unwrap_err();
/// assert!(err.reason().contains("no layout holds registry.example.com/app"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
#[derive(Debug, Default)]
pub struct LayoutVerifier {
    repositories: BTreeMap<String, LayoutStore>,
}

impl LayoutVerifier {
    /// A verifier that knows no repository yet.
    #[must_use]
    pub fn new() -> Self {
        LayoutVerifier::default()
    }

    /// Serves `repository` (`registry/path`, for example `localhost/demo` or
    /// `docker.io/library/nginx`) from `layout`, whose tags are the repository's tags.
    #[must_use]
    pub fn with_repository(mut self, repository: &str, layout: LayoutStore) -> Self {
        self.repositories.insert(repository.to_owned(), layout);
        self
    }

    fn store(&self, image: &Reference) -> Result<&LayoutStore, VerifyError> {
        let name = image.repository_name();
        self.repositories.get(&name).ok_or_else(|| {
            VerifyError::new(
                ErrorKind::NotFound,
                Check::Evidence,
                format!("{image}: no layout holds {name}"),
            )
        })
    }

    async fn digest(&self, image: &Reference) -> Result<Digest, VerifyError> {
        let store = self.store(image)?;
        match store.resolve(&ManifestRef::of(image)).await {
            Ok(found) => Ok(found.digest),
            // A layout that cannot be read is unavailable (the policy's failurePolicy decides);
            // anything else (a missing tag, a bad manifest) fails verification.
            Err(e) if e.kind() == boltseal_oci::ErrorKind::Io => {
                Err(VerifyError::unavailable(format!("{image}: {e}")))
            }
            Err(e) => Err(VerifyError::refused(format!("{image}: {e}")).at(Check::Evidence)),
        }
    }
}

impl ImageVerifier for LayoutVerifier {
    fn verify<'a>(
        &'a self,
        image: &'a Reference,
        authority: &'a Authority,
        claim: &'a Claim,
    ) -> VerifyFuture<'a, Verification> {
        Box::pin(async move {
            let digest = self.digest(image).await?;
            let store = self.store(image)?;
            crate::verify(store, &ManifestRef::Digest(digest), authority, claim).await
        })
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(self.digest(image))
    }
}
