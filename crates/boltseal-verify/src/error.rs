//! [`VerifyError`]: the one error of verification, with its kind and the check that failed.

use boltseal_core::{Classify, ErrorKind};

/// Which check a verification failed at.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// Reading the evidence: the store or registry, or the evidence limits.
    Evidence,
    /// An image's signatures or attestations: none verified under the authority.
    Signatures,
    /// An attestor set: fewer attestors vouched than required.
    Attestors,
    /// A Sigstore bundle: its signature, certificate chain, SCT, identity, transparency-log
    /// entries or timestamps.
    Bundle,
    /// The verification's own inputs: a policy without keys or attestors, unusable trust
    /// material.
    Policy,
}

impl Check {
    /// A short lower-case name, for logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Evidence => "evidence",
            Self::Signatures => "signatures",
            Self::Attestors => "attestors",
            Self::Bundle => "bundle",
            Self::Policy => "policy",
        }
    }
}

/// Verification did not succeed: what kind of failure ([`ErrorKind::Refused`] when evidence was
/// read and does not verify, [`ErrorKind::Unavailable`] when it could not be read,
/// [`ErrorKind::InvalidInput`] or [`ErrorKind::LimitExceeded`] when it could not be used), the
/// [`Check`] that failed, and one line for people.
///
/// ```
/// use boltseal_core::{Classify, ErrorKind};
/// use boltseal_verify::{Check, VerifyError};
///
/// let e = VerifyError::unavailable("registry.example: connection refused");
/// assert_eq!(e.kind(), ErrorKind::Unavailable);
/// assert_eq!(e.check(), Check::Evidence);
/// assert!(e.is_unavailable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    kind: ErrorKind,
    check: Check,
    reason: String,
}

impl VerifyError {
    /// A failure of `kind` at `check`.
    #[must_use]
    pub fn new(kind: ErrorKind, check: Check, reason: impl Into<String>) -> Self {
        VerifyError {
            kind,
            check,
            reason: reason.into(),
        }
    }

    /// A refusal: evidence was read and its signatures or attestations do not verify.
    #[must_use]
    pub fn refused(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, Check::Signatures, reason)
    }

    /// Evidence that could not be read at all (a registry or the network failed).
    #[must_use]
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, Check::Evidence, reason)
    }

    /// A refusal by a Sigstore bundle check.
    pub(crate) fn bundle(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, Check::Bundle, reason)
    }

    /// The same failure, attributed to `check`.
    #[must_use]
    pub fn at(mut self, check: Check) -> Self {
        self.check = check;
        self
    }

    /// Why verification failed, one line.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> Check {
        self.check
    }

    /// Whether the evidence could not be read at all (the registry or the network failed), as
    /// opposed to evidence that was read and does not verify. Policy engines treat the first as
    /// an error their failure policy decides, the second as a failure.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.kind == ErrorKind::Unavailable
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.check == Check::Bundle {
            f.write_str("bundle verification failed: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for VerifyError {}

impl Classify for VerifyError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

macro_rules! invalid_input {
    ($($t:ty),*) => {$(
        impl Classify for $t {
            fn kind(&self) -> ErrorKind {
                ErrorKind::InvalidInput
            }
        }
    )*};
}

invalid_input!(
    crate::bundle::PatternError,
    crate::bundle::checkpoint::CheckpointError,
    crate::trust::TrustRootError
);
