//! Building small, reproducible single-layer images (samples, fixtures, tests).

use std::collections::BTreeMap;
use std::io::Write;

use boltseal_reference::{Digest, media_type};
use serde_json::json;

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, ImageManifest, Platform, RawManifest};
use crate::store::{BlobReader, Store};

/// A file to put into an image layer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileEntry {
    contents: Vec<u8>,
    mode: u32,
}

/// Builds a one-layer OCI image from in-memory files, byte-for-byte reproducibly: entries are
/// sorted, owned by root, dated 1970-01-01, and the layer is gzip-compressed without a
/// timestamp. The same inputs always give the same manifest digest.
///
/// ```
/// use boltseal_oci::ImageBuilder;
///
/// let a = ImageBuilder::new().file("etc/motd", b"hi\n", 0o644).build()?;
/// let b = ImageBuilder::new().file("etc/motd", b"hi\n", 0o644).build()?;
/// assert_eq!(a.manifest.digest(), b.manifest.digest());
/// # Ok::<(), boltseal_oci::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ImageBuilder {
    files: BTreeMap<String, FileEntry>,
    labels: BTreeMap<String, String>,
    entrypoint: Vec<String>,
    platform: Option<Platform>,
}

/// The blobs and manifest of a built image.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// The compressed layer.
    pub layer: Vec<u8>,
    /// The layer's descriptor.
    pub layer_descriptor: Descriptor,
    /// The digest of the uncompressed layer (the config's `diff_ids` entry).
    pub diff_id: Digest,
    /// The configuration JSON.
    pub config: Vec<u8>,
    /// The configuration's descriptor.
    pub config_descriptor: Descriptor,
    /// The manifest.
    pub manifest: RawManifest,
}

impl ImageBuilder {
    /// An empty image for `linux/amd64`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a regular file at `path` (relative, `/`-separated) with `mode`.
    #[must_use]
    pub fn file(mut self, path: &str, contents: &[u8], mode: u32) -> Self {
        self.files.insert(
            path.trim_start_matches('/').to_owned(),
            FileEntry {
                contents: contents.to_vec(),
                mode,
            },
        );
        self
    }

    /// Adds a configuration label.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets the entrypoint.
    #[must_use]
    pub fn entrypoint(mut self, argv: &[&str]) -> Self {
        self.entrypoint = argv.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Sets the platform (default `linux/amd64`).
    #[must_use]
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    fn tar(&self) -> Result<Vec<u8>> {
        let io = |e: std::io::Error| Error::io("image layer", e);
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        let mut dirs = std::collections::BTreeSet::new();
        for path in self.files.keys() {
            let mut acc = String::new();
            let parts: Vec<&str> = path.split('/').collect();
            for part in &parts[..parts.len().saturating_sub(1)] {
                acc.push_str(part);
                acc.push('/');
                dirs.insert(acc.clone());
            }
        }
        for path in self.files.keys() {
            if path.is_empty()
                || path
                    .split('/')
                    .any(|p| p.is_empty() || p == ".." || p == ".")
            {
                return Err(Error::InvalidLocation {
                    input: path.clone(),
                    reason: "layer paths must be relative and normalized".to_owned(),
                });
            }
        }
        for dir in &dirs {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_size(0);
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            builder
                .append_data(&mut h, dir, std::io::empty())
                .map_err(io)?;
        }
        for (path, entry) in &self.files {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(entry.mode);
            h.set_size(entry.contents.len() as u64);
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            builder
                .append_data(&mut h, path, entry.contents.as_slice())
                .map_err(io)?;
        }
        builder.into_inner().map_err(io)
    }

    /// Builds the layer, config and manifest.
    ///
    /// # Errors
    /// [`Error::InvalidLocation`] for a path that is absolute after trimming or has `..`.
    pub fn build(&self) -> Result<BuiltImage> {
        let tar = self.tar()?;
        let diff_id = Digest::sha256_of(&tar);
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar)
            .map_err(|e| Error::io("image layer", e))?;
        let layer = gz.finish().map_err(|e| Error::io("image layer", e))?;
        let layer_descriptor = Descriptor::of_bytes(media_type::OCI_LAYER_TAR_GZIP, &layer);
        let platform = self.platform.clone().unwrap_or_else(Platform::linux_amd64);
        let mut cfg = json!({
            "created": "1970-01-01T00:00:00Z",
            "architecture": platform.architecture,
            "os": platform.os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "boltseal ImageBuilder"}],
        });
        if let Some(v) = &platform.variant {
            cfg["variant"] = json!(v);
        }
        if !self.entrypoint.is_empty() {
            cfg["config"]["Entrypoint"] = json!(self.entrypoint);
        }
        if !self.labels.is_empty() {
            cfg["config"]["Labels"] = json!(self.labels);
        }
        let config = serde_json::to_vec(&cfg).map_err(|e| Error::InvalidManifest {
            what: "image config".to_owned(),
            reason: e.to_string(),
        })?;
        let config_descriptor = Descriptor::of_bytes(media_type::OCI_CONFIG, &config);
        let manifest =
            ImageManifest::new(config_descriptor.clone(), vec![layer_descriptor.clone()])
                .to_raw()?;
        Ok(BuiltImage {
            layer,
            layer_descriptor,
            diff_id,
            config,
            config_descriptor,
            manifest,
        })
    }
}

impl BuiltImage {
    /// Writes the blobs and the manifest to `store`, tagging it `tag`.
    ///
    /// # Errors
    /// Any store error.
    pub async fn write_to<S: Store>(&self, store: &S, tag: Option<&str>) -> Result<Descriptor> {
        for (desc, bytes) in [
            (&self.layer_descriptor, &self.layer),
            (&self.config_descriptor, &self.config),
        ] {
            let reader = BlobReader::new(
                format!("blob {}", desc.digest),
                desc,
                Box::pin(std::io::Cursor::new(bytes.clone())),
            );
            store.put_blob(desc, reader).await?;
        }
        store.put_manifest(&self.manifest, tag).await?;
        Ok(self.manifest.descriptor())
    }
}
