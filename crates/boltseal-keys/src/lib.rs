#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod ec;
mod encrypted;
mod error;
mod files;
mod keys;
mod password;
pub mod pem;
mod public;
mod rsa;
mod secretbox;
mod signer;

/// The hash of a signature: SHA-256, SHA-384 or SHA-512 (the digest algorithms of
/// `boltseal-reference`, one vocabulary).
pub use boltseal_reference::Algorithm as HashAlgorithm;
pub use encrypted::ScryptCost;
pub use error::{KeyError, SignError, VerifyError};
pub use files::{
    KeyPairPaths, read_private_key, read_public_key, read_verification_key, write_key_pair,
};
pub use keys::{
    COSIGN_PRIVATE_KEY_LABEL, EC_PRIVATE_KEY_LABEL, KeyFormat, MAX_KEY_FILE_BYTES,
    PRIVATE_KEY_LABEL, PrivateKey, RSA_PRIVATE_KEY_LABEL, SIGSTORE_PRIVATE_KEY_LABEL, StoredAs,
};
pub use password::{PASSWORD_ENV, read_password};
pub use public::{Backend, KeyAlgorithm, PUBLIC_KEY_LABEL, PublicKey, RSA_PUBLIC_KEY_LABEL, hash};
pub use signer::{AsyncSigner, SignFuture, Signer};
