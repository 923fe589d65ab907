//! Counting the HTTP requests sent to registries: in total for the process (what a metrics
//! endpoint reports), and for the work one caller wraps with [`count_requests`] (what one
//! image's verification cost), whichever stores and connections it goes through.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static TOTAL: AtomicU64 = AtomicU64::new(0);

tokio::task_local! {
    static SCOPE: Arc<AtomicU64>;
}

/// Registry requests sent by this process so far (every attempt: token requests, retries
/// after a 401 and redirects to blob storage included).
#[must_use]
pub fn registry_requests() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

/// Runs `work` and returns its output with the number of registry requests it sent. Requests
/// of tasks `work` spawns are not counted (they run outside its scope); futures it joins are.
///
/// ```
/// # async fn demo() {
/// let (output, requests) = boltseal_oci::count_requests(async { 42 }).await;
/// assert_eq!((output, requests), (42, 0));
/// # }
/// ```
pub async fn count_requests<F: Future>(work: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let output = SCOPE.scope(Arc::clone(&counter), work).await;
    (output, counter.load(Ordering::Relaxed))
}

/// Records one request.
pub(crate) fn record() {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    let _ = SCOPE.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
}
