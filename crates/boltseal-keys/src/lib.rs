//! Signing keys in the formats cosign, skopeo/podman and sigstore-rs read and write.
//!
//! - [`PrivateKey`]: ECDSA P-256; generated, read from cosign's encrypted PEM
//!   (`ENCRYPTED SIGSTORE PRIVATE KEY`, legacy `ENCRYPTED COSIGN PRIVATE KEY`; scrypt
//!   N = 2^15, 2^16, 2^17; empty passwords) or unencrypted PKCS#8 / SEC1 PEM, and written
//!   encrypted ([`KeyFormat`]). A wrong password is [`KeyError::WrongPassword`].
//! - [`PublicKey`]: `PUBLIC KEY` PEM, the Sigstore key hint, DER signature verification with
//!   RustCrypto's `p256` or, with the `aws-lc` feature, AWS-LC ([`Backend`]).
//! - [`Signer`]: the extension point for other key sources (KMS, PKCS#11, remote signers).
//! - [`read_password`] (`COSIGN_PASSWORD`, a prompt), [`write_key_pair`] (0600, no overwrite
//!   without `force`).
//!
//! ```
//! use boltseal_keys::{KeyFormat, PrivateKey, PublicKey, Signer};
//!
//! let key = PrivateKey::generate()?;
//! let pem = key.to_encrypted_pem(b"", KeyFormat::default())?;
//! assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
//! let signature = key.sign(b"payload")?;
//! let public = PublicKey::from_pem(key.public_key().to_pem().as_bytes())?;
//! assert!(public.verify_der(b"payload", &signature).is_ok());
//! assert!(public.verify_der(b"tampered", &signature).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod encrypted;
mod error;
mod files;
mod keys;
mod password;
mod secretbox;

pub use encrypted::ScryptCost;
pub use error::{KeyError, SignError, VerifyError};
pub use files::{KeyPairPaths, read_private_key, read_public_key, write_key_pair};
pub use keys::{
    Backend, COSIGN_PRIVATE_KEY_LABEL, KeyFormat, MAX_KEY_FILE_BYTES, PUBLIC_KEY_LABEL, PrivateKey,
    PublicKey, SIGSTORE_PRIVATE_KEY_LABEL, Signer, StoredAs,
};
pub use password::{PASSWORD_ENV, read_password};
