//! Base64 as the signed-statement formats use it.
//!
//! Writers emit standard base64 with padding (RFC 4648 §4), which every reader accepts. Readers
//! accept what Go's DSSE and protojson implementations accept, because real bundles depend on it:
//! the standard or the URL-safe alphabet (never both in one string), with or without padding,
//! line breaks (`\r`, `\n`) anywhere (the output of `base64` without `-w0`), and non-zero
//! trailing bits. Other whitespace is refused. Every accepted string decodes to one byte string,
//! which re-encodes to one canonical spelling; signatures always cover decoded bytes, so the
//! spelling of the base64 carries no meaning.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, PAD_INDIFFERENT, STANDARD};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Why a string is not base64 (standard or URL-safe alphabet, padding optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base64Error {
    detail: String,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid base64: {}", self.detail)
    }
}

impl std::error::Error for Base64Error {}

/// Standard base64 with padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

const LENIENT: base64::engine::GeneralPurposeConfig =
    PAD_INDIFFERENT.with_decode_allow_trailing_bits(true);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard or URL-safe base64, padding optional, line breaks ignored.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let stripped;
    let text = if text.contains(['\r', '\n']) {
        stripped = text.replace(['\r', '\n'], "");
        &stripped
    } else {
        text
    };
    match STANDARD_LENIENT.decode(text) {
        Ok(bytes) => Ok(bytes),
        Err(standard) => URL_SAFE_LENIENT.decode(text).map_err(|_| Base64Error {
            detail: standard.to_string(),
        }),
    }
}

/// Serde adapter: `Vec<u8>` as a base64 string.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        decode(&text).map_err(D::Error::custom)
    }
}

/// Serde adapter: `Vec<u8>` as a base64 string, where JSON `null` or absence means empty
/// (protojson's default for a `bytes` field).
pub(crate) mod bytes_default {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        match text {
            None => Ok(Vec::new()),
            Some(text) => decode(&text).map_err(D::Error::custom),
        }
    }
}

/// Serde adapter: `Vec<Vec<u8>>` as an array of base64 strings (`null` means empty).
pub(crate) mod bytes_list {
    use serde::ser::SerializeSeq as _;

    use super::*;

    pub(crate) fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for bytes in list {
            seq.serialize_element(&encode(bytes))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let list = Option::<Vec<std::borrow::Cow<'de, str>>>::deserialize(d)?.unwrap_or_default();
        list.iter()
            .map(|text| decode(text).map_err(D::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_alphabets_and_optional_padding() {
        let bytes = [0xfb_u8, 0xff, 0xbf, 0x01];
        assert_eq!(encode(&bytes), "+/+/AQ==");
        for text in ["+/+/AQ==", "+/+/AQ", "-_-_AQ==", "-_-_AQ"] {
            assert_eq!(decode(text).as_deref(), Ok(&bytes[..]), "{text}");
        }
    }

    #[test]
    fn accepts_line_breaks_and_trailing_bits_like_go() {
        assert_eq!(
            decode("+/+/\r\nAQ==\n").as_deref(),
            Ok(&[0xfb_u8, 0xff, 0xbf, 0x01][..])
        );
        assert_eq!(decode("AR==").as_deref(), Ok(&[0x01_u8][..]));
    }

    #[test]
    fn refuses_mixed_alphabets_other_whitespace_and_junk() {
        for text in ["+_+/AQ==", "+/+/ AQ==", "+/+/\tAQ==", "A", "!!!!", "AQ=A"] {
            assert!(decode(text).is_err(), "{text}");
        }
    }
}
