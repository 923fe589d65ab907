//! [`RegistryPool`]: registry stores shared by everything that reaches registries repeatedly
//! (a policy engine, an admission webhook): one HTTP client (one connection pool), one store per
//! repository (its token and credential kept), what each registry supports remembered.

use std::collections::HashMap;
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use boltseal_reference::Reference;

use crate::error::Result;
use crate::registry::{RegistryOptions, RegistryStore, http_client};

/// How many repositories a pool keeps by default.
pub const DEFAULT_POOL_CAPACITY: usize = 512;

/// How long a pooled store is reused by default before it is opened afresh (credentials
/// re-read, tokens and remembered registry capabilities forgotten).
pub const DEFAULT_POOL_TTL: Duration = Duration::from_secs(600);

struct Entry {
    opened: Instant,
    used: Instant,
    store: Arc<RegistryStore>,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<bool, reqwest::Client>,
    stores: HashMap<(String, String), Entry>,
    referrers_api: HashMap<String, (Instant, Arc<AtomicU8>)>,
}

/// Registry stores by repository, sharing one HTTP client: connections are kept alive across
/// repositories of a registry, a repository's bearer token is reused until it expires, and a
/// registry found to lack the referrers API is read through the referrers tag schema directly.
///
/// Bounded: at most `capacity` repositories (the least recently used is dropped), each reused
/// for at most `ttl`. Cheap to clone (clones share the pool).
///
/// ```
/// use boltseal_oci::{RegistryOptions, RegistryPool};
/// use boltseal_reference::Reference;
///
/// let pool = RegistryPool::new(RegistryOptions::new());
/// let a = pool.store(&Reference::parse("127.0.0.1:5000/team/app:v1")?)?;
/// let b = pool.store(&Reference::parse("127.0.0.1:5000/team/app@sha256:0000000000000000000000000000000000000000000000000000000000000000")?)?;
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// assert_eq!(pool.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RegistryPool {
    options: RegistryOptions,
    capacity: usize,
    ttl: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for RegistryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryPool")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("repositories", &self.len())
            .finish_non_exhaustive()
    }
}

impl RegistryPool {
    /// A pool opening stores with `options`, with the default capacity and time to live.
    #[must_use]
    pub fn new(options: RegistryOptions) -> Self {
        RegistryPool {
            options,
            capacity: DEFAULT_POOL_CAPACITY,
            ttl: DEFAULT_POOL_TTL,
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    /// Keeps at most `capacity` repositories (at least one).
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Reuses a store for at most `ttl`.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The options stores are opened with.
    #[must_use]
    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    /// How many repositories the pool holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().stores.len()
    }

    /// Whether the pool holds no repository.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map holds no invariant a panicking holder could break halfway.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store of the repository `reference` names (its tag and digest are ignored), opened
    /// on first use.
    ///
    /// # Errors
    /// As [`RegistryStore::new`]: plain HTTP not allowed, an unusable credential file.
    pub fn store(&self, reference: &Reference) -> Result<Arc<RegistryStore>> {
        let key = (
            reference.registry().to_owned(),
            reference.repository().to_owned(),
        );
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(e) = inner.stores.get_mut(&key)
            && now.duration_since(e.opened) < self.ttl
        {
            e.used = now;
            return Ok(Arc::clone(&e.store));
        }
        let allow_http = self.options.allow_http;
        let http = match inner.clients.get(&allow_http) {
            Some(c) => c.clone(),
            None => {
                let c = http_client(allow_http, reference)?;
                inner.clients.insert(allow_http, c.clone());
                c
            }
        };
        let ttl = self.ttl;
        let referrers_api = {
            let slot = inner
                .referrers_api
                .entry(key.0.clone())
                .or_insert_with(|| (now, Arc::new(AtomicU8::new(0))));
            if now.duration_since(slot.0) >= ttl {
                *slot = (now, Arc::new(AtomicU8::new(0)));
            }
            Arc::clone(&slot.1)
        };
        let store = Arc::new(RegistryStore::with_client(
            reference,
            self.options.clone(),
            http,
            referrers_api,
        )?);
        inner
            .stores
            .retain(|_, e| now.duration_since(e.opened) < ttl);
        while inner.stores.len() >= self.capacity {
            let Some(oldest) = inner
                .stores
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            inner.stores.remove(&oldest);
        }
        // Capabilities of registries no longer in the pool are forgotten with them.
        let Inner {
            stores,
            referrers_api,
            ..
        } = &mut *inner;
        referrers_api.retain(|r, _| *r == key.0 || stores.keys().any(|(sr, _)| sr == r));
        inner.stores.insert(
            key,
            Entry {
                opened: now,
                used: now,
                store: Arc::clone(&store),
            },
        );
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn one_store_per_repository() {
        let pool = RegistryPool::new(RegistryOptions::new());
        let a = pool.store(&r("127.0.0.1:5000/a:1")).unwrap();
        let a2 = pool.store(&r("127.0.0.1:5000/a:2")).unwrap();
        let b = pool.store(&r("127.0.0.1:5000/b:1")).unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a.referrers_flag(), &b.referrers_flag()));
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn bounded_by_capacity_least_recently_used_first() {
        let pool = RegistryPool::new(RegistryOptions::new()).capacity(2);
        let a = pool.store(&r("127.0.0.1:5000/a:1")).unwrap();
        pool.store(&r("127.0.0.1:5000/b:1")).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        pool.store(&r("127.0.0.1:5000/a:1")).unwrap();
        pool.store(&r("127.0.0.1:5000/c:1")).unwrap();
        assert_eq!(pool.len(), 2);
        // b was the least recently used: a is still the same store.
        assert!(Arc::ptr_eq(
            &a,
            &pool.store(&r("127.0.0.1:5000/a:1")).unwrap()
        ));
    }

    #[test]
    fn expired_stores_are_reopened() {
        let pool = RegistryPool::new(RegistryOptions::new()).ttl(Duration::ZERO);
        let a = pool.store(&r("127.0.0.1:5000/a:1")).unwrap();
        let again = pool.store(&r("127.0.0.1:5000/a:1")).unwrap();
        assert!(!Arc::ptr_eq(&a, &again));
    }
}
