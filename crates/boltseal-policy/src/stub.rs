//! A stand-in [`ImageVerifier`] for tests and benchmarks: every image verifies to one fixed digest
//! (unless its name contains a refused word), after an optional latency, and every call is
//! counted (in total, per image, and how many overlapped). Not part of the stable API.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use boltseal_evidence::{ImageVerifier, VerifyFuture};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::{Authority, Claim, Verification, VerifyError};

/// The digest every image resolves and verifies to.
pub const DIGEST: &str = "sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097";

/// What a verification waits for before it answers (a runtime's sleep or yields).
pub type Latency = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The stand-in verifier (see the [module documentation](self)).
#[derive(Default)]
pub struct StubVerifier {
    latency: Option<Latency>,
    refused: Option<String>,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    per_image: Mutex<HashMap<String, usize>>,
}

impl std::fmt::Debug for StubVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StubVerifier")
            .field("refused", &self.refused)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl StubVerifier {
    /// Verifies everything at once.
    #[must_use]
    pub fn new() -> Self {
        StubVerifier::default()
    }

    /// Waits for `latency()` in every signature verification.
    #[must_use]
    pub fn with_latency<F, Fut>(mut self, latency: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.latency = Some(Box::new(move || Box::pin(latency())));
        self
    }

    /// Refuses (`no valid signatures`) the signatures of images whose name contains `word`.
    #[must_use]
    pub fn refusing(mut self, word: &str) -> Self {
        self.refused = Some(word.to_owned());
        self
    }

    /// Signature verifications so far.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Signature verifications of `image` (as the engine named it) so far.
    #[must_use]
    pub fn calls_for(&self, image: &str) -> usize {
        self.per_image
            .lock()
            .map_or(0, |m| m.get(image).copied().unwrap_or(0))
    }

    /// The most signature verifications that were in flight at once.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

fn digest() -> Digest {
    // A constant that parses.
    DIGEST.parse().unwrap_or_else(|_| unreachable!())
}

impl ImageVerifier for StubVerifier {
    fn verify<'a>(
        &'a self,
        image: &'a Reference,
        _: &'a Authority,
        claim: &'a Claim,
    ) -> VerifyFuture<'a, Verification> {
        Box::pin(async move {
            if *claim != Claim::Signature {
                return Ok(Verification::new(digest(), Vec::new()));
            }
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut m) = self.per_image.lock() {
                *m.entry(image.to_string()).or_default() += 1;
            }
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            if let Some(latency) = &self.latency {
                latency().await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Some(word) = &self.refused
                && image.to_string().contains(word.as_str())
            {
                return Err(VerifyError::refused("no valid signatures"));
            }
            Ok(Verification::new(digest(), Vec::new()))
        })
    }

    fn resolve<'a>(&'a self, _: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async { Ok(digest()) })
    }
}
