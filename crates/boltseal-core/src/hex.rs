//! Lower-case hex, the one encoding of digests and fingerprints in boltseal.

/// Lower-case hex of `bytes`.
///
/// ```
/// assert_eq!(boltseal_core::hex::encode(b"\x00\xff"), "00ff");
/// ```
#[must_use]
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex text that could not be decoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The text has an odd number of digits.
    #[error("hex text has an odd length ({0})")]
    OddLength(usize),
    /// A character is not a hex digit.
    #[error("invalid hex character {0:?} at offset {1}")]
    InvalidCharacter(char, usize),
    /// The decoded value has the wrong length.
    #[error("expected {expected} bytes of hex, found {found}")]
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
}

impl crate::Classify for HexError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

fn value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex text (either case).
///
/// ```
/// assert_eq!(boltseal_core::hex::decode("00Ff").unwrap(), vec![0, 255]);
/// assert!(boltseal_core::hex::decode("0g").is_err());
/// ```
///
/// # Errors
/// [`HexError`] when the text has an odd length or a non-hex character.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(HexError::OddLength(bytes.len()));
    }
    let digit = |i: usize| {
        value(bytes[i]).ok_or_else(|| {
            let c = text[i..].chars().next().unwrap_or('\u{fffd}');
            HexError::InvalidCharacter(c, i)
        })
    };
    (0..bytes.len() / 2)
        .map(|i| Ok((digit(2 * i)? << 4) | digit(2 * i + 1)?))
        .collect()
}

/// Decodes hex text into exactly `N` bytes.
///
/// # Errors
/// [`HexError`] as [`decode`], or [`HexError::WrongLength`].
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let bytes = decode(text)?;
    let found = bytes.len();
    bytes
        .try_into()
        .map_err(|_| HexError::WrongLength { expected: N, found })
}

/// True when `text` is lower-case hex of exactly `len` characters.
#[must_use]
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
