//! Writing key pairs to files: private key 0600, never overwriting without being asked.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::keys::{KeyFormat, MAX_KEY_FILE_BYTES, PrivateKey};
use crate::public::PublicKey;

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
/// temporary name and renamed into place ([`boltseal_core::fs::write_atomic`]), so an
/// interrupted write leaves no partial key.
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
    use boltseal_core::fs::{AtomicWrite, WriteError};
    let options = if force {
        AtomicWrite::replace()
    } else {
        AtomicWrite::create_new()
    };
    boltseal_core::fs::write_atomic(path, bytes, options.mode(mode)).map_err(|e| match e {
        WriteError::Exists { path } => KeyError::Exists { path },
        WriteError::Io { path, source } => KeyError::Io { path, source },
        other => KeyError::Io {
            path: other.path().to_owned(),
            source: std::io::Error::other(other.to_string()),
        },
    })
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

/// Reads a verification key from any key file cosign's `--key` takes (see
/// [`PublicKey::from_key_pem`]); `password` is called only for an encrypted key (pass
/// `|| boltseal_keys::read_password(false)` for cosign's behaviour).
///
/// # Errors
/// I/O errors, or the key errors of [`PublicKey::from_key_pem`].
pub fn read_verification_key(
    path: &Path,
    password: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
) -> Result<PublicKey, KeyError> {
    PublicKey::from_key_pem(&read_bounded(path)?, password)
}

/// Reads a `PUBLIC KEY` (or `RSA PUBLIC KEY`) PEM file.
///
/// # Errors
/// I/O errors, or the key errors of [`PublicKey::from_pem`].
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    PublicKey::from_pem(&read_bounded(path)?)
}
