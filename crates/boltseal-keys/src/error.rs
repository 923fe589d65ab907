//! Errors of key handling.

use std::path::PathBuf;

/// Why a key could not be read, decrypted, generated or written.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The password does not decrypt the key (the secretbox authentication failed).
    #[error("wrong password")]
    WrongPassword,
    /// The input is not a PEM document.
    #[error("not a PEM key file: {reason}")]
    NotPem {
        /// What the PEM parser reported.
        reason: String,
    },
    /// A PEM label this crate does not read.
    #[error(
        "unsupported PEM type {label:?} (expected ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY, PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY, PUBLIC KEY or RSA PUBLIC KEY)"
    )]
    UnsupportedPemLabel {
        /// The label found.
        label: String,
    },
    /// The encrypted key envelope is malformed; `what` names the part.
    #[error("corrupt encrypted key: {what}: {reason}")]
    Corrupt {
        /// The part of the envelope (`kdf.salt`, `cipher.nonce`, `ciphertext`, the JSON itself).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Key-derivation or cipher parameters other than cosign's (a guard against costly input).
    #[error("unsupported encryption parameters: {reason}")]
    UnsupportedEncryption {
        /// What was found.
        reason: String,
    },
    /// A key type this crate does not handle here: signing keys are ECDSA P-256; verification
    /// keys are ECDSA P-256/P-384/P-521, Ed25519 or RSA (PKCS #1 v1.5, PSS).
    #[error(
        "unsupported key type {key_type} (boltseal signs with ECDSA P-256 and verifies with ECDSA P-256/P-384/P-521, Ed25519 and RSA)"
    )]
    UnsupportedKeyType {
        /// The key type found (e.g. `RSA`, `Ed25519`, `ECDSA P-384`).
        key_type: String,
    },
    /// The decrypted or unencrypted key material is not valid DER for its type.
    #[error("invalid {what} key material: {reason}")]
    InvalidKey {
        /// `private` or `public`.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("random number generator failed: {reason}")]
    Random {
        /// The error reported.
        reason: String,
    },
    /// The password could not be obtained.
    #[error("password: {reason}")]
    Password {
        /// What went wrong.
        reason: String,
    },
    /// A file exists and overwriting it was not requested.
    #[error("{path}: already exists (use --force to overwrite)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A signature did not verify. Deliberately opaque: the reason is not part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signature verification failed")]
pub struct VerifyError;

/// Signing failed (a key source could not produce a signature).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The signing backend failed.
    #[error("signing failed: {reason}")]
    Backend {
        /// What the backend reported.
        reason: String,
    },
}

impl boltseal_core::Classify for KeyError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind;
        match self {
            KeyError::WrongPassword | KeyError::Exists { .. } => ErrorKind::Refused,
            KeyError::NotPem { .. }
            | KeyError::UnsupportedPemLabel { .. }
            | KeyError::Corrupt { .. }
            | KeyError::UnsupportedEncryption { .. }
            | KeyError::UnsupportedKeyType { .. }
            | KeyError::InvalidKey { .. }
            | KeyError::Password { .. } => ErrorKind::InvalidInput,
            KeyError::Random { .. } => ErrorKind::Unavailable,
            KeyError::Io { source, .. } => boltseal_core::Classify::kind(source),
        }
    }
}

impl boltseal_core::Classify for VerifyError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::Refused
    }
}

impl boltseal_core::Classify for SignError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::Unavailable
    }
}
