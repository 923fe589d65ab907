//! The one error type of this crate.

use std::path::PathBuf;
use std::sync::Arc;

/// Errors of scanning, resolving and writing.
///
/// Every variant names the file or the image concerned, so its `Display` is a complete
/// one-line message.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A file is larger than [`MAX_FILE_BYTES`](crate::MAX_FILE_BYTES).
    #[error("{path}: larger than the {limit}-byte limit")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A file is not UTF-8 text.
    #[error("{path}: not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// A YAML file could not be parsed.
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// An error about the contents of a file, with the file's name.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        #[source]
        source: Box<Error>,
    },
    /// A file to pin changed between reading and writing; nothing was written.
    #[error("{path}: changed while it was being pinned; nothing written")]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A rewrite would not have produced the expected references; nothing was written.
    #[error(
        "{path}: rewriting would change more than the image references ({reason}); nothing written"
    )]
    RewriteCheck {
        /// The file.
        path: PathBuf,
        /// What the re-scan of the rewritten text found.
        reason: String,
    },
    /// Resolving an image tag failed.
    #[error("{image}: {source}")]
    Resolve {
        /// The image as `registry/repository:tag`.
        image: String,
        /// The store error (shared: every reference to the same tag carries it).
        #[source]
        source: Arc<boltseal_oci::Error>,
    },
    /// A path named on the command line is neither a file nor a directory.
    #[error("{path}: not a file or directory")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Edits overlap or lie outside the text.
    #[error("edit {start}..{end} overlaps another edit or lies outside the text")]
    BadEdit {
        /// Start byte of the offending edit.
        start: usize,
        /// End byte of the offending edit.
        end: usize,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// Whether this is a store error of the given kind (for example a missing tag).
    #[must_use]
    pub fn store_kind(&self) -> Option<boltseal_oci::ErrorKind> {
        match self {
            Error::Resolve { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// Kinds for callers that branch (and tools that map them to exit statuses): a store error
/// keeps its own kind; a file that changed or a rewrite that did not check out is refused; a
/// file over the size limit is a limit; I/O is I/O; everything else (not text, invalid YAML,
/// not a file, bad edits) is invalid input.
impl Error {
    /// The `pin` tool's exit status for this error: a path or file that cannot be read, or is
    /// over the size limit, is an input error (2); otherwise its kind decides (a missing tag, a
    /// registry failure, a file changed meanwhile: 1; plain HTTP refused, invalid YAML: 2).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { .. } | Error::TooLarge { .. } => 2,
            Error::File { source, .. } => source.exit_code(),
            e => boltseal_core::Classify::kind(e).exit_code(),
        }
    }
}

impl boltseal_core::Classify for Error {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind;
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::TooLarge { .. } => ErrorKind::LimitExceeded,
            Error::File { source, .. } => boltseal_core::Classify::kind(&**source),
            Error::Changed { .. } | Error::RewriteCheck { .. } => ErrorKind::Refused,
            Error::Resolve { source, .. } => boltseal_core::Classify::kind(&**source),
            Error::NotText { .. }
            | Error::Yaml { .. }
            | Error::NotAFile { .. }
            | Error::BadEdit { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn unreadable_inputs_are_input_errors_and_a_changed_file_is_a_refusal() {
        let io = Error::io("Dockerfile", std::io::Error::other("denied"));
        assert_eq!(io.exit_code(), 2);
        let changed = Error::Changed {
            path: "Dockerfile".into(),
        };
        assert_eq!(changed.exit_code(), 1);
        let nested = |source| Error::File {
            path: "a.yaml".into(),
            source: Box::new(source),
        };
        assert_eq!(nested(io).exit_code(), 2);
        assert_eq!(nested(changed).exit_code(), 1);
    }
}
