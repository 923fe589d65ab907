//! PEM (RFC 7468), bounded: the one PEM reader and writer of boltseal, for keys and
//! certificates alike.
//!
//! PEM text is untrusted input (key files, `--key` arguments, certificate chains in
//! annotations, policy documents), so it is measured before it is parsed: at most
//! [`Limits::bytes`] of input and [`Limits::blocks`] blocks, counted by their `-----BEGIN `
//! lines before any base64 is decoded. Parsing is the [`pem`](https://docs.rs/pem) crate's;
//! writing uses LF line endings and 64-character lines, as Go's `encoding/pem` does.
//!
//! ```
//! use boltseal_keys::pem;
//!
//! let text = pem::encode("CERTIFICATE", b"first") + &pem::encode("CERTIFICATE", b"second");
//! let ders = pem::decode_all(text.as_bytes(), "CERTIFICATE")?;
//! assert_eq!(ders, [b"first".to_vec(), b"second".to_vec()]);
//! assert_eq!(pem::decode(text.as_bytes(), "CERTIFICATE")?, b"first");
//! assert!(pem::decode(text.as_bytes(), "PUBLIC KEY").is_err());
//! # Ok::<(), pem::PemError>(())
//! ```

pub use ::pem::Pem;

/// The default bound on PEM input: 1 MiB.
pub const MAX_PEM_BYTES: usize = 1024 * 1024;
/// The default bound on the number of blocks in one PEM input.
pub const MAX_PEM_BLOCKS: usize = 64;

const BEGIN: &[u8] = b"-----BEGIN ";

/// How much PEM input is read.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Input longer than this is refused unread.
    pub bytes: usize,
    /// Input with more blocks than this is refused before any block is decoded.
    pub blocks: usize,
}

impl Default for Limits {
    /// [`MAX_PEM_BYTES`] and [`MAX_PEM_BLOCKS`].
    fn default() -> Self {
        Limits {
            bytes: MAX_PEM_BYTES,
            blocks: MAX_PEM_BLOCKS,
        }
    }
}

impl Limits {
    /// Limits of `bytes` and `blocks`.
    #[must_use]
    pub fn new(bytes: usize, blocks: usize) -> Self {
        Limits { bytes, blocks }
    }
}

/// PEM input that was not read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The input is longer than [`Limits::bytes`].
    #[error("PEM input of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The input's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The input has more blocks than [`Limits::blocks`].
    #[error("PEM input has more than {limit} blocks")]
    TooManyBlocks {
        /// The limit.
        limit: usize,
    },
    /// No PEM block (with the label asked for) was found.
    #[error("no {label} PEM block found")]
    Missing {
        /// The label looked for (`PEM` when any label would do).
        label: String,
    },
    /// A block is malformed: bad framing, mismatched labels, bad base64.
    #[error("malformed PEM: {reason}")]
    Malformed {
        /// What the parser reported.
        reason: String,
    },
}

impl boltseal_core::Classify for PemError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            PemError::TooLarge { .. } | PemError::TooManyBlocks { .. } => {
                boltseal_core::ErrorKind::LimitExceeded
            }
            PemError::Missing { .. } | PemError::Malformed { .. } => {
                boltseal_core::ErrorKind::InvalidInput
            }
        }
    }
}

fn check(input: &[u8], limits: Limits) -> Result<(), PemError> {
    if input.len() > limits.bytes {
        return Err(PemError::TooLarge {
            len: input.len(),
            limit: limits.bytes,
        });
    }
    let blocks = input.windows(BEGIN.len()).filter(|w| *w == BEGIN).count();
    if blocks > limits.blocks {
        return Err(PemError::TooManyBlocks {
            limit: limits.blocks,
        });
    }
    Ok(())
}

fn malformed(e: ::pem::PemError) -> PemError {
    PemError::Malformed {
        reason: e.to_string(),
    }
}

/// Every block of `input`, in order, within the default [`Limits`]. Text around and between
/// blocks is ignored; no block at all is an empty list.
///
/// # Errors
/// [`PemError`] when the input is over a limit or a block is malformed.
pub fn parse_all(input: &[u8]) -> Result<Vec<Pem>, PemError> {
    parse_all_with(input, Limits::default())
}

/// [`parse_all`] within `limits`.
///
/// # Errors
/// As [`parse_all`].
pub fn parse_all_with(input: &[u8], limits: Limits) -> Result<Vec<Pem>, PemError> {
    check(input, limits)?;
    ::pem::parse_many(input).map_err(malformed)
}

/// The first block of `input` (any label), within `limits`.
///
/// # Errors
/// [`PemError::Missing`] when there is none; otherwise as [`parse_all`].
pub fn parse_first_with(input: &[u8], limits: Limits) -> Result<Pem, PemError> {
    check(input, limits)?;
    if !input.windows(BEGIN.len()).any(|w| w == BEGIN) {
        return Err(PemError::Missing {
            label: "PEM".to_owned(),
        });
    }
    ::pem::parse(input).map_err(malformed)
}

/// The DER contents of every `label` block of `input`, in order (blocks of other labels are
/// skipped), within the default [`Limits`].
///
/// # Errors
/// As [`parse_all`]; an input without a `label` block gives an empty list.
pub fn decode_all(input: &[u8], label: &str) -> Result<Vec<Vec<u8>>, PemError> {
    Ok(parse_all(input)?
        .into_iter()
        .filter(|p| p.tag() == label)
        .map(Pem::into_contents)
        .collect())
}

/// The DER contents of the first `label` block of `input`, within the default [`Limits`].
///
/// # Errors
/// [`PemError::Missing`] when there is no such block; otherwise as [`parse_all`].
pub fn decode(input: &[u8], label: &str) -> Result<Vec<u8>, PemError> {
    decode_all(input, label)?
        .into_iter()
        .next()
        .ok_or_else(|| PemError::Missing {
            label: label.to_owned(),
        })
}

/// The contents of the first block of `input` (any label), or `input` itself when it holds no
/// PEM block: for fields that carry a certificate or key as PEM or as raw DER (cosign's
/// `dev.sigstore.cosign/certificate` annotation, `--certificate` files).
///
/// ```
/// use boltseal_keys::pem;
/// let der = [0x30, 0x03, 0x02, 0x01, 0x01];
/// assert_eq!(pem::contents_or_der(&der)?, der);
/// assert_eq!(pem::contents_or_der(pem::encode("CERTIFICATE", &der).as_bytes())?, der);
/// # Ok::<(), pem::PemError>(())
/// ```
///
/// # Errors
/// As [`parse_all`], for input that has a `-----BEGIN ` line.
pub fn contents_or_der(input: &[u8]) -> Result<Vec<u8>, PemError> {
    match parse_first_with(input, Limits::default()) {
        Ok(block) => Ok(block.into_contents()),
        Err(PemError::Missing { .. }) => Ok(input.to_vec()),
        Err(e) => Err(e),
    }
}

/// One `label` block holding `der`: LF line endings, 64-character lines, a final newline.
#[must_use]
pub fn encode(label: &str, der: &[u8]) -> String {
    encode_block(&Pem::new(label, der))
}

/// A block written as [`encode`] writes it.
#[must_use]
pub fn encode_block(block: &Pem) -> String {
    let config = ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF);
    ::pem::encode_config(block, config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn limits_are_checked_before_parsing() {
        let one = encode("CERTIFICATE", &[7; 40]);
        let many = one.repeat(MAX_PEM_BLOCKS + 1);
        assert_eq!(
            parse_all(many.as_bytes()).unwrap_err(),
            PemError::TooManyBlocks {
                limit: MAX_PEM_BLOCKS
            }
        );
        assert_eq!(parse_all(one.repeat(3).as_bytes()).unwrap().len(), 3);
        let big = vec![b' '; MAX_PEM_BYTES + 1];
        assert!(matches!(
            parse_all(&big).unwrap_err(),
            PemError::TooLarge { .. }
        ));
        let tight = Limits::new(one.len() - 1, 8);
        assert!(parse_first_with(one.as_bytes(), tight).is_err());
        assert!(parse_all(b"no pem here").unwrap().is_empty());
        assert!(matches!(
            parse_first_with(b"no pem here", Limits::default()),
            Err(PemError::Missing { .. })
        ));
        assert!(matches!(
            decode(b"-----BEGIN A-----\n!!!!\n-----END A-----\n", "A"),
            Err(PemError::Malformed { .. })
        ));
    }

    #[test]
    fn writes_go_style_pem() {
        let text = encode("PUBLIC KEY", &[0u8; 60]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END PUBLIC KEY-----"));
        assert!(text.ends_with('\n') && !text.contains('\r'));
        assert_eq!(decode(text.as_bytes(), "PUBLIC KEY").unwrap(), [0u8; 60]);
    }
}
