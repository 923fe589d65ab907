//! The error of signing operations.

/// Why signing or attesting failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] boltseal_oci::Error),
    /// The signer could not sign.
    #[error(transparent)]
    Sign(#[from] boltseal_keys::SignError),
    /// An existing signature manifest cannot be extended.
    #[error("existing signature manifest {tag}: {reason}")]
    ExistingSignatures {
        /// The `.sig` or `.att` tag.
        tag: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The predicate of an attestation is not usable.
    #[error("predicate: {reason}")]
    Predicate {
        /// What is wrong with it.
        reason: String,
    },
    /// The signing identity is not a valid image reference.
    #[error("signing identity {identity:?}: {reason}")]
    Identity {
        /// The identity given.
        identity: String,
        /// Why it is invalid.
        reason: String,
    },
}
