//! Streaming one layer: decompression (gzip, zstd or none, detected from the first bytes),
//! the tar walk, path checks and limits, and the choice of which contents to keep.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::index::{Evidence, LayerChanges, Node, NodeKind};

mod guards;

use guards::{Counted, HeaderGuard, LimitHit, RatioGuard, Step, after_data};

/// Bounds on what a scan reads, per scanned image (all layers together). Each refusal is one
/// [`Error::Limit`] line naming where (layer, entry), the limit and the value seen (or an
/// [`Error::Entry`] for a path or link target), never a crash or an unbounded allocation. The
/// defaults are sized for real images with room to spare; override them with
/// [`crate::ScanOptions::limits()`].
///
/// GNU sparse entries are indexed at their real size but their contents are never read (the
/// tar reader would synthesize their holes as zeros that no stream budget sees; no package
/// database is stored sparse), so a hole costs nothing and counts for nothing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Uncompressed bytes read over all layers. Default 64 GiB: the largest real images are
    /// a few tens of GiB uncompressed.
    pub max_total_bytes: u64,
    /// Uncompressed bytes per compressed byte of a layer, checked once a layer has produced
    /// more than [`Limits::ratio_grace_bytes`] (decompression bombs). Default 1000: real
    /// layers stay well under 20, gzip cannot go much past 1000, zstd bombs go far beyond.
    pub max_compression_ratio: u64,
    /// Uncompressed bytes a layer may produce before the ratio is checked. Default 256 MiB:
    /// small layers of zeros or padding may legitimately compress better than the ratio.
    pub ratio_grace_bytes: u64,
    /// Entries over all layers. Default 4,000,000: a large distribution image has a few
    /// hundred thousand.
    pub max_entries: u64,
    /// Bytes of one file whose contents are read for a cataloger (a package database or
    /// metadata file, a Java archive, an executable); larger files are indexed but not read.
    /// Default 64 MiB: the largest package databases (the RPM database of a full
    /// distribution) are a few tens of MiB.
    pub max_file_bytes: u64,
    /// Bytes of file contents kept in memory over the whole scan (every layer's package
    /// databases and metadata files, held until the catalogers run). Default 1 GiB: those of
    /// a large image add up to a few hundred MiB at most.
    pub max_kept_bytes: u64,
    /// Path components of one entry or link target. Default 256: real paths stay under 30.
    pub max_depth: usize,
    /// Bytes of one path, GNU long name or long link, hard or symbolic link target (checked
    /// before a GNU long name is read). Default 4096: Linux's `PATH_MAX`, which bounds
    /// symbolic link targets too.
    pub max_path_bytes: usize,
    /// Bytes of the PAX extended header of one entry (its path, link target, times,
    /// extended attributes), checked before it is read. Default 1 MiB: real ones are a few
    /// hundred bytes, a few KiB with large extended attributes.
    pub max_pax_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 30,
            max_compression_ratio: 1000,
            ratio_grace_bytes: 256 << 20,
            max_entries: 4_000_000,
            max_file_bytes: 64 << 20,
            max_kept_bytes: 1 << 30,
            max_depth: 256,
            max_path_bytes: 4096,
            max_pax_bytes: 1 << 20,
        }
    }
}

/// What the catalogers need of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Only the index entry.
    Nothing,
    /// The whole contents (bounded by [`Limits::max_file_bytes`]).
    Content,
    /// A Java archive: read it, keep only its parsed records.
    JavaArchive,
}

/// Counters shared by the layers of one scan.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub(crate) bytes: AtomicU64,
    pub(crate) entries: AtomicU64,
    pub(crate) compressed: AtomicU64,
    /// Bytes of contents kept for the catalogers.
    pub(crate) kept: AtomicU64,
}

impl Budget {
    /// Charges `size` bytes of kept contents before they are read; `what` names the entry.
    pub(crate) fn keep(
        &self,
        size: u64,
        limits: &Limits,
        what: impl FnOnce() -> String,
    ) -> Result<()> {
        let seen = self
            .kept
            .fetch_add(size, Ordering::Relaxed)
            .saturating_add(size);
        if seen > limits.max_kept_bytes {
            return Err(Error::Limit {
                what: what(),
                limit_name: "kept content bytes",
                limit: limits.max_kept_bytes,
                seen,
            });
        }
        Ok(())
    }
}

/// Turns an I/O error from a layer stream back into the error it carries.
pub(crate) fn from_io(e: std::io::Error, what: &str) -> Error {
    if e.get_ref().is_some_and(|i| i.is::<boltseal_oci::Error>()) {
        return Error::Store(boltseal_oci::BlobReader::into_store_error(e, what));
    }
    if e.get_ref().is_some_and(|i| i.is::<Error>()) {
        if let Some(Ok(inner)) = e.into_inner().map(|b| b.downcast::<Error>()) {
            return *inner;
        }
        return Error::invalid(what, "read failed");
    }
    if let Some(hit) = e.get_ref().and_then(|i| i.downcast_ref::<LimitHit>()) {
        return Error::Limit {
            what: what.to_owned(),
            limit_name: hit.0,
            limit: hit.1,
            seen: hit.2,
        };
    }
    Error::invalid(what, e.to_string())
}

/// Normalizes a tar path to `/a/b`; `..` anywhere is refused (it could only point outside
/// the layer), as are paths deeper or longer than the limits.
pub(crate) fn normalize(raw: &[u8], limits: &Limits) -> std::result::Result<String, String> {
    if raw.len() > limits.max_path_bytes {
        return Err(format!("path longer than {} bytes", limits.max_path_bytes));
    }
    if raw.contains(&0) {
        return Err("path contains a NUL byte".to_owned());
    }
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len() + 1);
    let mut depth = 0;
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("path escapes the image root".to_owned()),
            _ => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(format!("path deeper than {} components", limits.max_depth));
                }
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn parent_and_name(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

/// Streams one layer (`reader` yields the blob as stored: compressed or not, verified by the
/// caller's reader) and returns what it changes. `layer` names the layer in errors.
pub(crate) fn walk_layer<R: Read>(
    reader: R,
    index: u32,
    layer: &str,
    limits: &Limits,
    budget: &Budget,
    wants: &(dyn Fn(&str, u32) -> Want + Sync),
) -> Result<LayerChanges> {
    let compressed_seen = AtomicU64::new(0);
    let compressed = Counted {
        inner: reader,
        seen: 0,
        own: &compressed_seen,
        total: None,
    };
    let mut buffered = BufReader::with_capacity(256 << 10, compressed);
    let head = buffered.fill_buf().map_err(|e| from_io(e, layer))?;
    let decoder: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(&mut buffered))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(&mut buffered)
                .map_err(|e| from_io(e, layer))?,
        )
    } else {
        Box::new(&mut buffered)
    };
    let guarded = RatioGuard {
        inner: decoder,
        produced: 0,
        compressed: &compressed_seen,
        limits,
    };
    let layer_bytes = AtomicU64::new(0);
    let counted = Counted {
        inner: guarded,
        seen: 0,
        own: &layer_bytes,
        total: Some((&budget.bytes, limits.max_total_bytes)),
    };
    let step = Step::new();
    let guarded = HeaderGuard {
        inner: counted,
        step: &step,
        limits,
        block: tar::Header::new_old(),
        filled: 0,
        served: 0,
    };
    let mut archive = tar::Archive::new(guarded);
    let changes = read_entries(
        &mut archive,
        &step,
        LayerAt {
            index,
            layer,
            limits,
            budget,
            wants,
        },
    )?;
    // Read to the end so the blob's digest is checked and trailing data is consumed.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| from_io(e, layer))?;
    drop(rest);
    std::io::copy(&mut buffered, &mut std::io::sink()).map_err(|e| from_io(e, layer))?;
    budget
        .compressed
        .fetch_add(compressed_seen.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(changes)
}

fn read_all<R: Read>(entry: &mut R, size: u64, layer: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry
        .take(size)
        .read_to_end(&mut buf)
        .map_err(|e| from_io(e, layer))?;
    Ok(buf)
}

/// ELF, PE (`MZ`) or Mach-O (32/64-bit, either byte order, fat) magic.
fn executable_magic(m: &[u8; 4]) -> bool {
    m == b"\x7fELF"
        || m.starts_with(b"MZ")
        || matches!(
            u32::from_be_bytes(*m),
            0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe | 0xcafe_babe
        )
}

/// Go build info and `cargo auditable` data of an executable (nothing for other files).
pub(crate) fn binary_evidence(bytes: &[u8]) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Ok(Some(info)) = crate::formats::golang::read_build_info(bytes) {
        out.push(Evidence::Go(info));
    }
    if let Ok(Some(packages)) = crate::formats::auditable::read_auditable(bytes) {
        out.push(Evidence::Rust(packages));
    }
    out
}

/// Bytes of an entry's path quoted in errors.
const SHOWN_PATH_BYTES: usize = 256;

/// An entry's path for error messages (long ones cut short).
fn shown_path(raw: &[u8]) -> String {
    if raw.len() <= SHOWN_PATH_BYTES {
        return String::from_utf8_lossy(raw).into_owned();
    }
    format!(
        "{}... ({} bytes)",
        String::from_utf8_lossy(&raw[..SHOWN_PATH_BYTES]),
        raw.len()
    )
}

/// The PAX `size` of an entry, read as the tar reader reads it.
fn pax_size<R: Read>(entry: &mut tar::Entry<'_, R>) -> Option<u64> {
    let pax = entry.pax_extensions().ok()??;
    for ext in pax {
        let ext = ext.ok()?;
        if ext.key() == Ok("size") {
            return ext.value().ok()?.parse().ok();
        }
    }
    None
}

/// The absolute normalized path a symbolic link at `link` points to: a relative target is
/// taken from the link's directory, `..` stops at the image root, `.` and empty components
/// are dropped. Refused when longer than [`Limits::max_path_bytes`], when it holds a NUL byte
/// or when the result is deeper than [`Limits::max_depth`].
pub(crate) fn link_target(
    link: &str,
    raw: &[u8],
    limits: &Limits,
) -> std::result::Result<String, String> {
    if raw.len() > limits.max_path_bytes {
        return Err(format!(
            "target of {} bytes is longer than the path bytes limit of {}",
            raw.len(),
            limits.max_path_bytes
        ));
    }
    if raw.contains(&0) {
        return Err("target contains a NUL byte".to_owned());
    }
    let text = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    if !text.starts_with('/') {
        let (dir, _) = parent_and_name(link);
        parts.extend(dir.split('/').filter(|c| !c.is_empty()));
    }
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => {
                parts.push(c);
                if parts.len() > limits.max_depth {
                    return Err(format!(
                        "target deeper than {} components",
                        limits.max_depth
                    ));
                }
            }
        }
    }
    let mut out = String::with_capacity(text.len() + link.len() + 1);
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// The layer being read and what reading it is bound by: the arguments of [`walk_layer`]
/// passed on to its entries.
#[derive(Clone, Copy)]
struct LayerAt<'a> {
    index: u32,
    layer: &'a str,
    limits: &'a Limits,
    budget: &'a Budget,
    wants: &'a (dyn Fn(&str, u32) -> Want + Sync),
}

fn read_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    step: &Step,
    at: LayerAt<'_>,
) -> Result<LayerChanges> {
    let LayerAt {
        index,
        layer,
        limits,
        budget,
        wants,
    } = at;
    let mut changes = LayerChanges::default();
    let entries = archive.entries().map_err(|e| from_io(e, layer))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| from_io(e, layer))?;
        // The header guard must have seen this entry's header, or it is out of step with the
        // tar reader and would check the wrong blocks.
        if step.last_header.get() != Some(entry.raw_header_position()) {
            return Err(Error::invalid(
                layer,
                format!(
                    "tar header at offset {} was not checked",
                    entry.raw_header_position()
                ),
            ));
        }
        // The data follows (after a sparse entry's extension headers, already read); its
        // stored size is the PAX size or the header's, whatever a sparse map says.
        let data_start = step.pos.get();
        let stored = if entry.header().entry_type() == tar::EntryType::GNUSparse {
            match pax_size(&mut entry) {
                Some(size) => size,
                None => entry.header().entry_size().map_err(|e| from_io(e, layer))?,
            }
        } else {
            entry.size()
        };
        step.next_header.set(after_data(data_start, stored));
        let seen = budget.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if seen > limits.max_entries {
            return Err(Error::Limit {
                what: format!("layer {layer}"),
                limit_name: "entries",
                limit: limits.max_entries,
                seen,
            });
        }
        let raw = entry.path_bytes().into_owned();
        let shown = shown_path(&raw);
        let refuse = |reason: String| Error::Entry {
            layer: layer.to_owned(),
            entry: shown.clone(),
            reason,
        };
        let path = normalize(&raw, limits).map_err(refuse)?;
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let kind = header.entry_type();
        let (parent, name) = parent_and_name(&path);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                changes.opaque.push(parent.to_owned());
            } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                return Err(refuse("invalid whiteout".to_owned()));
            } else if parent == "/" {
                changes.whiteouts.push(format!("/{hidden}"));
            } else {
                changes.whiteouts.push(format!("{parent}/{hidden}"));
            }
            continue;
        }
        if path == "/" {
            continue;
        }
        let size = entry.size();
        let node = match kind {
            tar::EntryType::Directory => Node::new(NodeKind::Dir, index, 0, mode),
            tar::EntryType::Symlink => {
                let target = entry.link_name_bytes().unwrap_or_default();
                let target = link_target(&path, &target, limits)
                    .map_err(|r| refuse(format!("symbolic link {r}")))?;
                Node::new(NodeKind::Symlink(target), index, 0, mode)
            }
            tar::EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                let target = normalize(&target, limits)
                    .map_err(|r| refuse(format!("hard link target: {r}")))?;
                let mut node = Node::new(NodeKind::Hardlink(target.clone()), index, 0, mode);
                // A hard link to a file kept earlier in the same layer shares its contents.
                if let Some((_, t)) = changes.entries.iter().rev().find(|(p, _)| *p == target) {
                    node.content = t.content.clone();
                    node.size = t.size;
                    node.elf = t.elf;
                    node.evidence.clone_from(&t.evidence);
                }
                node
            }
            // Indexed only: reading would synthesize the holes (see `Limits`).
            tar::EntryType::GNUSparse => Node::new(NodeKind::File, index, size, mode),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut node = Node::new(NodeKind::File, index, size, mode);
                let want = wants(&path, mode);
                if want == Want::JavaArchive && size <= limits.max_file_bytes {
                    let buf = read_all(&mut entry, size, layer)?;
                    if let Ok(records) = crate::formats::java::read_java_archive(&buf) {
                        node.evidence.push(Evidence::Java(records));
                    }
                } else if want == Want::Content && size <= limits.max_file_bytes {
                    budget.keep(size, limits, || format!("layer {layer}: entry {shown:?}"))?;
                    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                    (&mut entry)
                        .take(size)
                        .read_to_end(&mut buf)
                        .map_err(|e| from_io(e, layer))?;
                    node.elf = buf.starts_with(b"\x7fELF");
                    node.content = Some(Arc::from(buf));
                } else if mode & 0o111 != 0 && size >= 4 {
                    let mut magic = [0u8; 4];
                    entry
                        .read_exact(&mut magic)
                        .map_err(|e| from_io(e, layer))?;
                    node.elf = &magic == b"\x7fELF";
                    if executable_magic(&magic) && size <= limits.max_file_bytes {
                        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                        buf.extend_from_slice(&magic);
                        (&mut entry)
                            .take(size - 4)
                            .read_to_end(&mut buf)
                            .map_err(|e| from_io(e, layer))?;
                        node.evidence = binary_evidence(&buf);
                    }
                }
                node
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            _ => Node::new(NodeKind::Other, index, 0, mode),
        };
        changes.entries.push((path, node));
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_refuses_escapes_and_cleans_the_rest() {
        let l = Limits::default();
        assert_eq!(
            normalize(b"./usr//bin/./x", &l).as_deref(),
            Ok("/usr/bin/x")
        );
        assert_eq!(normalize(b"./", &l).as_deref(), Ok("/"));
        assert!(normalize(b"../etc/passwd", &l).is_err());
        assert!(normalize(b"a/../../b", &l).is_err());
        let deep = "a/".repeat(300);
        assert!(normalize(deep.as_bytes(), &l).is_err());
    }

    /// Fuzz regression (`scan_layer`): a zstd frame holding a tar header whose checksum field
    /// is newlines; the tar reader quotes the field, and the error must stay on one line.
    #[test]
    fn tar_errors_quoting_the_input_stay_on_one_line() {
        let data = [
            0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x72, 0x53, 0x0a, 0x0a, 0x0a, 0x8b, 0x08, 0x00, 0x00,
            0x08, 0x00, 0x00,
        ];
        let err = crate::read_layer(&data[..], "fuzz", &Limits::default()).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains("\\n"), "{text}");
    }
}
