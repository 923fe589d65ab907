//! [`RegistryVerifier`]: the [`ImageVerifier`] over registries, with a verification cache and
//! an evidence memo shared by the checks of one admission request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boltseal_oci::{ManifestRef, RegistryOptions, RegistryPool, RegistryStore};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::{Authority, Claim, Evidence, EvidenceLimits, Verification, VerifyError};
use tokio::sync::Mutex;

use crate::fetch::{fetch_evidence, off_reactor};
use crate::from_oci;
use crate::image::digest_of;
use crate::verifier::{ImageVerifier, VerifyFuture};

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
    cache: Arc<Mutex<HashMap<CacheKey, (Instant, Verification)>>>,
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

    /// Resolves `image` (every call: tags move), answers from the cache for (digest,
    /// authority, claim), else checks the image's evidence and caches a success.
    async fn cached_check(
        &self,
        image: &Reference,
        authority: &Authority,
        claim: &Claim,
    ) -> Result<Verification, VerifyError> {
        let store = self.pool.store(image).map_err(from_oci)?;
        let digest = digest_of(&*store, &ManifestRef::of(image)).await?;
        let key = (
            digest,
            format!("{}|{}", authority.fingerprint(), claim.fingerprint()),
        );
        {
            let mut cache = self.cache.lock().await;
            let now = Instant::now();
            cache.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if let Some((_, hit)) = cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let evidence = self
            .evidence(&store, &digest, claim.evidence_kind())
            .await?;
        let (authority, claim) = (authority.clone(), claim.clone());
        let result =
            off_reactor(move || boltseal_verify::check(&evidence, &authority, &claim)).await??;
        self.cache
            .lock()
            .await
            .insert(key, (Instant::now(), result.clone()));
        Ok(result)
    }
}

impl ImageVerifier for RegistryVerifier {
    fn verify<'a>(
        &'a self,
        image: &'a Reference,
        authority: &'a Authority,
        claim: &'a Claim,
    ) -> VerifyFuture<'a, Verification> {
        Box::pin(self.cached_check(image, authority, claim))
    }

    fn resolve<'a>(&'a self, image: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async move {
            let store = self.pool.store(image).map_err(from_oci)?;
            digest_of(&*store, &ManifestRef::of(image)).await
        })
    }
}
