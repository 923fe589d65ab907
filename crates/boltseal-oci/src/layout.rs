//! [`LayoutStore`]: an OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use boltseal_reference::{Digest, media_type};
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, MAX_MANIFEST_BYTES, Manifest, RawManifest};
use crate::store::{BlobReader, ManifestRef, Store, referrers_tag};

/// The annotation that names a tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
const LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";
/// `index.json` may list many tags, but not without bound.
const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);
/// Buffer size for streaming blobs into a layout.
const COPY_BUFFER: usize = 1024 * 1024;

/// An OCI image layout directory, the embedded default store (no server needed).
///
/// Writes are atomic: every file is written under a temporary name in its final directory and
/// renamed into place once complete and verified, so an interrupted copy never leaves a corrupt
/// blob or `index.json` behind. Symbolic links inside the layout are refused.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use boltseal_oci::{LayoutStore, ManifestRef, Store};
///
/// let dir = tempfile::tempdir()?;
/// let store = LayoutStore::create(dir.path().join("img")).await?;
/// assert!(store.list_tags().await?.is_empty());
/// let missing = store.resolve(&ManifestRef::Tag("v1".into())).await;
/// assert!(missing.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct LayoutStore {
    root: PathBuf,
    index_lock: tokio::sync::Mutex<()>,
}

impl LayoutStore {
    /// Opens an existing layout.
    ///
    /// # Errors
    /// [`Error::InvalidLayout`] when `oci-layout` is missing or names an unknown version.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let store = LayoutStore {
            root,
            index_lock: tokio::sync::Mutex::new(()),
        };
        store.check_layout_file().await?;
        Ok(store)
    }

    /// Creates an empty layout at `root`, replacing a layout already there (a directory a
    /// program rebuilds on each run). Refuses a directory that exists and is not an OCI layout,
    /// so that nothing else is lost.
    ///
    /// # Errors
    /// [`Error::InvalidLayout`] for a directory that is not a layout; I/O errors.
    pub async fn create_empty(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if exists_no_follow(&root).await? {
            if !exists_no_follow(&root.join(LAYOUT_FILE)).await? {
                let reason = "exists and is not an OCI layout; refusing to overwrite it".into();
                return Err(Error::InvalidLayout { path: root, reason });
            }
            let removed = tokio::fs::remove_dir_all(&root).await;
            removed.map_err(|e| Error::io(&root, e))?;
        }
        LayoutStore::create(root).await
    }

    /// Opens a layout, creating the directory, `oci-layout` and an empty `index.json` if missing.
    ///
    /// # Errors
    /// I/O errors, or [`Error::InvalidLayout`] when the directory holds something else.
    pub async fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(|e| Error::io(&root, e))?;
        let store = LayoutStore {
            root,
            index_lock: tokio::sync::Mutex::new(()),
        };
        let layout_path = store.root.join(LAYOUT_FILE);
        if !exists_no_follow(&layout_path).await? {
            store
                .write_atomic(&layout_path, br#"{"imageLayoutVersion":"1.0.0"}"#)
                .await?;
        }
        store.check_layout_file().await?;
        let index_path = store.root.join(INDEX_FILE);
        if !exists_no_follow(&index_path).await? {
            let empty = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
            store.write_atomic(&index_path, empty).await?;
        }
        Ok(store)
    }

    /// The layout directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.root
    }

    async fn check_layout_file(&self) -> Result<()> {
        let path = self.root.join(LAYOUT_FILE);
        let bytes = self
            .read_file_bounded(&path, 4096)
            .await
            .map_err(|e| match e {
                Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    Error::InvalidLayout {
                        path: self.root.clone(),
                        reason: "no oci-layout file: not an OCI image layout".to_owned(),
                    }
                }
                other => other,
            })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| Error::InvalidLayout {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        match value.get("imageLayoutVersion").and_then(Value::as_str) {
            Some(v) if v.starts_with("1.") => Ok(()),
            other => Err(Error::InvalidLayout {
                path,
                reason: format!("unsupported imageLayoutVersion {other:?}"),
            }),
        }
    }

    fn blob_dir(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join(digest.algorithm().as_str())
    }

    /// The path of a blob. Digests are validated hex, so the path cannot leave the layout.
    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir(digest).join(digest.encoded())
    }

    /// Refuses symbolic links on the way from the layout root to `path`.
    async fn check_no_links(&self, path: &Path) -> Result<()> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Err(Error::PathEscape {
                path: path.to_owned(),
            });
        };
        let mut at = self.root.clone();
        for part in rel.components() {
            at.push(part);
            match tokio::fs::symlink_metadata(&at).await {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::PathEscape { path: at });
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(Error::io(&at, e)),
            }
        }
        Ok(())
    }

    async fn read_file_bounded(&self, path: &Path, limit: u64) -> Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        self.check_no_links(path).await?;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::io(path, e))?;
        let len = file.metadata().await.map_err(|e| Error::io(path, e))?.len();
        if len > limit {
            return Err(Error::TooLarge {
                what: path.display().to_string(),
                limit,
            });
        }
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(limit + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| Error::io(path, e))?;
        if out.len() as u64 > limit {
            return Err(Error::TooLarge {
                what: path.display().to_string(),
                limit,
            });
        }
        Ok(out)
    }

    fn tmp_path(dir: &Path) -> PathBuf {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        dir.join(format!(".tmp-{}-{n}", std::process::id()))
    }

    /// Writes a small file (the layout marker, `index.json`, a blob held in memory) through
    /// [`boltseal_core::fs::write_atomic`], on the blocking pool; no link on the way.
    async fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        use boltseal_core::fs::{AtomicWrite, WriteError};
        self.check_no_links(path).await?;
        let (target, bytes) = (path.to_owned(), bytes.to_vec());
        let written = tokio::task::spawn_blocking(move || {
            boltseal_core::fs::write_atomic(&target, &bytes, AtomicWrite::replace())
        })
        .await
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        written.map_err(|e| match e {
            WriteError::Io { path, source } => Error::io(path, source),
            other => Error::io(path, std::io::Error::other(other.to_string())),
        })
    }

    async fn ensure_blob_dir(&self, digest: &Digest) -> Result<PathBuf> {
        let dir = self.blob_dir(digest);
        self.check_no_links(&dir).await?;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io(&dir, e))?;
        self.check_no_links(&dir).await?;
        Ok(dir)
    }

    async fn write_blob_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        let actual = Digest::of(digest.algorithm(), bytes);
        if actual != *digest {
            return Err(Error::DigestMismatch {
                what: format!("blob {digest}"),
                expected: Box::new(*digest),
                actual: Box::new(actual),
            });
        }
        let path = self.blob_path(digest);
        if exists_no_follow(&path).await? {
            return Ok(());
        }
        self.ensure_blob_dir(digest).await?;
        self.write_atomic(&path, bytes).await
    }

    async fn read_index(&self) -> Result<Map<String, Value>> {
        let path = self.root.join(INDEX_FILE);
        let bytes = self.read_file_bounded(&path, MAX_INDEX_BYTES).await?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| Error::InvalidLayout {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let Value::Object(map) = value else {
            return Err(Error::InvalidLayout {
                path,
                reason: "index.json is not a JSON object".to_owned(),
            });
        };
        match map.get("manifests") {
            None | Some(Value::Array(_)) => Ok(map),
            Some(_) => Err(Error::InvalidLayout {
                path,
                reason: "index.json `manifests` is not an array".to_owned(),
            }),
        }
    }

    /// The descriptors listed in `index.json`, each with its tag if it has one.
    async fn index_entries(&self) -> Result<Vec<Descriptor>> {
        let map = self.read_index().await?;
        let path = self.root.join(INDEX_FILE);
        let Some(Value::Array(entries)) = map.get("manifests") else {
            return Ok(Vec::new());
        };
        entries
            .iter()
            .map(|v| {
                serde_json::from_value::<Descriptor>(v.clone()).map_err(|e| Error::InvalidLayout {
                    path: path.clone(),
                    reason: format!("bad descriptor in manifests: {e}"),
                })
            })
            .collect()
    }

    /// Rewrites `index.json` after applying `edit` to its `manifests` array; other fields of
    /// the index and of each entry are kept as they were.
    async fn edit_index(&self, edit: impl FnOnce(&mut Vec<Value>)) -> Result<()> {
        let _guard = self.index_lock.lock().await;
        let mut map = self.read_index().await?;
        let mut entries = match map.remove("manifests") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        edit(&mut entries);
        map.insert("manifests".to_owned(), Value::Array(entries));
        map.entry("schemaVersion").or_insert(Value::from(2));
        let bytes = serde_json::to_vec(&Value::Object(map)).map_err(|e| Error::InvalidLayout {
            path: self.root.join(INDEX_FILE),
            reason: e.to_string(),
        })?;
        self.write_atomic(&self.root.join(INDEX_FILE), &bytes).await
    }

    async fn read_manifest_blob(&self, desc: &Descriptor) -> Result<RawManifest> {
        let what = format!("{} manifest {}", self.name(), desc.digest);
        if desc.size > MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let path = self.blob_path(&desc.digest);
        let bytes = self
            .read_file_bounded(&path, MAX_MANIFEST_BYTES)
            .await
            .map_err(|e| not_found_as(e, self.name(), desc.digest.to_string()))?;
        if bytes.len() as u64 != desc.size {
            return Err(Error::SizeMismatch {
                what,
                expected: desc.size,
                actual: bytes.len() as u64,
            });
        }
        RawManifest::from_untrusted(
            &what,
            Bytes::from(bytes),
            Some(&desc.media_type),
            Some(&desc.digest),
        )
    }
}

impl LayoutStore {
    /// The layout's only image, for locations that name no tag or digest.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an empty layout, [`Error::InvalidLocation`] when it holds several.
    pub async fn only_image(&self) -> Result<Descriptor> {
        let entries: Vec<Descriptor> = self
            .index_entries()
            .await?
            .into_iter()
            .filter(|d| d.annotations.contains_key(REF_NAME) || d.artifact_type.is_none())
            .collect();
        match entries.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::NotFound {
                store: self.name(),
                what: "any image".to_owned(),
            }),
            many => Err(Error::InvalidLocation {
                input: self.name(),
                reason: format!(
                    "the layout holds {} images; name one with :TAG or @DIGEST",
                    many.len()
                ),
            }),
        }
    }

    /// Refuses a manifest whose referenced content is not in the layout yet.
    async fn check_children(&self, manifest: &Manifest) -> Result<()> {
        let needed: Vec<&Descriptor> = match manifest {
            Manifest::Image(m) => std::iter::once(&m.config).chain(m.layers.iter()).collect(),
            Manifest::Index(i) => i.manifests.iter().collect(),
        };
        for d in needed {
            if !self.blob_exists(&d.digest).await? {
                return Err(Error::NotFound {
                    store: self.name(),
                    what: format!("blob {} referenced by the manifest", d.digest),
                });
            }
        }
        Ok(())
    }
}

fn not_found_as(e: Error, store: String, what: String) -> Error {
    match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::NotFound { store, what }
        }
        other => other,
    }
}

async fn exists_no_follow(path: &Path) -> Result<bool> {
    match tokio::fs::symlink_metadata(path).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Whether `tag` is a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub(crate) fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl Store for LayoutStore {
    fn name(&self) -> String {
        format!("oci:{}", self.root.display())
    }

    async fn resolve(&self, reference: &ManifestRef) -> Result<Descriptor> {
        let entries = self.index_entries().await?;
        match reference {
            ManifestRef::Tag(tag) => entries
                .into_iter()
                .rev()
                .find(|d| d.annotations.get(REF_NAME) == Some(tag))
                .ok_or_else(|| Error::NotFound {
                    store: self.name(),
                    what: format!("tag {tag}"),
                }),
            ManifestRef::Digest(digest) => {
                if let Some(d) = entries.into_iter().find(|d| d.digest == *digest) {
                    return Ok(d);
                }
                // A manifest that is not listed in index.json (a platform manifest of an index).
                let path = self.blob_path(digest);
                let bytes = self
                    .read_file_bounded(&path, MAX_MANIFEST_BYTES)
                    .await
                    .map_err(|e| not_found_as(e, self.name(), digest.to_string()))?;
                let what = format!("{} manifest {digest}", self.name());
                let raw =
                    RawManifest::from_untrusted(&what, Bytes::from(bytes), None, Some(digest))?;
                Ok(raw.descriptor())
            }
        }
    }

    async fn get_manifest(&self, reference: &ManifestRef) -> Result<RawManifest> {
        let desc = self.resolve(reference).await?;
        self.read_manifest_blob(&desc).await
    }

    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<()> {
        if let Some(tag) = tag
            && !valid_tag(tag)
        {
            return Err(Error::InvalidLocation {
                input: tag.to_owned(),
                reason: "not a valid tag".to_owned(),
            });
        }
        if manifest.bytes().len() as u64 > MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: format!("manifest {}", manifest.digest()),
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let parsed = manifest.parse()?;
        self.check_children(&parsed).await?;
        self.write_blob_bytes(manifest.digest(), manifest.bytes())
            .await?;
        let mut desc = manifest.descriptor();
        let subject = parsed.subject().is_some();
        if subject {
            desc.artifact_type = parsed.artifact_type().map(str::to_owned);
        }
        if tag.is_none() && !subject {
            return Ok(());
        }
        if let Some(tag) = tag {
            desc.annotations.insert(REF_NAME.to_owned(), tag.to_owned());
        }
        let value = serde_json::to_value(&desc).map_err(|e| Error::InvalidManifest {
            what: manifest.digest().to_string(),
            reason: e.to_string(),
        })?;
        let digest = manifest.digest().to_string();
        self.edit_index(|entries| {
            match tag {
                Some(tag) => entries.retain(|e| {
                    e.pointer("/annotations/org.opencontainers.image.ref.name")
                        .and_then(Value::as_str)
                        != Some(tag)
                }),
                None => {
                    // An untagged referrer: list it once.
                    entries.retain(|e| {
                        e.get("digest").and_then(Value::as_str) != Some(&digest)
                            || e.pointer("/annotations/org.opencontainers.image.ref.name")
                                .is_some()
                    });
                }
            }
            entries.push(value);
        })
        .await
    }

    async fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        let path = self.blob_path(digest);
        self.check_no_links(&path).await?;
        exists_no_follow(&path).await
    }

    async fn get_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        let path = self.blob_path(&descriptor.digest);
        self.check_no_links(&path).await?;
        let file = tokio::fs::File::open(&path).await.map_err(|e| {
            not_found_as(
                Error::io(&path, e),
                self.name(),
                descriptor.digest.to_string(),
            )
        })?;
        Ok(BlobReader::new(
            format!("{} blob {}", self.name(), descriptor.digest),
            descriptor,
            Box::pin(file),
        ))
    }

    async fn put_blob(&self, descriptor: &Descriptor, mut data: BlobReader) -> Result<()> {
        let path = self.blob_path(&descriptor.digest);
        if data.digest() != &descriptor.digest || data.size() != descriptor.size {
            return Err(Error::DigestMismatch {
                what: format!("blob {}", descriptor.digest),
                expected: Box::new(descriptor.digest),
                actual: Box::new(*data.digest()),
            });
        }
        if exists_no_follow(&path).await? {
            return Ok(());
        }
        let dir = self.ensure_blob_dir(&descriptor.digest).await?;
        let tmp = Self::tmp_path(&dir);
        let what = format!("blob {}", descriptor.digest);
        let result = async {
            let mut f = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| Error::io(&tmp, e))?;
            // Large reads: each read and write of a tokio file is a blocking-pool round trip.
            let mut reader = tokio::io::BufReader::with_capacity(COPY_BUFFER, &mut data);
            tokio::io::copy_buf(&mut reader, &mut f)
                .await
                .map_err(|e| BlobReader::into_store_error(e, &what))?;
            f.sync_all().await.map_err(|e| Error::io(&tmp, e))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| Error::io(&path, e))
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn list_tags(&self) -> Result<Vec<String>> {
        let mut tags: Vec<String> = self
            .index_entries()
            .await?
            .into_iter()
            .filter_map(|mut d| d.annotations.remove(REF_NAME))
            .collect();
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let mut found: Vec<Descriptor> = Vec::new();
        let fallback_tag = referrers_tag(subject);
        for entry in self.index_entries().await? {
            if entry.annotations.get(REF_NAME) == Some(&fallback_tag)
                && media_type::is_index(&entry.media_type)
            {
                // The referrers tag schema: an index listing the referrers.
                if let Manifest::Index(idx) = self.read_manifest_blob(&entry).await?.parse()? {
                    found.extend(idx.manifests);
                }
                continue;
            }
            if !media_type::is_manifest(&entry.media_type)
                && !media_type::is_index(&entry.media_type)
            {
                continue;
            }
            let raw = self.read_manifest_blob(&entry).await?;
            let parsed = raw.parse()?;
            if parsed.subject().is_some_and(|s| s.digest == *subject) {
                let mut d = raw.descriptor();
                d.artifact_type = parsed.artifact_type().map(str::to_owned);
                d.annotations = parsed.annotations().clone();
                found.push(d);
            }
        }
        Ok(crate::store::select_referrers(found, artifact_type))
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        let entries = self.index_entries().await?;
        let listed = entries.iter().any(|d| d.digest == *digest);
        let path = self.blob_path(digest);
        if !listed && !self.blob_exists(digest).await? {
            return Err(Error::NotFound {
                store: self.name(),
                what: digest.to_string(),
            });
        }
        let text = digest.to_string();
        self.edit_index(|entries| {
            entries.retain(|e| e.get("digest").and_then(Value::as_str) != Some(&text));
        })
        .await?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn create_empty_replaces_a_layout_and_refuses_anything_else() {
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("layout");
        let store = LayoutStore::create_empty(&layout).await.unwrap();
        store
            .write_atomic(&layout.join("stale"), b"x")
            .await
            .unwrap();
        LayoutStore::create_empty(&layout).await.unwrap();
        assert!(!layout.join("stale").exists());
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("precious.txt"), b"keep").unwrap();
        let refused = LayoutStore::create_empty(&other).await;
        assert!(
            matches!(refused, Err(Error::InvalidLayout { .. })),
            "{refused:?}"
        );
        assert!(other.join("precious.txt").exists());
    }

    #[test]
    fn tags() {
        for ok in ["v1", "latest", "_x", "a.b-c_d", &"a".repeat(128)] {
            assert!(valid_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "../x", &"a".repeat(129), "é"] {
            assert!(!valid_tag(bad), "{bad}");
        }
    }
}
