//! The signing traits: [`Signer`] (a key in this process) and [`AsyncSigner`] (a key somewhere
//! else: a KMS, an HSM over PKCS #11, a signing service), and the contract both follow.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::SignError;
use crate::public::PublicKey;

/// A source of signatures held in this process: the private key file today. Signing returns
/// at once (no I/O), so it is called from async code directly.
///
/// # Contract (shared with [`AsyncSigner`])
///
/// - **What is signed**: `message` is the raw bytes to sign (a DSSE PAE, a simple-signing
///   payload, a blob); the signer hashes it itself with the hash of its key type
///   ([`crate::KeyAlgorithm::default_hash`]: SHA-256 for P-256 and RSA, SHA-384 for P-384,
///   SHA-512 for P-521; Ed25519 signs the message as it is).
/// - **The signature** verifies with [`PublicKey::verify`] over the same message: ECDSA as
///   ASN.1 DER, RSA as the modulus-length big-endian integer, Ed25519 as 64 bytes.
/// - **`public_key`** is cheap and does not change during the signer's life; callers may
///   call it before and after signing and embed it (hints, log entries).
/// - **Errors**: [`SignError::Backend`] when the key source cannot sign (unreachable, key
///   disabled, permission denied); a signer never returns a signature that does not verify.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` (hashing it as its key type does), returning the signature.
    ///
    /// # Errors
    /// [`SignError`] when the backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// The future [`AsyncSigner::sign`] returns: `Send`, so a signature can be awaited on any
/// runtime thread.
pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, SignError>> + Send + 'a>>;

/// A source of signatures that may wait on the network or a device: what a KMS, PKCS #11 or
/// remote signing crate implements. The contract is [`Signer`]'s (raw message in, the signer
/// hashes; DER ECDSA out; [`SignError::Backend`] when the key source fails).
///
/// Dyn-compatible (`Box<dyn AsyncSigner>`, `&dyn AsyncSigner`), and implemented for every
/// [`Signer`] (the future is then ready at once), so code written against `AsyncSigner` takes
/// a [`crate::PrivateKey`] as well, and a `&dyn Signer` as `&signer` (references, `Box` and
/// `Arc` of signers are signers):
///
/// ```
/// use boltseal_keys::{AsyncSigner, PrivateKey};
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let signer: Box<dyn AsyncSigner> = Box::new(PrivateKey::generate()?);
/// let signature = block_on(signer.sign(b"payload"))?;
/// assert!(signer.public_key().verify(b"payload", &signature).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AsyncSigner: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` (hashing it as its key type does), returning the signature.
    ///
    /// # Errors
    /// The future resolves to [`SignError`] when the backend fails.
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a>;
}

impl<S: Signer + ?Sized> AsyncSigner for S {
    fn public_key(&self) -> PublicKey {
        Signer::public_key(self)
    }

    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        let signature = Signer::sign(self, message);
        Box::pin(std::future::ready(signature))
    }
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Arc<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}
