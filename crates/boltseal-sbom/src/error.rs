//! Errors of reading and writing SBOM documents, and the report of what a conversion could not
//! carry over.

use std::fmt;

/// What went wrong, for callers that branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not JSON, or not the shape of the format.
    Syntax,
    /// The document is JSON but neither SPDX nor CycloneDX.
    UnknownFormat,
    /// The format version is not supported for this operation.
    UnsupportedVersion,
}

/// An error reading or writing an SBOM document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid JSON for the format (with the JSON parser's line and column).
    #[error("{format}: {source}")]
    Json {
        /// `SPDX JSON`, `CycloneDX JSON` or `JSON`.
        format: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The document is not an SPDX or CycloneDX JSON document.
    #[error("not an SPDX or CycloneDX JSON document: {reason}")]
    UnknownFormat {
        /// What was missing or unexpected.
        reason: String,
    },
    /// The document's version is not one this crate reads or writes.
    #[error("{format} version {version:?} is not supported ({supported})")]
    UnsupportedVersion {
        /// `SPDX` or `CycloneDX`.
        format: &'static str,
        /// The version found.
        version: String,
        /// What is supported.
        supported: &'static str,
    },
    /// The input is UTF-16 with an odd number of bytes or unpaired surrogates.
    #[error("the input is neither UTF-8 nor valid UTF-16")]
    Encoding,
}

impl Error {
    /// The kind of error, finer than the workspace-wide kind of
    /// [`boltseal_core::Classify::kind`] (for which every one is invalid input).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Json { .. } | Error::Encoding => ErrorKind::Syntax,
            Error::UnknownFormat { .. } => ErrorKind::UnknownFormat,
            Error::UnsupportedVersion { .. } => ErrorKind::UnsupportedVersion,
        }
    }
}

impl boltseal_core::Classify for Error {
    /// Every error of reading or writing is [`boltseal_core::ErrorKind::InvalidInput`]: the
    /// document is not JSON, not an SBOM, or of a version this crate does not handle.
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

/// One thing a writer or conversion could not carry over, or changed to make the output valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Note {
    /// The element concerned: an SPDXID or bom-ref, or `document`.
    pub element: String,
    /// What was dropped or changed.
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.element, self.message)
    }
}

/// What a conversion or a write could not carry over, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The notes.
    pub notes: Vec<Note>,
}

impl Report {
    /// Whether everything was carried over.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    pub(crate) fn note(&mut self, element: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            element: element.into(),
            message: message.into(),
        });
    }

    pub(crate) fn extend(&mut self, other: Report) {
        self.notes.extend(other.notes);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.notes {
            writeln!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Serialized output and its report.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Written {
    /// The JSON document.
    pub bytes: Vec<u8>,
    /// What could not be written.
    pub report: Report,
}

/// How to write a document.
///
/// ```
/// use boltseal_sbom::WriteOptions;
///
/// let opts = WriteOptions::new().pretty(true).created("2026-01-01T00:00:00Z");
/// assert!(opts.is_pretty());
/// ```
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pretty: bool,
    created: String,
    namespace_prefix: String,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            pretty: false,
            created: "1970-01-01T00:00:00Z".to_owned(),
            namespace_prefix: "https://boltseal.invalid/spdxdocs/".to_owned(),
        }
    }
}

impl WriteOptions {
    /// Compact output, fallbacks as documented on each setter.
    pub fn new() -> Self {
        WriteOptions::default()
    }

    /// Indented output (two spaces) instead of compact.
    #[must_use]
    pub fn pretty(mut self, pretty: bool) -> Self {
        self.pretty = pretty;
        self
    }

    /// The creation time written when the document has none (SPDX requires one); the default
    /// is the Unix epoch so that output stays deterministic.
    #[must_use]
    pub fn created(mut self, created: impl Into<String>) -> Self {
        self.created = created.into();
        self
    }

    /// As [`created`](Self::created), from a [`boltseal_core::Timestamp`] (written in UTC, with
    /// whole seconds).
    ///
    /// ```
    /// use boltseal_core::Timestamp;
    /// let opts = boltseal_sbom::WriteOptions::new().created_at(Timestamp::from_unix_seconds(86_400));
    /// # let _ = opts;
    /// ```
    #[must_use]
    pub fn created_at(self, created: boltseal_core::Timestamp) -> Self {
        self.created(created.to_rfc3339_seconds())
    }

    /// The prefix of an SPDX `documentNamespace` made up for a document that has none
    /// (followed by the document name and a UUID derived from its content).
    #[must_use]
    pub fn namespace_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.namespace_prefix = prefix.into();
        self
    }

    /// Whether output is indented.
    pub fn is_pretty(&self) -> bool {
        self.pretty
    }

    pub(crate) fn created_fallback(&self) -> &str {
        &self.created
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.namespace_prefix
    }
}

pub(crate) fn to_bytes<T: serde::Serialize>(value: &T, pretty: bool, hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(hint.max(1 << 12));
    let result = if pretty {
        serde_json::to_writer_pretty(&mut out, value)
    } else {
        serde_json::to_writer(&mut out, value)
    };
    // Serializing maps with string keys into a Vec cannot fail.
    debug_assert!(result.is_ok());
    out
}
