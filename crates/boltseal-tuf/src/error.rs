//! [`TufError`] and how tough's errors map onto boltseal's error kinds.

use std::error::Error as _;
use std::path::PathBuf;

use boltseal_core::{Classify, ErrorKind};
use boltseal_verify::trust::TrustRootError;

use crate::SigningConfigError;

/// Why trust could not be loaded. Every message is one line naming what was wrong.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TufError {
    /// A caller-supplied file (override or initial root) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A trusted root (from a file or the repository) is not usable.
    #[error("trusted root from {origin}: {source}")]
    TrustedRoot {
        /// Where it came from: a file path or a TUF target.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: TrustRootError,
    },
    /// A signing configuration (from a file or the repository) is not usable.
    #[error("signing config from {origin}: {source}")]
    SigningConfig {
        /// Where it came from.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: SigningConfigError,
    },
    /// The initial root or the repository URL given to a [`crate::TrustSource`] is not valid.
    #[error("TUF repository {url}: {reason}")]
    Setup {
        /// The repository.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The repository answered, and TUF refused what it served: expired, rolled back, not
    /// signed by a threshold of keys, or a target whose bytes do not match its metadata.
    #[error("TUF repository {url} refused: {reason}")]
    Refused {
        /// The repository.
        url: String,
        /// tough's reason, on one line.
        reason: String,
    },
    /// The repository could not be reached (or a file was missing from it).
    #[error("TUF repository {url} unavailable: {reason}")]
    Unavailable {
        /// The repository.
        url: String,
        /// The transport's reason, on one line.
        reason: String,
    },
    /// Metadata or a target is larger than its limit ([`crate::Limits`]).
    #[error("TUF repository {url}: {reason}")]
    LimitExceeded {
        /// The repository.
        url: String,
        /// Which limit, and the size seen.
        reason: String,
    },
    /// The signed targets metadata does not list a target.
    #[error("TUF repository {url} has no target {name}")]
    MissingTarget {
        /// The repository.
        url: String,
        /// The target name.
        name: String,
    },
    /// The cache directory could not be read or written.
    #[error("TUF cache {}: {reason}", path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Offline (or after a failed refresh) with nothing cached and nothing embedded.
    #[error("no trust for TUF repository {url}: {reason}")]
    NoTrust {
        /// The repository.
        url: String,
        /// Why nothing could be used.
        reason: String,
    },
}

impl Classify for TufError {
    fn kind(&self) -> ErrorKind {
        match self {
            TufError::ReadFile { source, .. } => Classify::kind(source),
            TufError::TrustedRoot { .. } | TufError::Setup { .. } => ErrorKind::InvalidInput,
            TufError::SigningConfig { source, .. } => source.kind(),
            TufError::Refused { .. } => ErrorKind::Refused,
            TufError::Unavailable { .. } => ErrorKind::Unavailable,
            TufError::LimitExceeded { .. } => ErrorKind::LimitExceeded,
            TufError::MissingTarget { .. } | TufError::NoTrust { .. } => ErrorKind::NotFound,
            TufError::Cache { .. } => ErrorKind::Io,
        }
    }
}

/// Collapses a message onto one line (tough's errors nest their causes' text).
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The error that counts: a digest or size failure inside a target's stream arrives wrapped in
/// a transport error, so transport errors are looked through before they count as the
/// network's fault.
fn innermost(err: &tough::error::Error) -> &tough::error::Error {
    if let tough::error::Error::Transport { source, .. } = err {
        let mut cause = source.source();
        while let Some(inner) = cause {
            if let Some(tough) = inner.downcast_ref::<tough::error::Error>() {
                return innermost(tough);
            }
            cause = inner.source();
        }
    }
    err
}

/// The kind of one of tough's errors (after [`innermost`]).
fn tough_kind(err: &tough::error::Error) -> ErrorKind {
    use tough::error::Error as E;
    match err {
        E::Transport { .. } => ErrorKind::Unavailable,
        E::MaxSizeExceeded { .. } | E::MaxUpdatesExceeded { .. } => ErrorKind::LimitExceeded,
        E::DatastoreInit { .. }
        | E::DatastoreCreate { .. }
        | E::DatastoreOpen { .. }
        | E::DatastoreRemove { .. }
        | E::DatastoreSerialize { .. }
        | E::DirCreate { .. } => ErrorKind::Io,
        E::ParseTrustedMetadata { .. } | E::VerifyTrustedMetadata { .. } => ErrorKind::InvalidInput,
        _ => ErrorKind::Refused,
    }
}

/// Converts one of tough's errors for the repository at `url`.
pub(crate) fn from_tough(url: &str, err: &tough::error::Error) -> TufError {
    let err = innermost(err);
    let url = url.to_owned();
    let reason = one_line(&err.to_string());
    match tough_kind(err) {
        ErrorKind::Unavailable => TufError::Unavailable { url, reason },
        ErrorKind::LimitExceeded => TufError::LimitExceeded { url, reason },
        ErrorKind::Io => TufError::Cache {
            path: PathBuf::from("(datastore)"),
            reason,
        },
        ErrorKind::InvalidInput => TufError::Setup { url, reason },
        _ => TufError::Refused { url, reason },
    }
}
