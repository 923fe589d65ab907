//! Errors of loading policies, resources and test files.

use std::path::PathBuf;

/// Where a document came from: a file (or a name given by the caller) and the 0-based index
/// of the YAML document within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file or source name.
    pub source: String,
    /// The document index within the source (0-based).
    pub document: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (document {})", self.source, self.document)
    }
}

/// Errors of loading policies, resources and `kyverno test` files.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than the YAML limit.
    #[error("{path}: larger than the {limit}-byte limit")]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is not YAML (or exceeds the YAML limits).
    #[error("{source_name}: {reason}")]
    Yaml {
        /// The file or source name.
        source_name: String,
        /// The parser's message.
        reason: String,
    },
    /// A field has a wrong type or value, or is unknown.
    #[error("{origin}: {field}: {reason}")]
    Invalid {
        /// Where the document is.
        origin: Origin,
        /// The field path, such as `spec.rules[0].match`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A Kyverno feature that boltseal does not implement: refused rather than ignored.
    #[error("{origin}: {field}: {feature} is not supported")]
    Unsupported {
        /// Where the document is.
        origin: Origin,
        /// The field path.
        field: String,
        /// The feature.
        feature: String,
    },
}

impl boltseal_core::Classify for LoadError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        use boltseal_core::ErrorKind;
        match self {
            LoadError::Io { source, .. } => boltseal_core::Classify::kind(source),
            LoadError::TooLarge { .. } => ErrorKind::LimitExceeded,
            LoadError::Yaml { .. } | LoadError::Invalid { .. } | LoadError::Unsupported { .. } => {
                ErrorKind::InvalidInput
            }
        }
    }
}
