//! The one error type of a scan.

/// Why a scan failed. Every variant names what was being read (the image, a layer digest, an
/// entry inside a layer) so that the message alone locates the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source string is not one of the supported forms.
    #[error("invalid image source {input:?}: {reason}")]
    InvalidSource {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading from an OCI store (layout or registry) failed.
    #[error(transparent)]
    Store(#[from] boltseal_oci::Error),
    /// A file could not be read.
    #[error("{what}: {source}")]
    Io {
        /// The file or stream.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An archive or image document is malformed.
    #[error("{what}: {reason}")]
    Invalid {
        /// The document (archive member, manifest, config).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A layer entry is refused: path traversal, an invalid whiteout, a path too deep.
    #[error("layer {layer}: entry {entry:?}: {reason}")]
    Entry {
        /// The layer's digest.
        layer: String,
        /// The entry's path as written in the tar.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// A configured limit was reached.
    #[error("{what}: {limit_name} limit of {limit} exceeded ({seen} seen)")]
    Limit {
        /// Where (a layer digest, possibly with an entry).
        what: String,
        /// Which limit (`total bytes`, `entries`, `compression ratio`, …).
        limit_name: &'static str,
        /// Its value.
        limit: u64,
        /// The value that broke it (a count, a size, a ratio).
        seen: u64,
    },
    /// Content did not match the digest it was named by.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The blob or layer.
        what: String,
        /// The expected digest.
        expected: String,
        /// The digest of the content read.
        actual: String,
    },
    /// No image in an index or archive matches the requested platform or tag.
    #[error("{what}: {reason}")]
    NotFound {
        /// The index or archive.
        what: String,
        /// What was looked for.
        reason: String,
    },
    /// Writing the SBOM failed.
    #[error("writing the SBOM: {0}")]
    Sbom(#[from] boltseal_sbom::Error),
}

impl boltseal_core::Classify for Error {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind;
        match self {
            Error::InvalidSource { .. } | Error::Invalid { .. } | Error::Entry { .. } => {
                ErrorKind::InvalidInput
            }
            Error::Store(e) => boltseal_core::Classify::kind(e),
            Error::Io { source, .. } => boltseal_core::Classify::kind(source),
            Error::Limit { .. } => ErrorKind::LimitExceeded,
            Error::DigestMismatch { .. } => ErrorKind::Refused,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Sbom(e) => boltseal_core::Classify::kind(e),
        }
    }
}

impl Error {
    /// The `sbom` tool's exit status: a store's error by its kind (a missing image or blob, or
    /// one that fails verification: 1; plain HTTP refused: 2); otherwise invalid input, a
    /// malformed or hostile layer (a limit) and local I/O are input errors (2), the rest 1.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        use boltseal_core::{Classify, ErrorKind};
        match self {
            Error::Store(e) => Classify::kind(e).exit_code(),
            e => match e.kind() {
                ErrorKind::InvalidInput | ErrorKind::LimitExceeded | ErrorKind::Io => 2,
                _ => 1,
            },
        }
    }
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// A malformed document. The reason often quotes the input (the tar reader quotes header
    /// fields): control characters are escaped so the message stays on one line.
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: one_line(reason.into()),
        }
    }

    /// Whether the error comes from the input (a malformed or hostile image, a bad source
    /// string) rather than from the environment (I/O, network).
    #[must_use]
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::InvalidSource { .. } => true,
            Error::Store(e) => matches!(e.kind(), boltseal_oci::ErrorKind::Usage),
            _ => false,
        }
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`, …).
fn one_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn hostile_layers_are_input_errors_and_missing_things_are_failures() {
        let (what, reason) = ("layer 0".to_owned(), "gone".to_owned());
        let limit = Error::Limit {
            what: what.clone(),
            limit_name: "entries",
            limit: 1,
            seen: 2,
        };
        assert_eq!(limit.exit_code(), 2);
        let entry = Error::Entry {
            layer: what.clone(),
            entry: "x".into(),
            reason: reason.clone(),
        };
        assert_eq!(entry.exit_code(), 2);
        assert_eq!(Error::NotFound { what, reason }.exit_code(), 1);
    }
}
