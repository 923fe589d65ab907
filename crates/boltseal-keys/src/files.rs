//! Writing key pairs to files: private key 0600, never overwriting without being asked.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::KeyError;
use crate::keys::{KeyFormat, MAX_KEY_FILE_BYTES, PrivateKey, PublicKey};

/// The two files of a key pair.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPairPaths {
    /// `PREFIX.key`.
    pub private: PathBuf,
    /// `PREFIX.pub`.
    pub public: PathBuf,
}

impl KeyPairPaths {
    /// The files for `prefix` (`cosign` gives `cosign.key` and `cosign.pub`).
    #[must_use]
    pub fn for_prefix(prefix: &Path) -> Self {
        let mut private = prefix.as_os_str().to_owned();
        private.push(".key");
        let mut public = prefix.as_os_str().to_owned();
        public.push(".pub");
        KeyPairPaths {
            private: private.into(),
            public: public.into(),
        }
    }
}

/// Writes `key` encrypted with `password` to `PREFIX.key` (mode 0600) and its public key to
/// `PREFIX.pub` (mode 0644). Existing files are kept unless `force`; each file is written to a
/// temporary name and renamed into place, so an interrupted write leaves no partial key.
///
/// # Errors
/// [`KeyError::Exists`] when a file exists and `force` is false; I/O errors.
pub fn write_key_pair(
    prefix: &Path,
    key: &PrivateKey,
    password: &[u8],
    format: KeyFormat,
    force: bool,
) -> Result<KeyPairPaths, KeyError> {
    let paths = KeyPairPaths::for_prefix(prefix);
    if !force {
        for p in [&paths.private, &paths.public] {
            if p.symlink_metadata().is_ok() {
                return Err(KeyError::Exists { path: p.clone() });
            }
        }
    }
    let private_pem = key.to_encrypted_pem(password, format)?;
    write_atomic(&paths.private, private_pem.as_bytes(), 0o600, force)?;
    write_atomic(
        &paths.public,
        key.public_key().to_pem().as_bytes(),
        0o644,
        force,
    )?;
    Ok(paths)
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32, force: bool) -> Result<(), KeyError> {
    let io = |source: std::io::Error| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        if !force && path.symlink_metadata().is_ok() {
            return Err(KeyError::Exists {
                path: path.to_owned(),
            });
        }
        std::fs::rename(&tmp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, KeyError> {
    use std::io::Read;
    let io = |source: std::io::Error| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut out = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_KEY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(io)?;
    Ok(out)
}

/// Reads a private key file (any format [`PrivateKey::from_pem`] reads).
///
/// # Errors
/// I/O errors, or the key errors of [`PrivateKey::from_pem`].
pub fn read_private_key(path: &Path, password: &[u8]) -> Result<PrivateKey, KeyError> {
    PrivateKey::from_pem(&read_bounded(path)?, password)
}

/// Reads a `PUBLIC KEY` PEM file.
///
/// # Errors
/// I/O errors, or the key errors of [`PublicKey::from_pem`].
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    PublicKey::from_pem(&read_bounded(path)?)
}
