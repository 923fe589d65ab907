//! Verification results shared between requests, keyed by (policy, rule, entry, image):
//! successes for the cache's lifetime, failures for a few seconds, and at most one verification
//! in flight per key: when a Deployment rolls out, the reviews of its Pods wait for the one
//! verification of their image and take its answer, success or refusal alike.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use boltseal_reference::Digest;

use crate::response::RuleStatus;

/// A refusal or an error, as the rule reports it.
pub(crate) type Failure = (RuleStatus, String);

type CacheKey = (String, String, usize, String);

/// At most this many keys are remembered.
const CAPACITY: usize = 100_000;

/// How long refusals and registry errors are remembered by default: long enough that a herd
/// of Pods with a bad image does not hammer the registry, short enough that a fixed
/// signature is seen at once.
pub(crate) const DEFAULT_FAILURE_TTL: Duration = Duration::from_secs(5);

struct Entry {
    key: CacheKey,
    at: Instant,
    outcome: Result<Digest, Failure>,
}

/// Where the answer for an image came from.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationSource {
    /// This request ran the verification.
    Verified,
    /// A remembered outcome (success, or a recent refusal or error).
    Cache,
    /// Another request's verification, which this one waited for.
    Joined,
}

impl VerificationSource {
    /// `verified`, `cache` or `joined`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationSource::Verified => "verified",
            VerificationSource::Cache => "cache",
            VerificationSource::Joined => "joined",
        }
    }
}

/// What checking one image of a rule cost: where the answer came from and the registry
/// requests this request sent for it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageCheck {
    /// The image as the rule saw it.
    pub image: String,
    /// Where the answer came from.
    pub source: VerificationSource,
    /// Registry requests sent for it by this request (none for cached and joined answers).
    pub registry_requests: u64,
}

/// What the cache did, counted since the engine was made.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerificationStats {
    /// Image verifications run (cache misses that reached the verifier).
    pub verifications: u64,
    /// Answers from a remembered success.
    pub cache_hits: u64,
    /// Answers from a remembered refusal or error.
    pub failure_hits: u64,
    /// Requests that waited for a verification another request was running, and took its
    /// outcome.
    pub joined: u64,
}

#[derive(Default)]
struct Counters {
    verifications: AtomicU64,
    cache_hits: AtomicU64,
    failure_hits: AtomicU64,
    joined: AtomicU64,
}

pub(crate) struct VerificationCache {
    pub(crate) ttl: Duration,
    pub(crate) failure_ttl: Duration,
    hasher: RandomState,
    entries: RwLock<HashMap<u64, Entry>>,
    flights: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    counters: Counters,
}

impl VerificationCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        VerificationCache {
            ttl,
            failure_ttl: DEFAULT_FAILURE_TTL,
            hasher: RandomState::new(),
            entries: RwLock::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    fn hash(&self, policy: &str, rule: &str, entry: usize, image: &str) -> u64 {
        self.hasher.hash_one((policy, rule, entry, image))
    }

    /// A remembered outcome that has not expired.
    fn get(&self, h: u64, key: (&str, &str, usize, &str)) -> Option<Result<Digest, Failure>> {
        let map = self.entries.read().ok()?;
        let e = map.get(&h)?;
        let same = e.key.0 == key.0 && e.key.1 == key.1 && e.key.2 == key.2 && e.key.3 == key.3;
        let ttl = if e.outcome.is_ok() {
            self.ttl
        } else {
            self.failure_ttl
        };
        (same && e.at.elapsed() < ttl).then(|| e.outcome.clone())
    }

    fn remember(&self, h: u64, key: (&str, &str, usize, &str), outcome: Result<Digest, Failure>) {
        let ttl = if outcome.is_ok() {
            self.ttl
        } else {
            self.failure_ttl
        };
        if ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= CAPACITY {
                let (ok_ttl, failure_ttl) = (self.ttl, self.failure_ttl);
                map.retain(|_, e| {
                    e.at.elapsed()
                        < if e.outcome.is_ok() {
                            ok_ttl
                        } else {
                            failure_ttl
                        }
                });
                if map.len() >= CAPACITY {
                    map.clear();
                }
            }
            map.insert(
                h,
                Entry {
                    key: (key.0.to_owned(), key.1.to_owned(), key.2, key.3.to_owned()),
                    at: Instant::now(),
                    outcome,
                },
            );
        }
    }

    /// Remembers a success for `image` (e.g. the pinned form of a verified image).
    pub(crate) fn put(&self, policy: &str, rule: &str, entry: usize, image: &str, digest: Digest) {
        let key = (policy, rule, entry, image);
        self.remember(self.hash(policy, rule, entry, image), key, Ok(digest));
    }

    /// The outcome for the key: remembered, or computed by `verify` — by this caller, or by
    /// another one already running it, whose outcome this caller then takes. Callers that give
    /// up (their deadline passed) leave the flight to the others.
    pub(crate) async fn get_or_verify<F>(
        &self,
        key: (&str, &str, usize, &str),
        verify: F,
    ) -> (Result<(Digest, String), Failure>, VerificationSource, u64)
    where
        F: std::future::Future<Output = Result<(Digest, String), Failure>>,
    {
        let h = self.hash(key.0, key.1, key.2, key.3);
        if let Some(hit) = self.answer(h, key) {
            self.count_hit(&hit);
            return (hit, VerificationSource::Cache, 0);
        }
        let flight = {
            let Ok(mut flights) = self.flights.lock() else {
                let (outcome, requests) = boltseal_oci::count_requests(verify).await;
                return (outcome, VerificationSource::Verified, requests);
            };
            Arc::clone(flights.entry(h).or_default())
        };
        let waited = flight.try_lock().is_err();
        let guard = flight.lock().await;
        // Whoever held the flight has remembered its outcome.
        if let Some(hit) = self.answer(h, key) {
            if waited {
                self.counters.joined.fetch_add(1, Ordering::Relaxed);
                return (hit, VerificationSource::Joined, 0);
            }
            self.count_hit(&hit);
            return (hit, VerificationSource::Cache, 0);
        }
        self.counters.verifications.fetch_add(1, Ordering::Relaxed);
        let (outcome, requests) = boltseal_oci::count_requests(verify).await;
        self.remember(
            h,
            key,
            outcome.as_ref().map(|(d, _)| *d).map_err(Clone::clone),
        );
        drop(guard);
        if let Ok(mut flights) = self.flights.lock()
            && flights.get(&h).is_some_and(|f| Arc::strong_count(f) <= 2)
        {
            flights.remove(&h);
        }
        (outcome, VerificationSource::Verified, requests)
    }

    fn answer(
        &self,
        h: u64,
        key: (&str, &str, usize, &str),
    ) -> Option<Result<(Digest, String), Failure>> {
        Some(
            self.get(h, key)?
                .map(|d| (d, "verified from cache".to_owned())),
        )
    }

    fn count_hit(&self, hit: &Result<(Digest, String), Failure>) {
        let counter = if hit.is_ok() {
            &self.counters.cache_hits
        } else {
            &self.counters.failure_hits
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> VerificationStats {
        VerificationStats {
            verifications: self.counters.verifications.load(Ordering::Relaxed),
            cache_hits: self.counters.cache_hits.load(Ordering::Relaxed),
            failure_hits: self.counters.failure_hits.load(Ordering::Relaxed),
            joined: self.counters.joined.load(Ordering::Relaxed),
        }
    }
}
