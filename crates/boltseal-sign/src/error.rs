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
    /// The runtime of a [`crate::blocking`] call could not be started.
    #[error("cannot start an async runtime: {source}")]
    Runtime {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The transparency log could not be reached, refused the entry, or answered something that
    /// does not verify against the trusted root (nothing was signed with it).
    #[error("transparency log {url}: {reason}")]
    TransparencyLog {
        /// The log's base URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A signing configuration or trusted root is unusable.
    #[error("signing configuration: {reason}")]
    SigningConfig {
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

impl boltseal_core::Classify for Error {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind;
        match self {
            Error::Store(e) => boltseal_core::Classify::kind(e),
            Error::Sign(e) => boltseal_core::Classify::kind(e),
            Error::Runtime { .. } => ErrorKind::Io,
            // What the store holds is unusable: refused, as a store's bad content is.
            Error::ExistingSignatures { .. } => ErrorKind::Refused,
            Error::TransparencyLog { .. } => ErrorKind::Refused,
            Error::Predicate { .. } | Error::Identity { .. } | Error::SigningConfig { .. } => {
                ErrorKind::InvalidInput
            }
        }
    }
}
