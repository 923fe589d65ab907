//! Reading an image's evidence from a [`Store`] under a budget, and running the checks on it
//! off the async reactor.
//!
//! Evidence is what an attacker who can push to a repository controls completely: the
//! `sha256-<hex>.sig` / `.att` manifest, its layers, and every referrer. Before a byte of a blob
//! is read, the declared sizes are charged to the image's [`EvidenceLimits`]; a blob listed
//! several times is fetched once (every copy is still checked, and charged); referrers whose
//! artifact type says they are not Sigstore bundles are not fetched at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use boltseal_envelope::bundle::Bundle;
use boltseal_oci::{Descriptor, Manifest, ManifestRef, Store};
use boltseal_reference::Digest;

use crate::image::{MAX_BUNDLE_BYTES, MAX_PAYLOAD_BYTES, SignatureLayer, VerifyError};

/// Bounds on what one image's evidence (its signatures, or its attestations) may cost.
///
/// The defaults are sized for real images with room to spare: a cosign signature layer is a few
/// hundred bytes, a bundle a few kilobytes, an SLSA provenance statement tens of kilobytes, and
/// a re-signed image gains one layer per signing.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Bytes of blobs read for one image's signatures or attestations: legacy layers, referrer
    /// manifests and bundles together, by their declared sizes, checked before reading. A blob
    /// listed several times counts each time (each copy is held and checked). Default 8 MiB.
    pub max_bytes: u64,
    /// Layers of the `.sig` / `.att` manifest. Default 1,000.
    pub max_layers: usize,
    /// Referrers read for bundles; the rest are reported as not read. Default 1,000.
    pub max_referrers: usize,
    /// Signatures one DSSE envelope may carry (cosign writes one; each would be checked
    /// against every key). Default 8.
    pub max_envelope_signatures: usize,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        EvidenceLimits {
            max_bytes: 8 << 20,
            max_layers: 1000,
            max_referrers: 1000,
            max_envelope_signatures: 8,
        }
    }
}

impl EvidenceLimits {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces [`EvidenceLimits::max_bytes`].
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Replaces [`EvidenceLimits::max_layers`].
    #[must_use]
    pub fn max_layers(mut self, layers: usize) -> Self {
        self.max_layers = layers;
        self
    }

    /// Replaces [`EvidenceLimits::max_referrers`].
    #[must_use]
    pub fn max_referrers(mut self, referrers: usize) -> Self {
        self.max_referrers = referrers;
        self
    }

    /// Replaces [`EvidenceLimits::max_envelope_signatures`].
    #[must_use]
    pub fn max_envelope_signatures(mut self, signatures: usize) -> Self {
        self.max_envelope_signatures = signatures;
        self
    }
}

/// How many blobs of one image's evidence are read at the same time.
const CONCURRENT_READS: usize = 8;

/// What an image's signatures or attestations are read from: the legacy layers of the
/// `sha256-<hex>.sig` / `.att` tag and the Sigstore bundle referrers, fetched once and checked
/// against any number of policies.
pub(crate) struct Evidence {
    pub(crate) digest: Digest,
    pub(crate) layers: Vec<SignatureLayer>,
    pub(crate) bundles: Vec<(Digest, Bundle)>,
    pub(crate) rejected: Vec<String>,
    pub(crate) limits: EvidenceLimits,
    /// Bytes charged to the budget.
    pub(crate) bytes: u64,
}

impl Evidence {
    /// The image digest the evidence is about.
    pub(crate) fn digest(&self) -> Digest {
        self.digest
    }
}

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
            return Err(VerifyError::new(format!(
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
    Ok(Evidence {
        digest: *digest,
        layers: layers?,
        bundles,
        rejected,
        limits: *limits,
        bytes: budget.used.load(Ordering::Relaxed),
    })
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
        Err(e) => return Err(e.into()),
    };
    let Manifest::Image(m) = raw.parse()? else {
        return Err(VerifyError::new(format!(
            "{tag} is an index, not a signature manifest"
        )));
    };
    if m.layers.len() > limits.max_layers {
        return Err(VerifyError::new(format!(
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
                .await?
                .read_to_vec(MAX_PAYLOAD_BYTES)
                .await?;
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
    let referrers = store.referrers(digest, None).await?;
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
    let raw = store.get_manifest(&ManifestRef::Digest(r.digest)).await?;
    let Manifest::Image(m) = raw.parse()? else {
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
        .await?
        .read_to_vec(MAX_BUNDLE_BYTES)
        .await?;
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
        .map_err(|_| VerifyError::new("verification pool closed"))?;
    tokio::task::spawn_blocking(move || {
        let out = job();
        drop(permit);
        out
    })
    .await
    .map_err(|_| VerifyError::new("verification task failed"))
}
