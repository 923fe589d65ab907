//! [`ImageVerifier`]: what policy evaluation calls to verify an image against a set of
//! attestors, with N-of-M semantics and a verification cache: signatures
//! ([`ImageVerifier::verify`], Kyverno's `attestors`) and attestations of one predicate type
//! ([`ImageVerifier::verify_attestations`], Kyverno's `attestations`), by keys and keyless
//! identities alike.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boltseal_keys::PublicKey;
use boltseal_oci::{ManifestRef, RegistryOptions, RegistryPool, RegistryStore, Store};
use boltseal_reference::{Digest, Reference};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::evidence::{Evidence, EvidenceLimits, fetch_evidence, off_reactor};
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
    fn fingerprint(&self) -> String {
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
    /// [`ImageVerifier::verify`]; the in-toto statements (of the requested predicate type, about
    /// the digest) for [`ImageVerifier::verify_attestations`]. A statement vouched for by several
    /// attestors appears once per attestor.
    pub payloads: Vec<Value>,
}

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
            Err(VerifyError::new(
                "this verifier does not verify attestations",
            ))
        }
    }
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
        return Err(VerifyError::new("no attestors configured"));
    }
    let digest = crate::image::digest_of(store, reference).await?;
    // The evidence is read once, whatever the number of attestors.
    let evidence = fetch_evidence(store, &digest, "sig", &EvidenceLimits::default()).await?;
    let attestors = attestors.clone();
    off_reactor(move || check_signatures_with_attestors(&evidence, &attestors)).await?
}

/// [`verify_with_attestors`] on evidence already read.
fn check_signatures_with_attestors(
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
        return Err(VerifyError::new("no attestors configured"));
    }
    let digest = crate::image::digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "att", &EvidenceLimits::default()).await?;
    let (attestors, predicate_type) = (attestors.clone(), predicate_type.to_owned());
    off_reactor(move || check_attestations_with_attestors(&evidence, &attestors, &predicate_type))
        .await?
}

/// [`verify_attestations_with_attestors`] on evidence already read.
fn check_attestations_with_attestors(
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
                .map_err(|_| VerifyError::new("verifier closed"))?;
            Arc::new(fetch_evidence(store, digest, kind, &self.limits).await?)
        };
        let mut memo = self.evidence.lock().await;
        let held: u64 = memo.values().map(|(_, e)| e.bytes).sum();
        if memo.len() < EVIDENCE_CAPACITY && held + read.bytes <= EVIDENCE_MEMO_BYTES {
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
        let store = self.pool.store(image)?;
        let digest = crate::image::digest_of(&*store, &ManifestRef::of(image)).await?;
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
