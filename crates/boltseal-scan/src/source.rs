//! Where a scan reads from: an OCI store (layout or registry), an `oci-archive:` or
//! `docker-archive:` tarball, or a plain directory.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use boltseal_oci::{Descriptor, ImageIndex, ImageLocation, ImageManifest, Platform};
use boltseal_reference::Digest;
use boltseal_reference::Digester;

use crate::error::{Error, Result};

/// What to scan, as users write it.
///
/// | form | source |
/// | --- | --- |
/// | `oci:DIR[:TAG\|@DIGEST]`, `oci-dir:DIR` | an OCI image layout |
/// | `HOST/PATH[:TAG\|@DIGEST]`, `registry:REF`, `docker://REF` | a registry image |
/// | `oci-archive:FILE[:TAG]` | a tar of an OCI image layout |
/// | `docker-archive:FILE` | a `docker save` tarball |
/// | `dir:PATH` | a directory tree (also scans `Cargo.lock`) |
///
/// ```
/// use boltseal_scan::Source;
///
/// assert!(matches!("dir:/srv/app".parse::<Source>()?, Source::Dir(_)));
/// assert!(matches!("docker-archive:img.tar".parse::<Source>()?, Source::DockerArchive(_)));
/// assert!(matches!("oci-archive:img.tar:v1".parse::<Source>()?, Source::OciArchive { .. }));
/// assert!(matches!("127.0.0.1:5000/app:v1".parse::<Source>()?, Source::Store(_)));
/// # Ok::<(), boltseal_scan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// An OCI layout or a registry, through boltseal-oci.
    Store(ImageLocation),
    /// A tar archive of an OCI image layout.
    OciArchive {
        /// The archive.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick, if several images are inside.
        tag: Option<String>,
    },
    /// A `docker save` tarball (`manifest.json` plus layer tars).
    DockerArchive(PathBuf),
    /// A directory tree.
    Dir(PathBuf),
}

impl Source {
    /// Parses a source.
    ///
    /// # Errors
    /// [`Error::InvalidSource`] naming what is wrong.
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidSource {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = input.strip_prefix("dir:") {
            if rest.is_empty() {
                return Err(bad("no path after dir:"));
            }
            return Ok(Source::Dir(PathBuf::from(rest)));
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            if rest.is_empty() {
                return Err(bad("no file after docker-archive:"));
            }
            return Ok(Source::DockerArchive(PathBuf::from(rest)));
        }
        if let Some(rest) = input.strip_prefix("oci-archive:") {
            if rest.is_empty() {
                return Err(bad("no file after oci-archive:"));
            }
            if let Some((file, tag)) = rest.rsplit_once(':')
                && !tag.contains('/')
                && !file.is_empty()
            {
                return Ok(Source::OciArchive {
                    path: PathBuf::from(file),
                    tag: Some(tag.to_owned()),
                });
            }
            return Ok(Source::OciArchive {
                path: PathBuf::from(rest),
                tag: None,
            });
        }
        let store = if let Some(rest) = input.strip_prefix("oci-dir:") {
            format!("oci:{rest}")
        } else if let Some(rest) = input.strip_prefix("registry:") {
            rest.to_owned()
        } else {
            input.to_owned()
        };
        ImageLocation::parse(&store)
            .map(Source::Store)
            .map_err(|e| bad(&e.to_string()))
    }

    /// Whether this is a directory scan (directory-only catalogers such as `Cargo.lock` run).
    #[must_use]
    pub fn is_dir(&self) -> bool {
        matches!(self, Source::Dir(_))
    }
}

impl std::str::FromStr for Source {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Source::parse(s)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Store(l) => write!(f, "{l}"),
            Source::OciArchive { path, tag } => {
                write!(f, "oci-archive:{}", path.display())?;
                match tag {
                    Some(t) => write!(f, ":{t}"),
                    None => Ok(()),
                }
            }
            Source::DockerArchive(p) => write!(f, "docker-archive:{}", p.display()),
            Source::Dir(p) => write!(f, "dir:{}", p.display()),
        }
    }
}

/// One layer of an image.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LayerInfo {
    /// The digest of the blob as stored (compressed), when known.
    pub digest: Option<Digest>,
    /// The digest of the uncompressed tar (from the image configuration), when known.
    pub diff_id: Option<Digest>,
    /// The media type.
    pub media_type: String,
    /// Stored size in bytes.
    pub size: u64,
}

impl LayerInfo {
    /// The name used in messages: the blob digest, else the diff ID, else `layer N`.
    #[must_use]
    pub fn name(&self, index: usize) -> String {
        self.digest
            .or(self.diff_id)
            .map_or_else(|| format!("layer {index}"), |d| d.to_string())
    }
}

/// What is known about the scanned image (or directory).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ImageMeta {
    /// What the user named (`oci:img:v1`, `registry.example/app:v1`, `dir:/srv`).
    pub input: String,
    /// A short name for the image: the repository or the file/directory name.
    pub name: String,
    /// Whether the source is a directory.
    pub is_dir: bool,
    /// The image manifest's digest.
    pub manifest_digest: Option<Digest>,
    /// The index the user named, when the reference named an index.
    pub index_digest: Option<Digest>,
    /// The configuration blob's digest (the image ID).
    pub config_digest: Option<Digest>,
    /// `architecture` from the configuration.
    pub architecture: Option<String>,
    /// `os` from the configuration.
    pub os: Option<String>,
    /// Tags the image was named by.
    pub tags: Vec<String>,
    /// Configuration labels.
    pub labels: BTreeMap<String, String>,
    /// Layers, bottom first.
    pub layers: Vec<LayerInfo>,
}

impl ImageMeta {
    /// The digest users pin: the index digest when the reference named one, else the
    /// manifest's, else (docker archives) the configuration's.
    #[must_use]
    pub fn digest(&self) -> Option<Digest> {
        self.index_digest
            .or(self.manifest_digest)
            .or(self.config_digest)
    }
}

/// How to read a layer's bytes.
pub(crate) enum LayerFetch {
    Store(Box<Descriptor>),
    Archive {
        path: PathBuf,
        offset: u64,
        size: u64,
    },
}

/// Bytes verified against a digest while read; the mismatch is an error at end of stream.
pub(crate) struct Verified<R> {
    pub(crate) inner: R,
    pub(crate) expected: Digest,
    pub(crate) digester: Option<Digester>,
    pub(crate) what: String,
}

impl<R: Read> Verified<R> {
    pub(crate) fn new(inner: R, expected: Digest, what: String) -> Self {
        Verified {
            inner,
            digester: Some(expected.digester()),
            expected,
            what,
        }
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if let Some(d) = self.digester.take() {
                let actual = d.finalize();
                if actual != self.expected {
                    return Err(std::io::Error::other(Error::DigestMismatch {
                        what: self.what.clone(),
                        expected: self.expected.to_string(),
                        actual: actual.to_string(),
                    }));
                }
            }
            return Ok(0);
        }
        if let Some(d) = self.digester.as_mut() {
            d.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Members of an uncompressed tar archive by path, with their offsets, so each one can be
/// read by seeking (archives are never unpacked).
pub(crate) struct ArchiveIndex {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

const MAX_ARCHIVE_MEMBERS: usize = 1_000_000;
const MAX_DOCUMENT_BYTES: u64 = 16 << 20;

impl ArchiveIndex {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(&what, e))?;
        let mut magic = [0u8; 4];
        let n = (&file)
            .take(4)
            .read(&mut magic)
            .map_err(|e| Error::io(&what, e))?;
        if n >= 2 && (magic[..2] == [0x1f, 0x8b] || magic == [0x28, 0xb5, 0x2f, 0xfd]) {
            return Err(Error::invalid(
                &what,
                "the archive is compressed; decompress it first",
            ));
        }
        let file = File::open(path).map_err(|e| Error::io(&what, e))?;
        let mut archive = tar::Archive::new(BufReader::new(file));
        let mut members = HashMap::new();
        let entries = archive
            .entries()
            .map_err(|e| Error::invalid(&what, e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::invalid(&what, e.to_string()))?;
            if members.len() >= MAX_ARCHIVE_MEMBERS {
                return Err(Error::Limit {
                    what,
                    limit_name: "archive members",
                    limit: MAX_ARCHIVE_MEMBERS as u64,
                    seen: members.len() as u64 + 1,
                });
            }
            if !matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let name = name
                .trim_start_matches("./")
                .trim_start_matches('/')
                .to_owned();
            members.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(ArchiveIndex {
            path: path.to_owned(),
            members,
        })
    }

    fn member(&self, name: &str) -> Result<(u64, u64)> {
        let name = name.trim_start_matches("./").trim_start_matches('/');
        self.members
            .get(name)
            .copied()
            .ok_or_else(|| Error::NotFound {
                what: self.path.display().to_string(),
                reason: format!("no member {name:?}"),
            })
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        let (offset, size) = self.member(name)?;
        let what = format!("{}: {name}", self.path.display());
        if size > MAX_DOCUMENT_BYTES {
            return Err(Error::Limit {
                what,
                limit_name: "document size",
                limit: MAX_DOCUMENT_BYTES,
                seen: size,
            });
        }
        let mut file = File::open(&self.path).map_err(|e| Error::io(&what, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&what, e))?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(size)
            .read_to_end(&mut out)
            .map_err(|e| Error::io(&what, e))?;
        Ok(out)
    }

    fn blob_path(digest: &Digest) -> String {
        format!("blobs/{}/{}", digest.algorithm(), digest.encoded())
    }

    fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        let bytes = self.read(&Self::blob_path(digest))?;
        let actual = Digest::of(digest.algorithm(), &bytes);
        if actual != *digest {
            return Err(Error::DigestMismatch {
                what: format!("{}: blob", self.path.display()),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// The image configuration fields a scan uses.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub(crate) architecture: Option<String>,
    #[serde(default)]
    pub(crate) os: Option<String>,
    #[serde(default)]
    pub(crate) config: Option<ConfigSection>,
    #[serde(default)]
    pub(crate) rootfs: Option<RootFs>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ConfigSection {
    #[serde(default, rename = "Labels")]
    pub(crate) labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub(crate) diff_ids: Vec<String>,
}

pub(crate) fn apply_config(meta: &mut ImageMeta, bytes: &[u8], what: &str) -> Result<ConfigFile> {
    let config: ConfigFile = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(format!("{what}: image configuration"), e.to_string()))?;
    meta.architecture.clone_from(&config.architecture);
    meta.os.clone_from(&config.os);
    if let Some(labels) = config.config.as_ref().and_then(|c| c.labels.clone()) {
        meta.labels = labels;
    }
    Ok(config)
}

fn diff_ids(config: &ConfigFile) -> Vec<Option<Digest>> {
    config
        .rootfs
        .as_ref()
        .map(|r| r.diff_ids.iter().map(|d| Digest::parse(d).ok()).collect())
        .unwrap_or_default()
}

pub(crate) fn layers_from_manifest(
    meta: &mut ImageMeta,
    manifest: &ImageManifest,
    config: &ConfigFile,
) {
    let ids = diff_ids(config);
    meta.layers = manifest
        .layers
        .iter()
        .enumerate()
        .map(|(i, d)| LayerInfo {
            digest: Some(d.digest),
            diff_id: ids.get(i).copied().flatten(),
            media_type: d.media_type.clone(),
            size: d.size,
        })
        .collect();
}

/// Refuses layer media types no walker can read (foreign Windows layers, squashfs).
pub(crate) fn check_layer_media_type(d: &Descriptor) -> Result<()> {
    let t = d.media_type.as_str();
    let ok = t.starts_with("application/vnd.oci.image.layer.")
        || t.starts_with("application/vnd.docker.image.rootfs.diff.tar")
        || t == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            d.digest.to_string(),
            format!("unsupported layer media type {t:?}"),
        ))
    }
}

/// Opens an `oci-archive:` source: picks the image by tag and platform.
pub(crate) fn open_oci_archive(
    path: &Path,
    tag: Option<&str>,
    platform: &Platform,
    meta: &mut ImageMeta,
) -> Result<Vec<LayerFetch>> {
    let archive = ArchiveIndex::open(path)?;
    let what = path.display().to_string();
    let index_bytes = archive.read("index.json")?;
    let index: ImageIndex = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::invalid(format!("{what}: index.json"), e.to_string()))?;
    let mut candidates: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| match tag {
            Some(t) => {
                d.annotations
                    .get(boltseal_oci::REF_NAME)
                    .map(String::as_str)
                    == Some(t)
            }
            None => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(Error::NotFound {
            what,
            reason: format!("no image tagged {:?}", tag.unwrap_or_default()),
        });
    }
    if candidates.len() > 1 {
        candidates.retain(|d| d.platform.as_ref().is_none_or(|p| platform.matches(p)));
    }
    let Some(top) = candidates.first() else {
        return Err(Error::NotFound {
            what,
            reason: format!("no image for platform {platform}"),
        });
    };
    if let Some(t) = tag.or_else(|| {
        top.annotations
            .get(boltseal_oci::REF_NAME)
            .map(String::as_str)
    }) {
        meta.tags.push(t.to_owned());
    }
    let mut chosen = (*top).clone();
    // Follow nested indexes (at most a few levels) to one platform's manifest.
    for _ in 0..4 {
        if !boltseal_reference::media_type::is_index(&chosen.media_type) {
            break;
        }
        let bytes = archive.read_blob(&chosen.digest)?;
        if meta.index_digest.is_none() {
            meta.index_digest = Some(chosen.digest);
        }
        let nested: ImageIndex = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(chosen.digest.to_string(), e.to_string()))?;
        let next = nested
            .find_platform(platform)
            .or_else(|| {
                (nested.manifests.len() == 1)
                    .then(|| nested.manifests.first())
                    .flatten()
            })
            .ok_or_else(|| Error::NotFound {
                what: chosen.digest.to_string(),
                reason: format!("no image for platform {platform}"),
            })?;
        chosen = next.clone();
    }
    let bytes = archive.read_blob(&chosen.digest)?;
    let manifest: ImageManifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(chosen.digest.to_string(), e.to_string()))?;
    meta.manifest_digest = Some(chosen.digest);
    meta.config_digest = Some(manifest.config.digest);
    let config_bytes = archive.read_blob(&manifest.config.digest)?;
    let config = apply_config(meta, &config_bytes, &what)?;
    layers_from_manifest(meta, &manifest, &config);
    let mut fetches = Vec::new();
    for d in &manifest.layers {
        check_layer_media_type(d)?;
        let (offset, size) = archive.member(&ArchiveIndex::blob_path(&d.digest))?;
        if size != d.size {
            return Err(Error::invalid(
                d.digest.to_string(),
                format!(
                    "stored size {size} differs from the descriptor's {}",
                    d.size
                ),
            ));
        }
        fetches.push(LayerFetch::Archive {
            path: path.to_owned(),
            offset,
            size,
        });
    }
    Ok(fetches)
}

#[derive(serde::Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// Opens a `docker-archive:` source (exactly one image inside, as with `docker save IMAGE`).
/// Layers are verified against the configuration's diff IDs while they are read.
pub(crate) fn open_docker_archive(path: &Path, meta: &mut ImageMeta) -> Result<Vec<LayerFetch>> {
    let archive = ArchiveIndex::open(path)?;
    let what = path.display().to_string();
    let manifest_bytes = archive.read("manifest.json")?;
    let entries: Vec<DockerManifestEntry> = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Error::invalid(format!("{what}: manifest.json"), e.to_string()))?;
    let entry = match entries.as_slice() {
        [one] => one,
        [] => return Err(Error::invalid(format!("{what}: manifest.json"), "no image")),
        _ => {
            return Err(Error::invalid(
                format!("{what}: manifest.json"),
                "more than one image; save a single image",
            ));
        }
    };
    let config_bytes = archive.read(&entry.config)?;
    meta.config_digest = Some(Digest::sha256_of(&config_bytes));
    let config = apply_config(meta, &config_bytes, &what)?;
    meta.tags = entry.repo_tags.clone().unwrap_or_default();
    let ids = diff_ids(&config);
    if ids.len() != entry.layers.len() {
        return Err(Error::invalid(
            format!("{what}: manifest.json"),
            format!(
                "{} layers but {} diff IDs in the configuration",
                entry.layers.len(),
                ids.len()
            ),
        ));
    }
    let mut fetches = Vec::new();
    meta.layers.clear();
    for (layer, diff_id) in entry.layers.iter().zip(ids) {
        let (offset, size) = archive.member(layer)?;
        let Some(diff_id) = diff_id else {
            return Err(Error::invalid(
                format!("{what}: configuration"),
                "a diff ID is not a valid digest",
            ));
        };
        meta.layers.push(LayerInfo {
            digest: None,
            diff_id: Some(diff_id),
            media_type: "application/vnd.docker.image.rootfs.diff.tar".to_owned(),
            size,
        });
        fetches.push(LayerFetch::Archive {
            path: path.to_owned(),
            offset,
            size,
        });
    }
    Ok(fetches)
}

/// Opens a registry or layout image through boltseal-oci and selects `platform` from an index.
pub(crate) async fn open_store(
    location: &ImageLocation,
    options: &boltseal_oci::RegistryOptions,
    platform: &Platform,
    meta: &mut ImageMeta,
) -> Result<(boltseal_oci::AnyStore, Vec<LayerFetch>)> {
    use boltseal_oci::{Manifest, ManifestRef, Store};
    let store = location.open(options).await?;
    let top = location.resolve(&store).await?;
    if let Some(t) = location.tag() {
        meta.tags.push(t);
    }
    let resolved =
        boltseal_oci::resolve_image(&store, &ManifestRef::Digest(top.digest), platform).await?;
    meta.index_digest = resolved.index.as_ref().map(|d| d.digest);
    meta.manifest_digest = Some(*resolved.manifest.digest());
    let Manifest::Image(manifest) = resolved.manifest.parse()? else {
        return Err(Error::invalid(
            resolved.manifest.digest().to_string(),
            "not an image manifest",
        ));
    };
    meta.config_digest = Some(manifest.config.digest);
    let config_bytes = store
        .get_blob(&manifest.config)
        .await?
        .read_to_vec(MAX_DOCUMENT_BYTES)
        .await?;
    let config = apply_config(meta, &config_bytes, &location.to_string())?;
    layers_from_manifest(meta, &manifest, &config);
    let mut fetches = Vec::new();
    for d in &manifest.layers {
        check_layer_media_type(d)?;
        fetches.push(LayerFetch::Store(Box::new(d.clone())));
    }
    Ok((store, fetches))
}

/// A short name for the image (the repository, the file or the directory).
pub(crate) fn short_name(source: &Source) -> String {
    let base = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    match source {
        Source::Store(ImageLocation::Registry(r)) => r.repository_name(),
        Source::Store(ImageLocation::Layout { path, .. }) => base(path),
        Source::Store(other) => other.to_string(),
        Source::OciArchive { path, .. } | Source::DockerArchive(path) | Source::Dir(path) => {
            base(path)
        }
    }
}
