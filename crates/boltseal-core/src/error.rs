//! The error-kind convention: every boltseal error can say which kind of failure it is.
//!
//! Callers branch on the kind (retry what is unavailable, report what was refused) without
//! matching every crate's variants, and command-line tools map it to an exit status with
//! [`ErrorKind::exit_code`].

/// What kind of failure an error is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input could not be understood: malformed text, a bad flag, an unknown format.
    InvalidInput,
    /// A check ran and said no: a bad signature, an untrusted identity, a policy denial.
    Refused,
    /// The input broke a resource limit (size, count, depth, time) and was not read further.
    LimitExceeded,
    /// The thing asked for does not exist.
    NotFound,
    /// A service (registry, transparency log, key server) failed or could not be reached;
    /// trying again later may succeed.
    Unavailable,
    /// The local file system failed.
    Io,
}

impl ErrorKind {
    /// The exit status of boltseal's command-line tools for this kind of error: `2` for
    /// input that could not be understood, `1` for everything else (a check failed, something
    /// is missing or unavailable).
    ///
    /// ```
    /// use boltseal_core::ErrorKind;
    /// assert_eq!(ErrorKind::Refused.exit_code(), 1);
    /// assert_eq!(ErrorKind::InvalidInput.exit_code(), 2);
    /// ```
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Self::InvalidInput => 2,
            Self::Refused | Self::LimitExceeded | Self::NotFound | Self::Unavailable | Self::Io => {
                1
            }
        }
    }

    /// A short lower-case name (`invalid input`, `refused`, …) for logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid input",
            Self::Refused => "refused",
            Self::LimitExceeded => "limit exceeded",
            Self::NotFound => "not found",
            Self::Unavailable => "unavailable",
            Self::Io => "i/o",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that knows its [`ErrorKind`]. Every public boltseal error implements it.
pub trait Classify: std::error::Error {
    /// What kind of failure this is.
    fn kind(&self) -> ErrorKind;
}

impl Classify for std::io::Error {
    fn kind(&self) -> ErrorKind {
        match std::io::Error::kind(self) {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
                ErrorKind::InvalidInput
            }
            _ => ErrorKind::Io,
        }
    }
}
