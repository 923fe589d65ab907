//! Reading an image's evidence from a [`Store`] under a budget, and running the checks on it
//! off the async reactor.
//!
//! Before a byte of a blob is read, the declared sizes are charged to the image's
//! [`EvidenceLimits`]; a blob listed several times is fetched once (every copy is still checked,
//! and charged); referrers whose artifact type says they are not Sigstore bundles are not
//! fetched at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use boltseal_envelope::bundle::Bundle;
use boltseal_oci::{Descriptor, Manifest, ManifestRef, Store};
use boltseal_reference::Digest;
use boltseal_verify::EvidenceLimits;
use boltseal_verify::evidence::Evidence;
use boltseal_verify::image::{MAX_BUNDLE_BYTES, MAX_PAYLOAD_BYTES, SignatureLayer, VerifyError};

use crate::from_oci;

/// How many blobs of one image's evidence are read at the same time.
const CONCURRENT_READS: usize = 8;

/// The byte budget of one image's evidence, shared by the concurrent reads.
struct Budget {
    used: AtomicU64,
    limit: u64,
    image: Digest,
}

impl Budget {
    /// Charges `bytes` (declared by `what`) or refuses, naming the limit and the total seen.
    fn charge(&self, bytes: u64, what: &str) -> Result<(), VerifyError> {
        let total = self
            .used
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        if total > self.limit {
            return Err(VerifyError::refused(format!(
                "evidence of {} exceeds the {}-byte limit ({total} bytes with {what})",
                self.image, self.limit
            )));
        }
        Ok(())
    }
}

/// Legacy signatures (`suffix` `sig`) or attestations (`att`) of `digest` and its bundle
/// referrers, within `limits`. The tag and the referrers are looked up at the same time, and
/// the blobs they name read concurrently: two registry round trips whatever the number of
/// signatures.
pub(crate) async fn fetch_evidence<S: Store>(
    store: &S,
    digest: &Digest,
    suffix: &str,
    limits: &EvidenceLimits,
) -> Result<Evidence, VerifyError> {
    let tag = format!("{}.{suffix}", boltseal_oci::referrers_tag(digest));
    let budget = Budget {
        used: AtomicU64::new(0),
        limit: limits.max_bytes,
        image: *digest,
    };
    let (layers, bundles) = futures_util::future::join(
        fetch_layers(store, &tag, limits, &budget),
        fetch_bundles(store, digest, limits, &budget),
    )
    .await;
    let (bundles, rejected) = bundles?;
    Ok(Evidence::new(
        *digest,
        layers?,
        bundles,
        rejected,
        *limits,
        budget.used.load(Ordering::Relaxed),
    ))
}

async fn fetch_layers<S: Store>(
    store: &S,
    tag: &str,
    limits: &EvidenceLimits,
    budget: &Budget,
) -> Result<Vec<SignatureLayer>, VerifyError> {
    use futures_util::{StreamExt as _, TryStreamExt as _};
    let raw = match store.get_manifest(&ManifestRef::Tag(tag.to_owned())).await {
        Ok(raw) => raw,
        Err(boltseal_oci::Error::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(from_oci(e)),
    };
    let Manifest::Image(m) = raw.parse().map_err(from_oci)? else {
        return Err(VerifyError::refused(format!(
            "{tag} is an index, not a signature manifest"
        )));
    };
    if m.layers.len() > limits.max_layers {
        return Err(VerifyError::refused(format!(
            "{tag} has {} layers, more than the limit of {}",
            m.layers.len(),
            limits.max_layers
        )));
    }
    // Every copy that will be read is charged before anything is fetched.
    let readable = |d: &Descriptor| d.size <= MAX_PAYLOAD_BYTES;
    let announced: u64 = m
        .layers
        .iter()
        .filter(|d| readable(d))
        .map(|d| d.size)
        .sum();
    budget.charge(
        announced,
        &format!("the {} layers of {tag}", m.layers.len()),
    )?;
    // Each distinct blob is fetched once.
    let mut distinct: Vec<Descriptor> = Vec::new();
    for d in m.layers.iter().filter(|d| readable(d)) {
        if !distinct.iter().any(|seen| seen.digest == d.digest) {
            distinct.push(d.clone());
        }
    }
    let blobs: HashMap<Digest, Arc<Vec<u8>>> = futures_util::stream::iter(distinct)
        .map(|d| async move {
            let blob = store
                .get_blob(&d)
                .await
                .map_err(from_oci)?
                .read_to_vec(MAX_PAYLOAD_BYTES)
                .await
                .map_err(from_oci)?;
            Ok::<_, VerifyError>((d.digest, Arc::new(blob)))
        })
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    Ok(m.layers
        .into_iter()
        .map(|d| match blobs.get(&d.digest) {
            Some(blob) if readable(&d) => {
                SignatureLayer::new(d.media_type, blob.as_ref().clone(), d.annotations)
            }
            // Kept as an empty layer so the reason shows up, without reading it.
            _ => SignatureLayer::new(
                format!(
                    "{} (larger than {MAX_PAYLOAD_BYTES} bytes, not read)",
                    d.media_type
                ),
                Vec::new(),
                d.annotations,
            ),
        })
        .collect())
}

/// Whether a referrer may be a Sigstore bundle: an artifact type that says otherwise spares
/// reading its manifest.
fn may_be_bundle(r: &Descriptor) -> bool {
    r.artifact_type
        .as_deref()
        .is_none_or(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
}

/// Bundle referrers of `digest`: (referrer digest, bundle) pairs, bounded; referrer manifests
/// and their bundles are read concurrently.
async fn fetch_bundles<S: Store>(
    store: &S,
    digest: &Digest,
    limits: &EvidenceLimits,
    budget: &Budget,
) -> Result<(Vec<(Digest, Bundle)>, Vec<String>), VerifyError> {
    use futures_util::{StreamExt as _, TryStreamExt as _};
    let referrers = store.referrers(digest, None).await.map_err(from_oci)?;
    let candidates: Vec<Descriptor> = referrers.into_iter().filter(may_be_bundle).collect();
    let read: Vec<Option<Result<(Digest, Bundle), String>>> =
        futures_util::stream::iter(candidates.iter().take(limits.max_referrers).cloned())
            .map(|r| async move { read_bundle(store, &r, budget).await })
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await?;
    let mut bundles = Vec::new();
    let mut rejected = Vec::new();
    for outcome in read.into_iter().flatten() {
        match outcome {
            Ok(b) => bundles.push(b),
            Err(reason) => rejected.push(reason),
        }
    }
    if candidates.len() > limits.max_referrers {
        rejected.push(format!(
            "{} referrers, more than the limit of {}; the rest were not read",
            candidates.len(),
            limits.max_referrers
        ));
    }
    Ok((bundles, rejected))
}

/// One referrer: `None` when it is not a Sigstore bundle, `Some(Err)` when it is one that
/// cannot be used (too large, unparsable).
async fn read_bundle<S: Store>(
    store: &S,
    r: &Descriptor,
    budget: &Budget,
) -> Result<Option<Result<(Digest, Bundle), String>>, VerifyError> {
    budget.charge(r.size, &format!("referrer {}", r.digest))?;
    let raw = store
        .get_manifest(&ManifestRef::Digest(r.digest))
        .await
        .map_err(from_oci)?;
    let Manifest::Image(m) = raw.parse().map_err(from_oci)? else {
        return Ok(None);
    };
    let [layer] = m.layers.as_slice() else {
        return Ok(None);
    };
    if !layer
        .media_type
        .starts_with("application/vnd.dev.sigstore.bundle")
    {
        return Ok(None);
    }
    if layer.size > MAX_BUNDLE_BYTES {
        return Ok(Some(Err(format!(
            "referrer {}: bundle larger than {MAX_BUNDLE_BYTES} bytes",
            r.digest
        ))));
    }
    budget.charge(layer.size, &format!("the bundle of referrer {}", r.digest))?;
    let bytes = store
        .get_blob(layer)
        .await
        .map_err(from_oci)?
        .read_to_vec(MAX_BUNDLE_BYTES)
        .await
        .map_err(from_oci)?;
    Ok(Some(match Bundle::parse(&bytes) {
        Ok(b) => Ok((r.digest, b)),
        Err(e) => Err(format!("referrer {}: {e}", r.digest)),
    }))
}

/// Runs CPU-heavy verification (signature arithmetic, certificate chains, parsing) on tokio's
/// blocking pool, at most one job per CPU at a time, so that the reactor keeps serving (health
/// checks answer, deadlines fire) while it runs. Without a tokio runtime it runs inline.
pub(crate) async fn off_reactor<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, VerifyError> {
    static PERMITS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(job());
    }
    let permits = PERMITS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Arc::new(tokio::sync::Semaphore::new(cpus))
    });
    let permit = Arc::clone(permits)
        .acquire_owned()
        .await
        .map_err(|_| VerifyError::refused("verification pool closed"))?;
    tokio::task::spawn_blocking(move || {
        let out = job();
        drop(permit);
        out
    })
    .await
    .map_err(|_| VerifyError::refused("verification task failed"))
}
