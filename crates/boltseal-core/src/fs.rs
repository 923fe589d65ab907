//! Writing files so that nothing the user had is lost: [`write_atomic`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What [`write_atomic`] may do to a file that already exists.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace<'a> {
    /// Never: an existing file (or link) is an [`WriteError::Exists`] and stays as it was.
    Never,
    /// Always.
    Always,
    /// Only while it still holds these bytes (somebody else's edit is a
    /// [`WriteError::Changed`]).
    IfUnchanged(&'a [u8]),
}

/// How [`write_atomic`] writes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicWrite<'a> {
    /// What may happen to an existing file.
    pub replace: Replace<'a>,
    /// Unix permission bits of a new file; `None` keeps an existing file's permissions and
    /// gives a new one `0o644`.
    pub mode: Option<u32>,
}

impl<'a> AtomicWrite<'a> {
    /// Creates a new file and never replaces one.
    #[must_use]
    pub fn create_new() -> Self {
        Self {
            replace: Replace::Never,
            mode: None,
        }
    }

    /// Replaces whatever is there.
    #[must_use]
    pub fn replace() -> Self {
        Self {
            replace: Replace::Always,
            mode: None,
        }
    }

    /// Replaces the file only while it still holds `old`.
    #[must_use]
    pub fn if_unchanged(old: &'a [u8]) -> Self {
        Self {
            replace: Replace::IfUnchanged(old),
            mode: None,
        }
    }

    /// Sets the permission bits.
    #[must_use]
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }
}

/// A file that [`write_atomic`] did not write.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file exists and [`Replace::Never`] was asked for.
    #[error("{} already exists (not overwritten)", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file no longer holds what [`Replace::IfUnchanged`] expected.
    #[error("{} changed while it was being rewritten (left as it is)", .path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// The file system failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl WriteError {
    /// The file concerned.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Exists { path } | Self::Changed { path } | Self::Io { path, .. } => path,
        }
    }
}

impl crate::Classify for WriteError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Exists { .. } | Self::Changed { .. } => crate::ErrorKind::Refused,
            Self::Io { .. } => crate::ErrorKind::Io,
        }
    }
}

/// Writes `bytes` to `path` so that readers see either the old file or the new one.
///
/// The bytes go to a new temporary file in the same directory, are flushed to disk, and the
/// temporary file is renamed over `path` (a symbolic link at `path` is followed: the link
/// stays and its target is replaced). On any failure the temporary file is removed and the
/// original is untouched.
///
/// ```
/// use boltseal_core::fs::{write_atomic, AtomicWrite};
/// let dir = std::env::temp_dir().join(format!("boltseal-core-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("a.txt");
/// write_atomic(&file, b"one", AtomicWrite::replace())?;
/// assert!(write_atomic(&file, b"two", AtomicWrite::create_new()).is_err());
/// assert!(write_atomic(&file, b"two", AtomicWrite::if_unchanged(b"zero")).is_err());
/// write_atomic(&file, b"two", AtomicWrite::if_unchanged(b"one"))?;
/// assert_eq!(std::fs::read(&file)?, b"two");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`WriteError`]: the file exists or changed (as `options` say), or the file system failed.
pub fn write_atomic(path: &Path, bytes: &[u8], options: AtomicWrite<'_>) -> Result<(), WriteError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| WriteError::Io { path, source }
    };
    let exists = path.symlink_metadata().is_ok();
    if exists && options.replace == Replace::Never {
        return Err(WriteError::Exists {
            path: path.to_owned(),
        });
    }
    let target = if exists {
        std::fs::canonicalize(path).map_err(io(path))?
    } else {
        path.to_owned()
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = match options.mode {
        Some(mode) => Some(mode),
        None if exists => {
            use std::os::unix::fs::PermissionsExt;
            Some(
                std::fs::metadata(&target)
                    .map_err(io(&target))?
                    .permissions()
                    .mode(),
            )
        }
        None => None,
    };
    let tmp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut open = std::fs::OpenOptions::new();
        open.write(true)
            .create_new(true)
            .mode(permissions.unwrap_or(0o644));
        let mut f = open.open(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        if let Some(mode) = permissions {
            f.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(io(&tmp))?;
        }
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        match options.replace {
            Replace::Never if target.symlink_metadata().is_ok() => {
                return Err(WriteError::Exists {
                    path: path.to_owned(),
                });
            }
            Replace::IfUnchanged(old) if std::fs::read(&target).ok().as_deref() != Some(old) => {
                return Err(WriteError::Changed {
                    path: path.to_owned(),
                });
            }
            _ => {}
        }
        std::fs::rename(&tmp, &target).map_err(io(&target))?;
        // Make the rename durable; not every platform can open a directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn keeps_links_and_modes_and_refuses_what_it_may_not_replace() {
        let dir = std::env::temp_dir().join(format!("boltseal-core-fs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let real = dir.join("real");
        let link = dir.join("link");
        write_atomic(&real, b"a", AtomicWrite::create_new().mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"b", AtomicWrite::if_unchanged(b"a")).unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"b");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let changed = write_atomic(&link, b"c", AtomicWrite::if_unchanged(b"a")).unwrap_err();
        assert!(matches!(changed, WriteError::Changed { .. }), "{changed}");
        assert!(matches!(
            write_atomic(&real, b"c", AtomicWrite::create_new()),
            Err(WriteError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&real).unwrap(), b"b");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
