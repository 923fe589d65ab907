//! Content digests: `algorithm ":" encoded`, validated once, one canonical spelling.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// A digest algorithm boltseal accepts.
///
/// Only algorithms registered by the OCI image specification are accepted. The encoded part is
/// always lowercase hexadecimal of the algorithm's output length.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, 64 hex characters. The default everywhere.
    Sha256,
    /// SHA-384, 96 hex characters.
    Sha384,
    /// SHA-512, 128 hex characters.
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as written in a digest (`sha256`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The number of hex characters of an encoded digest of this algorithm.
    #[must_use]
    pub const fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha384" => Some(Algorithm::Sha384),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a valid [`Digest`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The string has no `:` between algorithm and encoded part.
    #[error("digest {input:?} has no ':' between algorithm and hex")]
    MissingSeparator {
        /// The rejected input.
        input: String,
    },
    /// The algorithm is not one of `sha256`, `sha384`, `sha512`.
    #[error(
        "digest {input:?} uses unsupported algorithm {algorithm:?} (expected sha256, sha384 or sha512)"
    )]
    UnsupportedAlgorithm {
        /// The rejected input.
        input: String,
        /// The algorithm as written.
        algorithm: String,
    },
    /// The encoded part has the wrong length for its algorithm.
    #[error("digest {input:?}: {algorithm} needs {expected} hex characters, found {found}")]
    InvalidLength {
        /// The rejected input.
        input: String,
        /// The algorithm.
        algorithm: Algorithm,
        /// The required number of hex characters.
        expected: usize,
        /// The number found.
        found: usize,
    },
    /// The encoded part contains a character that is not lowercase hex.
    #[error("digest {input:?}: character {found:?} at offset {offset} is not lowercase hex")]
    InvalidHex {
        /// The rejected input.
        input: String,
        /// Byte offset of the bad character in the whole input.
        offset: usize,
        /// The bad character.
        found: char,
    },
}

impl boltseal_core::Classify for DigestError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

const MAX_TEXT: usize = "sha512:".len() + 128;

/// A validated content digest such as `sha256:e3b0c442…`.
///
/// `Digest` is a small `Copy` value with no heap allocation. Parsing accepts exactly one spelling:
/// a supported algorithm, `:`, and lowercase hex of the right length (uppercase hex is rejected so
/// that two different strings never name the same content).
///
/// ```
/// use boltseal_reference::{Algorithm, Digest};
///
/// let d: Digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".parse()?;
/// assert_eq!(d, Digest::sha256_of(b"hello"));
/// assert_eq!(d.algorithm(), Algorithm::Sha256);
/// assert!("sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824".parse::<Digest>().is_err());
/// # Ok::<(), boltseal_reference::DigestError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Digest {
    algorithm: Algorithm,
    len: u8,
    text: [u8; MAX_TEXT],
}

impl Digest {
    /// Parses and validates `algorithm:hex`.
    ///
    /// # Errors
    /// [`DigestError`] naming the part that is wrong.
    pub fn parse(input: &str) -> Result<Self, DigestError> {
        Self::parse_at(input, 0, input)
    }

    /// Parses `s`, reporting offsets relative to `base` within `whole` (used by reference parsing).
    pub(crate) fn parse_at(s: &str, base: usize, whole: &str) -> Result<Self, DigestError> {
        let Some((name, hex)) = s.split_once(':') else {
            return Err(DigestError::MissingSeparator {
                input: whole.to_owned(),
            });
        };
        let Some(algorithm) = Algorithm::from_name(name) else {
            return Err(DigestError::UnsupportedAlgorithm {
                input: whole.to_owned(),
                algorithm: name.to_owned(),
            });
        };
        if hex.len() != algorithm.hex_len() {
            // Report a bad character before a bad length when the string is not hex at all.
            if let Some((i, c)) = hex
                .char_indices()
                .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
            {
                return Err(DigestError::InvalidHex {
                    input: whole.to_owned(),
                    offset: base + name.len() + 1 + i,
                    found: c,
                });
            }
            return Err(DigestError::InvalidLength {
                input: whole.to_owned(),
                algorithm,
                expected: algorithm.hex_len(),
                found: hex.len(),
            });
        }
        // A branch-free pass over the whole string (it vectorizes); the position only on failure.
        let all_hex = hex.bytes().fold(true, |ok, b| {
            ok & ((b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 6))
        });
        if !all_hex
            && let Some(i) = hex
                .bytes()
                .position(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            let found = hex[i..].chars().next().unwrap_or('?');
            return Err(DigestError::InvalidHex {
                input: whole.to_owned(),
                offset: base + name.len() + 1 + i,
                found,
            });
        }
        let mut text = [0u8; MAX_TEXT];
        text[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Digest {
            algorithm,
            // s.len() <= MAX_TEXT (136) fits in u8.
            len: s.len() as u8,
            text,
        })
    }

    fn from_raw(algorithm: Algorithm, raw: &[u8]) -> Self {
        let mut text = [0u8; MAX_TEXT];
        let name = algorithm.as_str().as_bytes();
        text[..name.len()].copy_from_slice(name);
        text[name.len()] = b':';
        let hex = boltseal_core::hex::encode(raw);
        let at = name.len() + 1 + hex.len();
        text[name.len() + 1..at].copy_from_slice(hex.as_bytes());
        Digest {
            algorithm,
            len: at as u8,
            text,
        }
    }

    /// The SHA-256 digest of `data`.
    #[must_use]
    pub fn sha256_of(data: &[u8]) -> Self {
        Self::of(Algorithm::Sha256, data)
    }

    /// The digest of `data` with `algorithm`.
    #[must_use]
    pub fn of(algorithm: Algorithm, data: &[u8]) -> Self {
        let mut d = Digester::new(algorithm);
        d.update(data);
        d.finalize()
    }

    /// Whether `data` hashes to this digest.
    #[must_use]
    pub fn matches(&self, data: &[u8]) -> bool {
        Self::of(self.algorithm, data) == *self
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The whole digest, `algorithm:hex`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written into `text`.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The encoded (hex) part.
    #[must_use]
    pub fn encoded(&self) -> &str {
        &self.as_str()[self.algorithm.as_str().len() + 1..]
    }

    /// A new streaming digester for this digest's algorithm.
    #[must_use]
    pub fn digester(&self) -> Digester {
        Digester::new(self.algorithm)
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Digest {}
impl std::hash::Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}
impl PartialOrd for Digest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Digest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Digest").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl TryFrom<&str> for Digest {
    type Error = DigestError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Digest::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Digest::parse(&s)
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest string such as sha256:<64 lowercase hex>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                Digest::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Clone)]
enum State {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

/// A streaming digest computation (also an [`std::io::Write`] sink).
///
/// ```
/// use boltseal_reference::{Algorithm, Digest, Digester};
///
/// let mut d = Digester::new(Algorithm::Sha256);
/// d.update(b"hel");
/// d.update(b"lo");
/// assert_eq!(d.bytes(), 5);
/// assert_eq!(d.finalize(), Digest::sha256_of(b"hello"));
/// ```
#[derive(Clone)]
pub struct Digester {
    state: State,
    bytes: u64,
}

impl Digester {
    /// A digester for `algorithm`.
    #[must_use]
    pub fn new(algorithm: Algorithm) -> Self {
        let state = match algorithm {
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => State::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
        };
        Digester { state, bytes: 0 }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        match &mut self.state {
            State::Sha256(h) => h.update(data),
            State::Sha384(h) => h.update(data),
            State::Sha512(h) => h.update(data),
        }
    }

    /// How many bytes have been fed so far.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finalize(self) -> Digest {
        match self.state {
            State::Sha256(h) => Digest::from_raw(Algorithm::Sha256, &h.finalize()),
            State::Sha384(h) => Digest::from_raw(Algorithm::Sha384, &h.finalize()),
            State::Sha512(h) => Digest::from_raw(Algorithm::Sha512, &h.finalize()),
        }
    }
}

impl std::io::Write for Digester {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alg = match self.state {
            State::Sha256(_) => Algorithm::Sha256,
            State::Sha384(_) => Algorithm::Sha384,
            State::Sha512(_) => Algorithm::Sha512,
        };
        f.debug_struct("Digester")
            .field("algorithm", &alg)
            .field("bytes", &self.bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn empty_sha256() {
        assert_eq!(Digest::sha256_of(b"").as_str(), EMPTY);
        assert_eq!(Digest::parse(EMPTY).unwrap(), Digest::sha256_of(b""));
    }

    #[test]
    fn known_vectors_other_algorithms() {
        let d384 = Digest::of(Algorithm::Sha384, b"abc");
        assert_eq!(
            d384.encoded(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        let d512 = Digest::of(Algorithm::Sha512, b"abc");
        assert!(d512.encoded().starts_with("ddaf35a193617aba"));
        assert_eq!(Digest::parse(d512.as_str()).unwrap(), d512);
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            Digest::parse("sha256"),
            Err(DigestError::MissingSeparator { .. })
        ));
        assert!(matches!(
            Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e"),
            Err(DigestError::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            Digest::parse("sha256:abcd"),
            Err(DigestError::InvalidLength { found: 4, .. })
        ));
        let upper = EMPTY.to_uppercase().replace("SHA256", "sha256");
        assert!(matches!(
            Digest::parse(&upper),
            Err(DigestError::InvalidHex { offset: 7, .. })
        ));
        assert!(matches!(
            Digest::parse("sha256:é"),
            Err(DigestError::InvalidHex { found: 'é', .. })
        ));
    }

    #[test]
    fn serde_by_string() {
        let d = Digest::sha256_of(b"x");
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(j, format!("\"{d}\""));
        let back: Digest = serde_json::from_str(&j).unwrap();
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut d = Digester::new(Algorithm::Sha256);
        for chunk in data.chunks(333) {
            std::io::Write::write_all(&mut d, chunk).unwrap();
        }
        assert_eq!(d.bytes(), 10_000);
        assert_eq!(d.finalize(), Digest::sha256_of(&data));
    }

    proptest::proptest! {
        #[test]
        fn parse_display_roundtrip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64), alg in 0u8..3) {
            let alg = [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512][usize::from(alg)];
            let d = Digest::of(alg, &bytes);
            proptest::prop_assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        }

        #[test]
        fn arbitrary_input_never_panics(s in ".{0,200}") {
            let _ = Digest::parse(&s);
        }
    }
}
