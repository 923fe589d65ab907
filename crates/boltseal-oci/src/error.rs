//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

use boltseal_reference::Digest;

/// What went wrong, coarsely, for callers that branch on it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A tag, manifest, blob or repository does not exist.
    NotFound,
    /// Content did not match its digest or size, or broke a size limit: untrusted input refused.
    Integrity,
    /// A manifest, index, layout or configuration could not be understood.
    Invalid,
    /// Credentials were missing or refused.
    Unauthorized,
    /// The registry or the network failed.
    Transport,
    /// The local file system failed.
    Io,
    /// The caller asked for something not allowed (plain HTTP, a bad location).
    Usage,
}

/// Errors of store operations.
///
/// Every variant names the object it concerns (a store, a path, a digest), so that its
/// `Display` is a complete one-line message.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named object does not exist in the store.
    #[error("{what} not found in {store}")]
    NotFound {
        /// The store (layout path or registry repository).
        store: String,
        /// What was looked for (a tag, a digest).
        what: String,
    },
    /// Content hashed to another digest than the one it was fetched or announced by.
    #[error("{what}: digest mismatch: expected {expected}, content has {actual}")]
    DigestMismatch {
        /// The object read.
        what: String,
        /// The digest it should have.
        expected: Box<Digest>,
        /// The digest it has.
        actual: Box<Digest>,
    },
    /// Content had another size than its descriptor announced.
    #[error("{what}: size mismatch: descriptor says {expected} bytes, content has {actual}")]
    SizeMismatch {
        /// The object read.
        what: String,
        /// The size announced.
        expected: u64,
        /// The size read (a lower bound when reading stopped early).
        actual: u64,
    },
    /// Content was larger than the limit for its kind.
    #[error("{what} exceeds the {limit}-byte limit")]
    TooLarge {
        /// The object read.
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A manifest or index could not be parsed or breaks the specification.
    #[error("invalid manifest {what}: {reason}")]
    InvalidManifest {
        /// The manifest (a reference or digest).
        what: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A media type that this operation cannot handle.
    #[error("{what}: unsupported media type {media_type:?}")]
    UnsupportedMediaType {
        /// The object concerned.
        what: String,
        /// The media type found.
        media_type: String,
    },
    /// An OCI image layout directory is malformed.
    #[error("invalid OCI layout {path}: {reason}")]
    InvalidLayout {
        /// The layout or the file inside it.
        path: PathBuf,
        /// Why it is invalid.
        reason: String,
    },
    /// A path inside a layout leads outside of it (a symbolic link, `..`).
    #[error("{path}: refusing a path that leaves the layout directory")]
    PathEscape {
        /// The offending path.
        path: PathBuf,
    },
    /// Credentials were missing, malformed or refused.
    #[error("{registry}: authentication failed: {reason}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The registry's or the token service's answer.
        reason: String,
    },
    /// The registry answered with an unexpected status.
    #[error("{method} {url}: registry answered {status}: {message}")]
    Registry {
        /// HTTP method.
        method: String,
        /// The request URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The registry's error message, or the start of its body.
        message: String,
    },
    /// The HTTP request failed below the protocol level.
    #[error("{url}: {source}")]
    Http {
        /// The request URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A credentials file or helper could not be used.
    #[error("credentials from {source_name}: {reason}")]
    Credentials {
        /// The file or helper.
        source_name: String,
        /// What was wrong.
        reason: String,
    },
    /// Plain HTTP was required for a host that is not a loopback address.
    #[error("registry {host} is not a loopback host: plain HTTP needs --allow-http-registry")]
    InsecureRegistry {
        /// The registry host.
        host: String,
    },
    /// An image location string could not be understood.
    #[error("invalid image location {input:?}: {reason}")]
    InvalidLocation {
        /// The location as given.
        input: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A bound on untrusted input was reached: too many manifests in one copy, indexes nested
    /// too deep, too long a tag list. Names the limit, the value seen and the option that
    /// raises it.
    #[error("{what}: {seen} {unit}, over the limit of {limit} (set by {option})")]
    LimitExceeded {
        /// What was being read or copied.
        what: String,
        /// What was counted (`manifests`, `tags`, `bytes`, `levels of nesting`).
        unit: &'static str,
        /// The limit.
        limit: u64,
        /// The count reached when reading stopped (a lower bound).
        seen: u64,
        /// The option that sets the limit, e.g. `CopyOptions::max_manifests`.
        option: &'static str,
    },
    /// A request for a small document (manifest, token, tag list, referrers, error body) was
    /// not answered in full within its deadline.
    #[error("{what}: not answered within {limit:?} (set by {option})")]
    TimedOut {
        /// The request.
        what: String,
        /// The deadline.
        limit: Duration,
        /// The option that sets the deadline.
        option: &'static str,
    },
    /// A blob transfer fell below the minimum transfer rate.
    #[error(
        "{what}: {received} bytes in {window:?} of waiting, below the minimum of {min_rate} \
         bytes/s (set by RegistryOptions::min_blob_rate)"
    )]
    TooSlow {
        /// The blob transferred.
        what: String,
        /// Bytes received in the window.
        received: u64,
        /// How long the transfer waited for them.
        window: Duration,
        /// The minimum rate in bytes per second.
        min_rate: u64,
    },
    /// An image index has no manifest for the requested platform.
    #[error("index {index} has no manifest for platform {platform}")]
    PlatformNotFound {
        /// The index digest.
        index: Box<Digest>,
        /// The platform asked for.
        platform: String,
    },
}

impl Error {
    /// The coarse kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } | Error::PlatformNotFound { .. } => ErrorKind::NotFound,
            Error::DigestMismatch { .. }
            | Error::SizeMismatch { .. }
            | Error::TooLarge { .. }
            | Error::PathEscape { .. }
            | Error::LimitExceeded { .. } => ErrorKind::Integrity,
            Error::InvalidManifest { .. }
            | Error::UnsupportedMediaType { .. }
            | Error::InvalidLayout { .. } => ErrorKind::Invalid,
            Error::Unauthorized { .. } | Error::Credentials { .. } => ErrorKind::Unauthorized,
            Error::Registry { .. }
            | Error::Http { .. }
            | Error::TimedOut { .. }
            | Error::TooSlow { .. } => ErrorKind::Transport,
            Error::Io { .. } => ErrorKind::Io,
            Error::InsecureRegistry { .. } | Error::InvalidLocation { .. } => ErrorKind::Usage,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// [`Error::kind`] in boltseal's common vocabulary: a missing object is not found, a limit
/// is a limit, content that does not match what it claims or cannot be read (a store's, not
/// the caller's) is refused, credentials refused are refused, a registry or network failure
/// is unavailable, a local file system failure is I/O, and only what the caller asked for
/// ([`ErrorKind::Usage`]: plain HTTP not allowed, a bad location) is invalid input.
impl boltseal_core::Classify for Error {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind as Kind;
        match self {
            Error::TooLarge { .. } | Error::LimitExceeded { .. } => Kind::LimitExceeded,
            _ => match Error::kind(self) {
                ErrorKind::NotFound => Kind::NotFound,
                ErrorKind::Integrity | ErrorKind::Invalid | ErrorKind::Unauthorized => {
                    Kind::Refused
                }
                ErrorKind::Transport => Kind::Unavailable,
                ErrorKind::Io => Kind::Io,
                ErrorKind::Usage => Kind::InvalidInput,
            },
        }
    }
}

/// The most characters of untrusted text (a registry's error message, a challenge) that an
/// error message carries.
pub(crate) const MAX_UNTRUSTED_CHARS: usize = 300;

/// Untrusted text made fit for a one-line error message: control and bidirectional-formatting
/// characters escaped (`\n`, `\u{1b}`), surrounding white space trimmed, and cut after
/// [`MAX_UNTRUSTED_CHARS`] characters with a `… (cut)` marker.
pub(crate) fn untrusted_text(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0usize;
    for c in text.trim().chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        let start = out.len();
        if hidden {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        chars += out[start..].chars().count();
        if chars > MAX_UNTRUSTED_CHARS {
            out.truncate(start);
            out.push_str("… (cut)");
            break;
        }
    }
    out
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
