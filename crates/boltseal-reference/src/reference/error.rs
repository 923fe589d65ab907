//! [`ReferenceError`]: why a string is not a valid [`Reference`](super::Reference).

use crate::digest::DigestError;

/// Why a string is not a valid [`Reference`](super::Reference).
///
/// Offsets are byte offsets into [`ReferenceError::input`]: the whole reference for
/// [`Reference::parse`](super::Reference::parse), or the single part that was checked for [`Reference::new`](super::Reference::new) and
/// [`Reference::with_tag`](super::Reference::with_tag). The message does not repeat the input; callers usually print
/// `"{input}: {error}"`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The input is the empty string.
    #[error("reference is empty")]
    Empty,
    /// The repository path (without the registry; with `library/` when normalization adds it)
    /// is longer than 255 bytes.
    #[error("repository path is {len} bytes long once normalized; at most 255 are allowed")]
    NameTooLong {
        /// The rejected input.
        input: String,
        /// Length of the normalized repository path in bytes.
        len: usize,
    },
    /// The registry host is not a valid host name, IPv4 address or bracketed IPv6 address.
    #[error("invalid registry host: {} at byte {offset}", describe(.input, *.offset))]
    InvalidDomain {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of the host when it is cut short).
        offset: usize,
    },
    /// The registry port is empty or not made of decimal digits.
    #[error("invalid registry port: {} at byte {offset}", describe(.input, *.offset))]
    InvalidPort {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte.
        offset: usize,
    },
    /// A repository path component is empty, or has a separator (`.`, `_`, `__`, `-`) at its
    /// start or end, or a character outside `[a-z0-9._-]`.
    #[error("invalid repository path: {} at byte {offset}", describe(.input, *.offset))]
    InvalidPathComponent {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of the component when it is empty
        /// or ends with a separator).
        offset: usize,
    },
    /// The repository path contains an uppercase letter; repositories are lowercase.
    #[error("repository must be lowercase: {} at byte {offset}", describe(.input, *.offset))]
    UppercaseRepository {
        /// The rejected input.
        input: String,
        /// Byte offset of the first uppercase letter.
        offset: usize,
    },
    /// The tag is empty, starts with `.` or `-`, or has a character outside `[A-Za-z0-9_.-]`.
    #[error("invalid tag: {} at byte {offset}", describe(.input, *.offset))]
    InvalidTag {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of input for an empty tag).
        offset: usize,
    },
    /// The tag is longer than 128 bytes.
    #[error("tag is {len} bytes long; at most 128 are allowed")]
    TagTooLong {
        /// The rejected input.
        input: String,
        /// Length of the tag in bytes.
        len: usize,
    },
    /// The digest after `@` is not a valid [`Digest`](crate::Digest) (unsupported algorithm, wrong length,
    /// uppercase or non-hex characters). The inner error carries the whole input and the
    /// offset of the bad character.
    #[error(transparent)]
    DigestError(#[from] DigestError),
    /// The whole input is a 64-character lowercase hexadecimal string, which Docker refuses
    /// because it reads as an image ID (`docker.io/<hex>` and `<hex>:tag` are names).
    #[error("a reference cannot be a 64-character hexadecimal string (it reads as an image ID)")]
    NameIsDigest {
        /// The rejected input.
        input: String,
    },
    /// [`Reference::new`](super::Reference::new) was given a registry that would not be recognized as one when the
    /// reference is written out (no `.`, no `:port`, no uppercase letter and not `localhost`):
    /// `myhost/app` names the Docker Hub repository `docker.io/myhost/app`.
    #[error(
        "registry {input:?} would read as a Docker Hub namespace; a registry needs a '.', a ':port', or to be 'localhost'"
    )]
    UnqualifiedRegistry {
        /// The rejected registry.
        input: String,
    },
}

/// Describes the byte at `offset` for an error message.
fn describe(input: &str, offset: usize) -> String {
    match input.get(offset..).and_then(|rest| rest.chars().next()) {
        Some(c) => format!("unexpected {c:?}"),
        None => "unexpected end".to_owned(),
    }
}

impl ReferenceError {
    /// The string that was rejected (empty for [`ReferenceError::Empty`]).
    #[must_use]
    pub fn input(&self) -> &str {
        match self {
            ReferenceError::Empty => "",
            ReferenceError::NameTooLong { input, .. }
            | ReferenceError::InvalidDomain { input, .. }
            | ReferenceError::InvalidPort { input, .. }
            | ReferenceError::InvalidPathComponent { input, .. }
            | ReferenceError::UppercaseRepository { input, .. }
            | ReferenceError::InvalidTag { input, .. }
            | ReferenceError::TagTooLong { input, .. }
            | ReferenceError::NameIsDigest { input }
            | ReferenceError::UnqualifiedRegistry { input } => input,
            ReferenceError::DigestError(e) => match e {
                DigestError::MissingSeparator { input }
                | DigestError::UnsupportedAlgorithm { input, .. }
                | DigestError::InvalidLength { input, .. }
                | DigestError::InvalidHex { input, .. } => input,
            },
        }
    }

    /// The byte offset of the offending character, when the error points at one.
    #[must_use]
    pub fn offset(&self) -> Option<usize> {
        match self {
            ReferenceError::InvalidDomain { offset, .. }
            | ReferenceError::InvalidPort { offset, .. }
            | ReferenceError::InvalidPathComponent { offset, .. }
            | ReferenceError::UppercaseRepository { offset, .. }
            | ReferenceError::InvalidTag { offset, .. }
            | ReferenceError::DigestError(DigestError::InvalidHex { offset, .. }) => Some(*offset),
            _ => None,
        }
    }
}

impl boltseal_core::Classify for ReferenceError {
    /// Always [`ErrorKind::InvalidInput`](boltseal_core::ErrorKind::InvalidInput): the text is
    /// not a reference.
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}
