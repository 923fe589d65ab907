//! What the decoder accepts before it decodes, and why a body is refused.

use super::{MAX_DECODED_BYTES, MAX_REVIEW_BYTES, MAX_REVIEW_DEPTH};

/// What the decoder accepts: body size, nesting depth, and the memory the decoded values may
/// take. Each is checked before anything is decoded.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest body (default [`MAX_REVIEW_BYTES`]).
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects (default [`MAX_REVIEW_DEPTH`]).
    pub max_depth: usize,
    /// Most memory the decoded JSON values may take (default [`MAX_DECODED_BYTES`]).
    pub max_decoded_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bytes: MAX_REVIEW_BYTES,
            max_depth: MAX_REVIEW_DEPTH,
            max_decoded_bytes: MAX_DECODED_BYTES,
        }
    }
}

impl DecodeLimits {
    /// Checks `body` against the limits without decoding it, and returns its shape.
    ///
    /// # Errors
    /// [`DecodeError::TooLarge`], [`DecodeError::TooDeep`] or [`DecodeError::TooCostly`] naming
    /// the limit and the value seen.
    pub fn check(&self, body: &[u8]) -> Result<crate::scan::JsonShape, DecodeError> {
        if body.len() > self.max_bytes {
            return Err(DecodeError::TooLarge {
                size: body.len(),
                limit: self.max_bytes,
            });
        }
        let shape = crate::scan::shape(body);
        if shape.depth > self.max_depth {
            return Err(DecodeError::TooDeep {
                depth: shape.depth,
                limit: self.max_depth,
            });
        }
        if shape.decoded_bytes > self.max_decoded_bytes {
            return Err(DecodeError::TooCostly {
                bytes: shape.decoded_bytes,
                limit: self.max_decoded_bytes,
            });
        }
        Ok(shape)
    }
}

/// Why a review body was refused. The message is one line naming what was wrong.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The body is larger than the decoder's limit.
    #[error("review is {size} bytes, larger than the {limit}-byte limit")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Arrays and objects nest deeper than the decoder's limit.
    #[error("review nests arrays and objects {depth} deep, deeper than the limit of {limit}")]
    TooDeep {
        /// Deepest nesting in the body.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// Decoding the body would take more memory than the decoder's limit.
    #[error(
        "review would take up to {bytes} bytes of memory once decoded, more than the {limit}-byte limit"
    )]
    TooCostly {
        /// The bound of the decoded values' memory ([`crate::scan::JsonShape::decoded_bytes`]).
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON, or a field has the wrong type.
    #[error("invalid AdmissionReview JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// `apiVersion` is not `admission.k8s.io/v1`.
    #[error("apiVersion is {0:?}, expected \"admission.k8s.io/v1\"")]
    ApiVersion(String),
    /// `kind` is not `AdmissionReview`.
    #[error("kind is {0:?}, expected \"AdmissionReview\"")]
    Kind(String),
    /// The review has no `request` (or, for a response, no `response`).
    #[error("the review has no {0}")]
    Missing(&'static str),
    /// A field is present but its value is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON path of the field, e.g. `request.uid`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl boltseal_core::Classify for DecodeError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            DecodeError::TooLarge { .. }
            | DecodeError::TooDeep { .. }
            | DecodeError::TooCostly { .. } => boltseal_core::ErrorKind::LimitExceeded,
            _ => boltseal_core::ErrorKind::InvalidInput,
        }
    }
}
