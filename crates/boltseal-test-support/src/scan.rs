//! Real multi-layer test images built without a daemon: layer tars from in-memory files or
//! host directories ([`Layer`]), gzip / zstd / plain ([`Compression`]), written as an OCI image
//! layout ([`write_layout`]: what `syft oci-dir:` and boltseal's `oci:` read), an `oci-archive`
//! ([`tar_dir`]) or a `docker save` archive ([`write_docker_archive`]); the reference SBOM
//! tools ([`peers`]).

pub mod peers;

use std::io::Write;
use std::path::{Path, PathBuf};

use boltseal_reference::Digest;

/// How a layer blob is stored.
#[derive(Clone, Copy, Debug)]
pub enum Compression {
    /// `tar+gzip`.
    Gzip,
    /// `tar+zstd`.
    Zstd,
    /// A plain `tar`.
    None,
}

/// One layer under construction (entries in the order added).
pub struct Layer {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Self::new()
    }
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

impl Layer {
    /// An empty layer.
    #[must_use]
    pub fn new() -> Self {
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        Layer { builder }
    }

    /// A regular file (path without a leading `/`).
    pub fn file(&mut self, path: &str, contents: &[u8], mode: u32) -> &mut Self {
        let mut h = header(tar::EntryType::Regular, contents.len() as u64, mode);
        self.builder
            .append_data(&mut h, path, contents)
            .expect("append file");
        self
    }

    /// A directory (mode 755).
    pub fn dir(&mut self, path: &str) -> &mut Self {
        let mut h = header(tar::EntryType::Directory, 0, 0o755);
        self.builder
            .append_data(&mut h, path, std::io::empty())
            .expect("append dir");
        self
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut h = header(tar::EntryType::Symlink, 0, 0o777);
        self.builder
            .append_link(&mut h, path, target)
            .expect("append symlink");
        self
    }

    /// A hard link to `target`.
    pub fn hardlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut h = header(tar::EntryType::Link, 0, 0o644);
        self.builder
            .append_link(&mut h, path, target)
            .expect("append hard link");
        self
    }

    /// A raw header whose name is written byte for byte (for hostile names the tar crate's
    /// checked setters refuse).
    pub fn raw_entry(&mut self, name: &[u8], kind: tar::EntryType, contents: &[u8]) -> &mut Self {
        let mut h = header(kind, contents.len() as u64, 0o644);
        {
            let gnu = h.as_gnu_mut().expect("gnu header");
            gnu.name = [0; 100];
            gnu.name[..name.len()].copy_from_slice(name);
        }
        h.set_cksum();
        self.builder.append(&h, contents).expect("append raw");
        self
    }

    /// A GNU sparse file claiming `real_size` bytes and storing none: all hole.
    pub fn sparse_hole(&mut self, path: &str, real_size: u64) -> &mut Self {
        let mut h = header(tar::EntryType::GNUSparse, 0, 0o644);
        h.set_path(path).expect("sparse path");
        {
            let gnu = h.as_gnu_mut().expect("gnu header");
            gnu.set_real_size(real_size);
            gnu.sparse[0].set_offset(real_size);
            gnu.sparse[0].set_length(0);
        }
        h.set_cksum();
        self.builder
            .append(&h, std::io::empty())
            .expect("append sparse");
        self
    }

    /// A host file at `image_path`.
    pub fn host_file(&mut self, host: &Path, image_path: &str) -> &mut Self {
        let bytes = std::fs::read(host).unwrap_or_else(|e| panic!("{}: {e}", host.display()));
        self.file(image_path, &bytes, 0o644)
    }

    /// A host directory tree under `image_dir` (symbolic links kept as links, sorted).
    pub fn host_tree(&mut self, host: &Path, image_dir: &str) -> &mut Self {
        let mut entries: Vec<_> = std::fs::read_dir(host)
            .unwrap_or_else(|e| panic!("{}: {e}", host.display()))
            .map(|e| e.expect("dir entry"))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        self.dir(image_dir);
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = format!("{image_dir}/{name}");
            let ft = e.file_type().expect("file type");
            if ft.is_symlink() {
                let target = std::fs::read_link(e.path()).expect("read link");
                self.symlink(&path, &target.to_string_lossy());
            } else if ft.is_dir() {
                self.host_tree(&e.path(), &path);
            } else if ft.is_file() {
                let mode = {
                    use std::os::unix::fs::PermissionsExt;
                    e.metadata().expect("metadata").permissions().mode() & 0o777
                };
                let bytes = std::fs::read(e.path()).expect("read");
                self.file(&path, &bytes, mode);
            }
        }
        self
    }

    /// The uncompressed tar.
    pub fn finish(self) -> Vec<u8> {
        self.builder.into_inner().expect("finish tar")
    }
}

/// `tar` compressed as `c`, and its layer media type.
///
/// # Panics
/// When compressing fails.
#[must_use]
pub fn compress(tar: &[u8], c: Compression) -> (Vec<u8>, &'static str) {
    match c {
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).expect("gzip");
            (
                e.finish().expect("gzip"),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Compression::Zstd => (
            zstd::encode_all(tar, 3).expect("zstd"),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        Compression::None => (tar.to_vec(), "application/vnd.oci.image.layer.v1.tar"),
    }
}

fn write_blob(dir: &Path, bytes: &[u8]) -> Digest {
    let d = Digest::sha256_of(bytes);
    let path = dir.join("blobs/sha256").join(d.encoded());
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir blobs");
    std::fs::write(path, bytes).expect("write blob");
    d
}

fn config_json(diff_ids: &[Digest]) -> Vec<u8> {
    let ids: Vec<String> = diff_ids.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"org.example.test":"scan"}}}},"rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
        ids.join(",")
    )
    .into_bytes()
}

/// Writes an OCI image layout with the layers (bottom first), tagged `tag`. Returns the
/// manifest digest.
pub fn write_layout(dir: &Path, layers: &[(Vec<u8>, Compression)], tag: &str) -> Digest {
    std::fs::create_dir_all(dir).expect("mkdir layout");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
    let mut diff_ids = Vec::new();
    let mut descs = Vec::new();
    for (tar, c) in layers {
        diff_ids.push(Digest::sha256_of(tar));
        let (blob, media_type) = compress(tar, *c);
        let d = write_blob(dir, &blob);
        descs.push(format!(
            r#"{{"mediaType":"{media_type}","digest":"{d}","size":{}}}"#,
            blob.len()
        ));
    }
    let config = config_json(&diff_ids);
    let config_digest = write_blob(dir, &config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{}]}}"#,
        config.len(),
        descs.join(",")
    );
    let manifest_digest = write_blob(dir, manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    std::fs::write(dir.join("index.json"), index).expect("index.json");
    manifest_digest
}

/// Tars a directory tree (an OCI layout) into `out`: an `oci-archive`.
pub fn tar_dir(dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).expect("create archive");
    let mut b = tar::Builder::new(file);
    b.mode(tar::HeaderMode::Deterministic);
    b.append_dir_all(".", dir).expect("tar layout");
    b.finish().expect("finish archive");
}

/// Writes a `docker save`-style archive (uncompressed layer tars).
pub fn write_docker_archive(out: &Path, layers: &[Vec<u8>], repo_tag: &str) {
    let mut diff_ids = Vec::new();
    let file = std::fs::File::create(out).expect("create archive");
    let mut b = tar::Builder::new(file);
    let mut names = Vec::new();
    for tar in layers {
        let d = Digest::sha256_of(tar);
        diff_ids.push(d);
        let name = format!("{}/layer.tar", d.encoded());
        let mut h = header(tar::EntryType::Regular, tar.len() as u64, 0o644);
        b.append_data(&mut h, &name, tar.as_slice()).expect("layer");
        names.push(format!("\"{name}\""));
    }
    let config = config_json(&diff_ids);
    let config_name = format!("{}.json", Digest::sha256_of(&config).encoded());
    let mut h = header(tar::EntryType::Regular, config.len() as u64, 0o644);
    b.append_data(&mut h, &config_name, config.as_slice())
        .expect("config");
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["{repo_tag}"],"Layers":[{}]}}]"#,
        names.join(",")
    );
    let mut h = header(tar::EntryType::Regular, manifest.len() as u64, 0o644);
    b.append_data(&mut h, "manifest.json", manifest.as_bytes())
        .expect("manifest");
    b.finish().expect("finish");
}

/// The layer with this machine's real dpkg database: os-release, `status`, every
/// `info/*.list` and `*.md5sums`, and `/usr/share/doc/*/copyright`.
pub fn host_dpkg_layer() -> Option<Layer> {
    let status = Path::new("/var/lib/dpkg/status");
    if !status.exists() {
        return None;
    }
    let mut l = Layer::new();
    l.dir("etc")
        .dir("usr")
        .dir("usr/lib")
        .dir("var")
        .dir("var/lib")
        .dir("var/lib/dpkg");
    let os = std::fs::read("/etc/os-release").ok()?;
    l.file("usr/lib/os-release", &os, 0o644);
    l.symlink("etc/os-release", "../usr/lib/os-release");
    l.host_file(status, "var/lib/dpkg/status");
    l.dir("var/lib/dpkg/info");
    let mut infos: Vec<PathBuf> = std::fs::read_dir("/var/lib/dpkg/info")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".list") || n.ends_with(".md5sums")
        })
        .collect();
    infos.sort();
    for p in infos {
        let name = p.file_name()?.to_string_lossy().into_owned();
        l.host_file(&p, &format!("var/lib/dpkg/info/{name}"));
    }
    let mut docs: Vec<PathBuf> = std::fs::read_dir("/usr/share/doc")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("copyright")))
        .filter(|p| p.is_file() && !p.is_symlink())
        .collect();
    docs.sort();
    for p in docs {
        let pkg = p.parent()?.file_name()?.to_string_lossy().into_owned();
        l.host_file(&p, &format!("usr/share/doc/{pkg}/copyright"));
    }
    Some(l)
}
