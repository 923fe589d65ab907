//! Public keys of trust material are boltseal-keys' [`PublicKey`]: one type for every
//! algorithm (ECDSA P-256/P-384, Ed25519, RSA), here and in key-based verification alike.

pub use boltseal_keys::{KeyAlgorithm, KeyError, PublicKey};

/// The hash a signature is computed over.
pub(crate) type Hash = boltseal_keys::HashAlgorithm;

/// `hash` of `message`.
pub(crate) fn digest(hash: Hash, message: &[u8]) -> Vec<u8> {
    boltseal_keys::hash(hash, message)
}

/// Whether `signature` is `key`'s over `message` hashed with `hash`, as a certificate's or an
/// SCT's signature algorithm names it: ECDSA when `ecdsa`, else RSA PKCS #1 v1.5.
pub(crate) fn verifies_hashed(
    key: &PublicKey,
    ecdsa: bool,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let algorithm = key.algorithm();
    let fits = if ecdsa {
        algorithm.is_ecdsa()
    } else {
        algorithm == KeyAlgorithm::Rsa
    };
    fits && key.verify_hashed(hash, message, signature).is_ok()
}
