//! Copying images between stores, and platform selection in image indexes.

use std::collections::HashSet;
use std::sync::Arc;

use boltseal_reference::Digest;

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, Manifest, Platform, RawManifest};
use crate::store::{ManifestRef, Store};

/// The default of [`CopyOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 4;
/// The default of [`CopyOptions::max_manifests`].
pub const DEFAULT_MAX_MANIFESTS: usize = 1000;

/// Something that happened during a copy, for progress reporting.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyEvent {
    /// A blob transfer starts.
    BlobStarted(Descriptor),
    /// A blob was already present at the destination.
    BlobSkipped(Descriptor),
    /// A blob was mounted from another repository of the same registry.
    BlobMounted(Descriptor),
    /// A blob was transferred.
    BlobCopied(Descriptor),
    /// A manifest or index was written.
    ManifestWritten(Descriptor),
    /// A signature, attestation or referrer artifact was copied (named by tag or digest).
    ArtifactCopied(String),
}

impl CopyEvent {
    /// The copy tool's progress line for this event, if it gets one: `copying blob DIGEST
    /// (SIZE)` and `mounted blob DIGEST (SIZE)` for blobs of at least `min_blob` bytes, `copied
    /// artifact NAME` for each signature, attestation or referrer artifact.
    #[must_use]
    pub fn progress_line(&self, min_blob: u64) -> Option<String> {
        let blob =
            |verb, d: &Descriptor| format!("{verb} blob {} ({})", d.digest, human_size(d.size));
        match self {
            CopyEvent::BlobStarted(d) if d.size >= min_blob => Some(blob("copying", d)),
            CopyEvent::BlobMounted(d) if d.size >= min_blob => Some(blob("mounted", d)),
            CopyEvent::ArtifactCopied(name) => Some(format!("copied artifact {name}")),
            _ => None,
        }
    }
}

/// A progress callback.
pub type Progress = Arc<dyn Fn(&CopyEvent) + Send + Sync>;

/// What to copy.
///
/// A source store is untrusted: an index can list indexes that list indexes, each with
/// thousands of entries. A copy fetches each distinct manifest once (by digest) and refuses,
/// with [`Error::LimitExceeded`], to fetch more than [`max_manifests`](Self::max_manifests)
/// manifests in total or to follow indexes nested deeper than
/// [`max_depth`](Self::max_depth).
#[non_exhaustive]
#[derive(Clone)]
pub struct CopyOptions {
    /// Copy only the manifest for this platform out of an index (the digest then becomes that
    /// manifest's). `None` copies an index whole, keeping its digest.
    pub platform: Option<Platform>,
    /// Also copy cosign signatures, attestations and SBOMs (`sha256-<hex>.sig|.att|.sbom` tags)
    /// and OCI referrers of the image.
    pub with_signatures: bool,
    /// Called for each event.
    pub progress: Option<Progress>,
    /// The most manifests and indexes one copy fetches, counting each digest once and
    /// including signatures and referrers. Default [`DEFAULT_MAX_MANIFESTS`] (1000): a
    /// multi-platform image with attestations has a few dozen.
    pub max_manifests: usize,
    /// The deepest level below the top manifest that a copy follows: 1 for the images of a
    /// multi-platform index, 2 for those of an index of indexes. Default
    /// [`DEFAULT_MAX_DEPTH`] (4); images in use nest at most twice.
    pub max_depth: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            platform: None,
            with_signatures: false,
            progress: None,
            max_manifests: DEFAULT_MAX_MANIFESTS,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl std::fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOptions")
            .field("platform", &self.platform)
            .field("with_signatures", &self.with_signatures)
            .field("progress", &self.progress.is_some())
            .field("max_manifests", &self.max_manifests)
            .field("max_depth", &self.max_depth)
            .finish()
    }
}

impl CopyOptions {
    /// Default options: the whole image or index, no signatures.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Selects one platform out of an index.
    #[must_use]
    pub fn platform(mut self, platform: Option<Platform>) -> Self {
        self.platform = platform;
        self
    }

    /// Also copies signatures, attestations and referrers.
    #[must_use]
    pub fn with_signatures(mut self, yes: bool) -> Self {
        self.with_signatures = yes;
        self
    }

    /// Sets a progress callback.
    #[must_use]
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Sets [`max_manifests`](Self::max_manifests), the per-copy budget of manifests fetched.
    #[must_use]
    pub fn max_manifests(mut self, max: usize) -> Self {
        self.max_manifests = max;
        self
    }

    /// Sets [`max_depth`](Self::max_depth), the deepest nesting of indexes followed.
    #[must_use]
    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }
}

/// What a copy did.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// The descriptor of the top-level manifest or index written.
    pub descriptor: Option<Descriptor>,
    /// Manifests and indexes written.
    pub manifests: usize,
    /// Blobs transferred.
    pub blobs_copied: usize,
    /// Blobs already present.
    pub blobs_skipped: usize,
    /// Blobs mounted from another repository.
    pub blobs_mounted: usize,
    /// Bytes transferred.
    pub bytes_copied: u64,
    /// Signature, attestation and referrer artifacts copied.
    pub artifacts: Vec<String>,
}

/// The copy tool's summary: `M manifest(s), B blob(s) copied (SIZE), S already present, N
/// mounted`, then `, A signature/attestation artifact(s)` when any were copied.
impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (copied, size) = (self.blobs_copied, human_size(self.bytes_copied));
        write!(
            f,
            "{} manifest(s), {copied} blob(s) copied ({size}), ",
            self.manifests
        )?;
        write!(
            f,
            "{} already present, {} mounted",
            self.blobs_skipped, self.blobs_mounted
        )?;
        match self.artifacts.len() {
            0 => Ok(()),
            n => write!(f, ", {n} signature/attestation artifact(s)"),
        }
    }
}

/// A size for people: `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB` (one decimal, up to GiB).
#[must_use]
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let (mut value, mut unit) = (bytes as f64, 0);
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// An image resolved for one platform.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// The index the reference named, when it named one.
    pub index: Option<Descriptor>,
    /// The platform image manifest.
    pub manifest: RawManifest,
}

impl ResolvedImage {
    /// The digest users pin and sign: the index digest when there is one, else the manifest's.
    #[must_use]
    pub fn digest(&self) -> Digest {
        self.index
            .as_ref()
            .map_or(*self.manifest.digest(), |i| i.digest)
    }
}

/// Resolves `reference` once and, when it names an index, selects `platform`'s manifest.
///
/// # Errors
/// [`Error::PlatformNotFound`], or any store error.
pub async fn resolve_image<S: Store>(
    store: &S,
    reference: &ManifestRef,
    platform: &Platform,
) -> Result<ResolvedImage> {
    let top = store.resolve(reference).await?;
    let raw = store.get_manifest(&ManifestRef::Digest(top.digest)).await?;
    match raw.parse()? {
        Manifest::Image(_) => Ok(ResolvedImage {
            index: None,
            manifest: raw,
        }),
        Manifest::Index(index) => {
            let child = index
                .find_platform(platform)
                .ok_or_else(|| Error::PlatformNotFound {
                    index: Box::new(top.digest),
                    platform: platform.to_string(),
                })?;
            let manifest = store
                .get_manifest(&ManifestRef::Digest(child.digest))
                .await?;
            if manifest.is_index() {
                return Err(Error::InvalidManifest {
                    what: child.digest.to_string(),
                    reason: "platform entry of an index is itself an index".to_owned(),
                });
            }
            Ok(ResolvedImage {
                index: Some(raw.descriptor()),
                manifest,
            })
        }
    }
}

/// Copies the image `reference` names in `src` to `dst`, tagging it `tag` there (or by digest
/// only when `tag` is `None`). The manifest bytes, and so the digest, are unchanged.
///
/// The tag is resolved once; everything after is fetched by digest and verified.
///
/// # Errors
/// Any store error; a failed copy leaves the destination without the new tag.
pub async fn copy_image<S: Store, D: Store>(
    src: &S,
    reference: &ManifestRef,
    dst: &D,
    tag: Option<&str>,
    options: &CopyOptions,
) -> Result<CopyReport> {
    let mut report = CopyReport::default();
    let top = src.resolve(reference).await?;
    let mut raw = src.get_manifest(&ManifestRef::Digest(top.digest)).await?;
    if let Some(platform) = &options.platform
        && raw.is_index()
    {
        raw = resolve_image(src, &ManifestRef::Digest(top.digest), platform)
            .await?
            .manifest;
    }
    let mut copier = Copier {
        src,
        dst,
        options,
        fetched: HashSet::new(),
        what: format!("copy of {reference} from {}", src.name()),
    };
    copier.count(raw.digest())?;
    copier.copy_tree(&raw, tag, 0, &mut report).await?;
    report.descriptor = Some(raw.descriptor());
    if options.with_signatures {
        copier.copy_artifacts(raw.digest(), &mut report).await?;
    }
    Ok(report)
}

struct Copier<'a, S, D> {
    src: &'a S,
    dst: &'a D,
    options: &'a CopyOptions,
    /// The manifests fetched so far, each counted once against `max_manifests`.
    fetched: HashSet<Digest>,
    /// The copy, for error messages.
    what: String,
}

impl<S: Store, D: Store> Copier<'_, S, D> {
    fn emit(&self, event: CopyEvent) {
        if let Some(p) = &self.options.progress {
            p(&event);
        }
    }

    /// Counts `digest` against the manifest budget; `false` when it was fetched before.
    fn count(&mut self, digest: &Digest) -> Result<bool> {
        if self.fetched.contains(digest) {
            return Ok(false);
        }
        if self.fetched.len() >= self.options.max_manifests {
            return Err(Error::LimitExceeded {
                what: self.what.clone(),
                unit: "manifests",
                limit: self.options.max_manifests as u64,
                seen: self.fetched.len() as u64 + 1,
                option: "CopyOptions::max_manifests",
            });
        }
        self.fetched.insert(*digest);
        Ok(true)
    }

    async fn copy_tree(
        &mut self,
        raw: &RawManifest,
        tag: Option<&str>,
        depth: usize,
        report: &mut CopyReport,
    ) -> Result<()> {
        match raw.parse()? {
            Manifest::Image(m) => {
                self.copy_blob(&m.config, report).await?;
                for layer in &m.layers {
                    self.copy_blob(layer, report).await?;
                }
            }
            Manifest::Index(index) => {
                if !index.manifests.is_empty() && depth >= self.options.max_depth {
                    return Err(Error::LimitExceeded {
                        what: format!("{}: index {}", self.what, raw.digest()),
                        unit: "levels of nesting",
                        limit: self.options.max_depth as u64,
                        seen: depth as u64 + 1,
                        option: "CopyOptions::max_depth",
                    });
                }
                for child in &index.manifests {
                    // Each distinct manifest is fetched and written once, however often the
                    // indexes list it.
                    if !self.count(&child.digest)? {
                        continue;
                    }
                    let child_raw = self
                        .src
                        .get_manifest(&ManifestRef::Digest(child.digest))
                        .await?;
                    if child_raw.bytes().len() as u64 != child.size {
                        return Err(Error::SizeMismatch {
                            what: format!("manifest {}", child.digest),
                            expected: child.size,
                            actual: child_raw.bytes().len() as u64,
                        });
                    }
                    Box::pin(self.copy_tree(&child_raw, None, depth + 1, report)).await?;
                }
            }
        }
        self.dst.put_manifest(raw, tag).await?;
        report.manifests += 1;
        self.emit(CopyEvent::ManifestWritten(raw.descriptor()));
        Ok(())
    }

    async fn copy_blob(&self, desc: &Descriptor, report: &mut CopyReport) -> Result<()> {
        if self.dst.blob_exists(&desc.digest).await? {
            report.blobs_skipped += 1;
            self.emit(CopyEvent::BlobSkipped(desc.clone()));
            return Ok(());
        }
        if let Some(source) = self.src.mount_source()
            && self.dst.try_mount(desc, &source).await?
        {
            report.blobs_mounted += 1;
            self.emit(CopyEvent::BlobMounted(desc.clone()));
            return Ok(());
        }
        self.emit(CopyEvent::BlobStarted(desc.clone()));
        let reader = self.src.get_blob(desc).await?;
        self.dst.put_blob(desc, reader).await?;
        report.blobs_copied += 1;
        report.bytes_copied += desc.size;
        self.emit(CopyEvent::BlobCopied(desc.clone()));
        Ok(())
    }

    /// Copies cosign's `.sig`/`.att`/`.sbom` tags and OCI referrers of `digest`.
    async fn copy_artifacts(&mut self, digest: &Digest, report: &mut CopyReport) -> Result<()> {
        let base = crate::store::referrers_tag(digest);
        for suffix in ["sig", "att", "sbom"] {
            let tag = format!("{base}.{suffix}");
            let raw = match self.src.get_manifest(&ManifestRef::Tag(tag.clone())).await {
                Ok(raw) => raw,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            self.count(raw.digest())?;
            self.copy_tree(&raw, Some(&tag), 0, report).await?;
            report.artifacts.push(tag.clone());
            self.emit(CopyEvent::ArtifactCopied(tag));
        }
        for referrer in self.src.referrers(digest, None).await? {
            if !self.count(&referrer.digest)? {
                continue;
            }
            let raw = self
                .src
                .get_manifest(&ManifestRef::Digest(referrer.digest))
                .await?;
            self.copy_tree(&raw, None, 0, report).await?;
            report.artifacts.push(referrer.digest.to_string());
            self.emit(CopyEvent::ArtifactCopied(referrer.digest.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{CopyReport, human_size};

    #[test]
    fn progress_lines_for_large_blobs_and_artifacts() {
        use super::{CopyEvent, Descriptor, Digest};
        let blob =
            |size| Descriptor::new("application/octet-stream", Digest::sha256_of(b"x"), size);
        let digest = Digest::sha256_of(b"x");
        let line = CopyEvent::BlobStarted(blob(2 << 20)).progress_line(1 << 20);
        assert_eq!(line, Some(format!("copying blob {digest} (2.0 MiB)")));
        let line = CopyEvent::BlobMounted(blob(1 << 20)).progress_line(1 << 20);
        assert_eq!(line, Some(format!("mounted blob {digest} (1.0 MiB)")));
        assert_eq!(
            CopyEvent::BlobStarted(blob(10)).progress_line(1 << 20),
            None
        );
        assert_eq!(CopyEvent::BlobCopied(blob(2 << 20)).progress_line(0), None);
        let line = CopyEvent::ArtifactCopied("sha256-x.sig".into()).progress_line(0);
        assert_eq!(line.as_deref(), Some("copied artifact sha256-x.sig"));
    }

    #[test]
    fn sizes_and_the_summary_line() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 30), "5.0 GiB");
        assert_eq!(human_size(5 << 40), "5120.0 GiB");
        let mut report = CopyReport {
            manifests: 1,
            blobs_copied: 2,
            bytes_copied: 3 << 20,
            blobs_skipped: 1,
            ..CopyReport::default()
        };
        let line = "1 manifest(s), 2 blob(s) copied (3.0 MiB), 1 already present, 0 mounted";
        assert_eq!(report.to_string(), line);
        report.artifacts.push("sha256-x.sig".into());
        let line = format!("{line}, 1 signature/attestation artifact(s)");
        assert_eq!(report.to_string(), line);
    }
}
