//! Files: which ones to scan, bounded reads, atomic writes.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::scan::FileKind;

/// Files larger than this are refused (16 MiB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Directories a walk does not enter besides hidden ones.
const SKIPPED_DIRS: [&str; 2] = ["node_modules", "target"];

/// The files to scan for `paths`: a file named on its own is scanned whatever its name
/// (`*.yaml`/`*.yml` as Kubernetes manifests, anything else as a Dockerfile); a directory is
/// walked (sorted, without following symbolic links, skipping hidden entries, `node_modules`
/// and `target`) for the names [`FileKind::for_name`] knows.
///
/// # Errors
/// [`Error::NotAFile`] or [`Error::Io`] for a path that cannot be read.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, FileKind)>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else if meta.is_file() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let kind = match FileKind::for_name(&name) {
                Some(FileKind::Kubernetes) => FileKind::Kubernetes,
                _ => FileKind::Dockerfile,
            };
            out.push((path.clone(), kind));
        } else {
            return Err(Error::NotAFile { path: path.clone() });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, FileKind)>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), out)?;
            }
        } else if kind.is_file()
            && let Some(k) = FileKind::for_name(&name)
        {
            out.push((entry.path(), k));
        }
    }
    Ok(())
}

/// Reads a text file of at most [`MAX_FILE_BYTES`].
///
/// # Errors
/// [`Error::Io`], [`Error::TooLarge`], [`Error::NotText`].
pub fn read_text(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            limit: MAX_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|_| Error::NotText {
        path: path.to_owned(),
    })
}

/// Replaces the file at `path` with `new`, atomically, through
/// [`boltseal_core::fs::write_atomic`]: the text goes to a new temporary file in the same
/// directory (same permissions), is flushed to disk, and is renamed over the original only if
/// the original still holds `old`. A symbolic link is followed, so the link stays and its
/// target is replaced.
///
/// # Errors
/// [`Error::Changed`] when the file no longer holds `old` (or is gone); [`Error::Io`].
pub fn write_atomic(path: &Path, old: &str, new: &str) -> Result<()> {
    use boltseal_core::fs::{AtomicWrite, WriteError};
    boltseal_core::fs::write_atomic(
        path,
        new.as_bytes(),
        AtomicWrite::if_unchanged(old.as_bytes()),
    )
    .map_err(|e| match e {
        WriteError::Io { path, source } => Error::io(path, source),
        other => Error::Changed {
            path: other.path().to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn atomic_write_keeps_links_and_modes_and_refuses_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("Dockerfile.real");
        std::fs::write(&real, "FROM a:1\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("Dockerfile");
        std::os::unix::fs::symlink(&real, &link).unwrap();

        write_atomic(&link, "FROM a:1\n", "FROM a:1@x\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "FROM a:1@x\n");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        // Someone changed the file after it was read: nothing is written.
        let err = write_atomic(&link, "FROM a:1\n", "FROM a:1@y\n").unwrap_err();
        assert!(matches!(err, Error::Changed { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "FROM a:1@x\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn walks_skip_hidden_and_vendored_directories() {
        let dir = tempfile::tempdir().unwrap();
        for p in [
            ".git/x.yaml",
            "node_modules/a/Dockerfile",
            "deploy/app.yml",
            "Containerfile",
            "notes.txt",
        ] {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let found: Vec<String> = collect_files(&[dir.path().to_owned()])
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["Containerfile", "deploy/app.yml"]);
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        assert!(matches!(read_text(&big), Err(Error::TooLarge { .. })));
    }
}
