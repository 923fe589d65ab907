//! [`ImageVerifier`]: what policy evaluation calls to verify an image against a set of
//! attestors, with N-of-M semantics and a verification cache, and [`RegistryVerifier`], its
//! implementation over registries.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boltseal_oci::{ManifestRef, RegistryOptions, RegistryPool, RegistryStore, Store};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::EvidenceLimits;
use boltseal_verify::evidence::Evidence;
use boltseal_verify::image::VerifyError;
use boltseal_verify::verifier::{
    AttestorSet, ImageVerification, check_attestations_with_attestors,
    check_signatures_with_attestors,
};
use tokio::sync::Mutex;

use crate::fetch::{fetch_evidence, off_reactor};
use crate::from_oci;
use crate::image::digest_of;

/// Verifies images for policy evaluation. Implementations resolve the reference once and
/// answer for that digest.
pub trait ImageVerifier: Send + Sync {
    /// Verifies `image` against `attestors`.
    fn verify(
        &self,
        image: &Reference,
        attestors: &AttestorSet,
    ) -> impl Future<Output = Result<ImageVerification, VerifyError>> + Send;

    /// Verifies `image`'s attestations of `predicate_type` (a URI) against `attestors`: an
    /// attestor vouches when at least one attestation of that type about the digest verifies
    /// with it; the payloads are those statements.
    ///
    /// The default implementation refuses (a verifier that cannot check attestations must not
    /// pass them).
    fn verify_attestations(
        &self,
        image: &Reference,
        attestors: &AttestorSet,
        predicate_type: &str,
    ) -> impl Future<Output = Result<ImageVerification, VerifyError>> + Send {
        let _ = (image, attestors, predicate_type);
        async {
            Err(VerifyError::refused(
                "this verifier does not verify attestations",
            ))
        }
    }
}

/// Checks `attestors` against the image `reference` names in `store` (N of M).
///
/// # Errors
/// [`VerifyError`] when fewer attestors than required vouch, with each one's reason.
pub async fn verify_with_attestors<S: Store>(
    store: &S,
    reference: &ManifestRef,
    attestors: &AttestorSet,
) -> Result<ImageVerification, VerifyError> {
    if attestors.attestors.is_empty() {
        return Err(VerifyError::refused("no attestors configured"));
    }
    let digest = digest_of(store, reference).await?;
    // The evidence is read once, whatever the number of attestors.
    let evidence = fetch_evidence(store, &digest, "sig", &EvidenceLimits::default()).await?;
    let attestors = attestors.clone();
    off_reactor(move || check_signatures_with_attestors(&evidence, &attestors)).await?
}

/// Checks `attestors` against the attestations of `predicate_type` of the image `reference`
/// names in `store` (N of M), as [`verify_image_attestations`] does for keys and
/// [`verify_image_attestations_keyless`] for keyless identities (legacy `.att` layers and
/// bundle referrers), reading the evidence once for all of them.
///
/// [`verify_image_attestations`]: crate::image::verify_image_attestations
/// [`verify_image_attestations_keyless`]: crate::image::verify_image_attestations_keyless
///
/// # Errors
/// [`VerifyError`] when fewer attestors than required vouch, with each one's reason.
pub async fn verify_attestations_with_attestors<S: Store>(
    store: &S,
    reference: &ManifestRef,
    attestors: &AttestorSet,
    predicate_type: &str,
) -> Result<ImageVerification, VerifyError> {
    if attestors.attestors.is_empty() {
        return Err(VerifyError::refused("no attestors configured"));
    }
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "att", &EvidenceLimits::default()).await?;
    let (attestors, predicate_type) = (attestors.clone(), predicate_type.to_owned());
    off_reactor(move || check_attestations_with_attestors(&evidence, &attestors, &predicate_type))
        .await?
}

type CacheKey = (Digest, String);

/// Evidence memo key: registry, repository, digest, `sig` or `att`.
type EvidenceKey = (String, String, Digest, &'static str);

/// How long read evidence is reused: long enough for the attestors of one admission request
/// (checked one by one by a policy engine) to share one read, short enough that a signature
/// pushed after a refusal is seen on the next attempt.
const EVIDENCE_TTL: Duration = Duration::from_secs(2);

/// Read evidence by key, with when it was read.
type EvidenceMemo = HashMap<EvidenceKey, (Instant, Arc<Evidence>)>;

/// At most this many images' evidence is kept.
const EVIDENCE_CAPACITY: usize = 256;

/// At most this many bytes of evidence (as charged to [`EvidenceLimits::max_bytes`]) are kept.
const EVIDENCE_MEMO_BYTES: u64 = 32 << 20;

/// At most this many images' evidence is read at the same time by one verifier: with
/// [`EvidenceLimits::max_bytes`], a bound on the memory evidence in flight can take.
const CONCURRENT_EVIDENCE_READS: usize = 8;

/// An [`ImageVerifier`] over registries, with a cache of successful verifications keyed by
/// (digest, attestor set) for a time-to-live. Failures are not cached. Registries are reached
/// through a [`RegistryPool`] (one connection pool, one store and token per repository). Safe
/// to share between concurrent requests.
#[derive(Clone)]
pub struct RegistryVerifier {
    pool: RegistryPool,
    ttl: Duration,
    cache: Arc<Mutex<HashMap<CacheKey, (Instant, ImageVerification)>>>,
    evidence: Arc<Mutex<EvidenceMemo>>,
    limits: EvidenceLimits,
    reads: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for RegistryVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryVerifier")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RegistryVerifier {
    /// A verifier whose cache keeps results for `ttl`.
    #[must_use]
    pub fn new(options: RegistryOptions, ttl: Duration) -> Self {
        Self::with_pool(RegistryPool::new(options), ttl)
    }

    /// A verifier reaching registries through `pool` (shared with its other users).
    #[must_use]
    pub fn with_pool(pool: RegistryPool, ttl: Duration) -> Self {
        RegistryVerifier {
            pool,
            ttl,
            cache: Arc::new(Mutex::new(HashMap::new())),
            evidence: Arc::new(Mutex::new(HashMap::new())),
            limits: EvidenceLimits::default(),
            reads: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_EVIDENCE_READS)),
        }
    }

    /// Replaces the bounds on each image's evidence.
    #[must_use]
    pub fn with_limits(mut self, limits: EvidenceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The registry pool.
    #[must_use]
    pub fn pool(&self) -> &RegistryPool {
        &self.pool
    }

    /// How many results the cache holds (expired ones included until next use).
    pub async fn cached(&self) -> usize {
        self.cache.lock().await.len()
    }
}

impl RegistryVerifier {
    /// The evidence of `digest` in `store` (`kind` `sig` or `att`), read once for all the checks
    /// made within [`EVIDENCE_TTL`].
    async fn evidence(
        &self,
        store: &RegistryStore,
        digest: &Digest,
        kind: &'static str,
    ) -> Result<Arc<Evidence>, VerifyError> {
        let key = (
            store.registry().to_owned(),
            store.repository().to_owned(),
            *digest,
            kind,
        );
        {
            let mut memo = self.evidence.lock().await;
            let now = Instant::now();
            memo.retain(|_, (at, _)| now.duration_since(*at) < EVIDENCE_TTL);
            if let Some((_, hit)) = memo.get(&key) {
                return Ok(Arc::clone(hit));
            }
        }
        let read = {
            let _permit = self
                .reads
                .acquire()
                .await
                .map_err(|_| VerifyError::refused("verifier closed"))?;
            Arc::new(fetch_evidence(store, digest, kind, &self.limits).await?)
        };
        let mut memo = self.evidence.lock().await;
        let held: u64 = memo.values().map(|(_, e)| e.bytes()).sum();
        if memo.len() < EVIDENCE_CAPACITY && held + read.bytes() <= EVIDENCE_MEMO_BYTES {
            memo.insert(key, (Instant::now(), Arc::clone(&read)));
        }
        Ok(read)
    }

    /// Resolves `image` (every call: tags move), answers from the cache for (digest, `what`),
    /// else runs `check` on the image's evidence of `kind` and caches a success.
    async fn cached_check(
        &self,
        image: &Reference,
        what: String,
        kind: &'static str,
        check: impl FnOnce(&Evidence) -> Result<ImageVerification, VerifyError> + Send + 'static,
    ) -> Result<ImageVerification, VerifyError> {
        let store = self.pool.store(image).map_err(from_oci)?;
        let digest = digest_of(&*store, &ManifestRef::of(image)).await?;
        let key = (digest, what);
        {
            let mut cache = self.cache.lock().await;
            let now = Instant::now();
            cache.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if let Some((_, hit)) = cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let evidence = self.evidence(&store, &digest, kind).await?;
        let result = off_reactor(move || check(&evidence)).await??;
        self.cache
            .lock()
            .await
            .insert(key, (Instant::now(), result.clone()));
        Ok(result)
    }
}

impl ImageVerifier for RegistryVerifier {
    async fn verify(
        &self,
        image: &Reference,
        attestors: &AttestorSet,
    ) -> Result<ImageVerification, VerifyError> {
        let owned = attestors.clone();
        self.cached_check(image, attestors.fingerprint(), "sig", move |evidence| {
            check_signatures_with_attestors(evidence, &owned)
        })
        .await
    }

    async fn verify_attestations(
        &self,
        image: &Reference,
        attestors: &AttestorSet,
        predicate_type: &str,
    ) -> Result<ImageVerification, VerifyError> {
        let what = format!("{}|attestations:{predicate_type}", attestors.fingerprint());
        let (owned, predicate_type) = (attestors.clone(), predicate_type.to_owned());
        self.cached_check(image, what, "att", move |evidence| {
            check_attestations_with_attestors(evidence, &owned, &predicate_type)
        })
        .await
    }
}
