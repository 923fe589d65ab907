//! RSA public keys, RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) and RSASSA-PSS (§8.1.2, MGF1 with the
//! message's hash) verification, composed from `crypto-bigint` (which the RustCrypto curves
//! already bring; no second RSA stack).

use boltseal_reference::Algorithm;
use der::Decode as _;
use der::asn1::UintRef;

/// PKCS #1 `RSAPublicKey`.
#[derive(der::Sequence)]
struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// PKCS #1 `RSAPrivateKey`: only the public half is read.
#[derive(der::Sequence)]
#[allow(dead_code)]
struct RsaPrivateKeyDer<'a> {
    version: u8,
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
    private_exponent: UintRef<'a>,
    prime1: UintRef<'a>,
    prime2: UintRef<'a>,
    exponent1: UintRef<'a>,
    exponent2: UintRef<'a>,
    coefficient: UintRef<'a>,
    other_prime_infos: Option<der::asn1::AnyRef<'a>>,
}

/// An RSA public key of 2048 to 8192 bits.
#[derive(Clone)]
pub(crate) struct RsaKey {
    params: crypto_bigint::modular::BoxedMontyParams,
    exponent: crypto_bigint::BoxedUint,
    /// The modulus length in bytes (the length of every signature).
    len: usize,
    /// The modulus length in bits.
    bits: usize,
}

/// The signature scheme an RSA key verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaScheme {
    /// RSASSA-PKCS1-v1_5 (an `rsaEncryption` key, cosign's default).
    Pkcs1v15,
    /// RSASSA-PSS with MGF1 over the same hash and any salt length; `hash` is the one an
    /// `id-RSASSA-PSS` key's parameters bind it to (`None`: any of SHA-256/384/512).
    Pss {
        /// The only hash this key signs with, if its parameters say so.
        hash: Option<Algorithm>,
    },
}

/// `id-sha256`, `id-sha384`, `id-sha512` (NIST hash algorithm arc).
fn hash_of_oid(oid: der::oid::ObjectIdentifier) -> Option<Algorithm> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => Some(Algorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(Algorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(Algorithm::Sha512),
        _ => None,
    }
}

/// `RSASSA-PSS-params` (RFC 4055 §3.1); absent fields take their defaults (SHA-1, which this
/// crate refuses).
#[derive(der::Sequence)]
struct PssParamsDer<'a> {
    #[asn1(context_specific = "0", optional = "true")]
    hash: Option<spki::AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "1", optional = "true")]
    mask_gen: Option<spki::AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "2", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", optional = "true")]
    trailer_field: Option<u32>,
}

/// The hash an `id-RSASSA-PSS` key's parameters bind it to: `Ok(None)` without parameters
/// (any hash), `Err` for SHA-1, a mask other than MGF1 over the same hash, or a trailer other
/// than `0xbc`.
pub(crate) fn pss_key_hash(
    params: Option<der::asn1::AnyRef<'_>>,
) -> Result<Option<Algorithm>, String> {
    let Some(params) = params else {
        return Ok(None);
    };
    let params: PssParamsDer<'_> = params.decode_as().map_err(|e: der::Error| e.to_string())?;
    let hash = params
        .hash
        .and_then(|h| hash_of_oid(h.oid))
        .ok_or("RSA-PSS key parameters name a hash other than SHA-256, SHA-384 or SHA-512")?;
    const MGF1: der::oid::ObjectIdentifier =
        der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
    let mgf_hash = params
        .mask_gen
        .filter(|m| m.oid == MGF1)
        .and_then(|m| {
            m.parameters?
                .decode_as::<spki::AlgorithmIdentifierRef<'_>>()
                .ok()
        })
        .and_then(|h| hash_of_oid(h.oid));
    if mgf_hash != Some(hash) {
        return Err(
            "RSA-PSS key parameters: the mask is not MGF1 over the signature's hash".into(),
        );
    }
    if params.trailer_field.is_some_and(|t| t != 1) {
        return Err("RSA-PSS key parameters: trailer field other than 1".into());
    }
    let _ = params.salt_length;
    Ok(Some(hash))
}

impl RsaKey {
    /// Reads a PKCS #1 `RSAPublicKey` (strict DER, positive minimal integers).
    pub(crate) fn from_pkcs1(der: &[u8]) -> Option<RsaKey> {
        let key = RsaPublicKeyDer::from_der(der).ok()?;
        Self::from_parts(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    /// Reads the public half of a PKCS #1 `RSAPrivateKey`; also returns the `RSAPublicKey` DER.
    pub(crate) fn from_pkcs1_private(der: &[u8]) -> Option<(RsaKey, Vec<u8>)> {
        use der::Encode as _;
        let key = RsaPrivateKeyDer::from_der(der).ok()?;
        let public = RsaPublicKeyDer {
            modulus: key.modulus,
            public_exponent: key.public_exponent,
        };
        let public_der = public.to_der().ok()?;
        let rsa = Self::from_parts(key.modulus.as_bytes(), key.public_exponent.as_bytes())?;
        Some((rsa, public_der))
    }

    fn from_parts(n: &[u8], e: &[u8]) -> Option<RsaKey> {
        let n: Vec<u8> = n.iter().copied().skip_while(|&b| b == 0).collect();
        let e: Vec<u8> = e.iter().copied().skip_while(|&b| b == 0).collect();
        // A zero modulus strips to nothing: no bits (and no underflow).
        let bits = match n.first() {
            Some(first) => n.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        };
        if !(2048..=8192).contains(&bits)
            || e.is_empty()
            || e.len() > 4
            || e.last()? & 1 == 0
            || e == [1]
        {
            return None;
        }
        let precision = u32::try_from(n.len().div_ceil(8) * 64).ok()?;
        let modulus = crypto_bigint::BoxedUint::from_be_slice(&n, precision).ok()?;
        let modulus = Option::<crypto_bigint::Odd<_>>::from(crypto_bigint::Odd::new(modulus))?;
        Some(RsaKey {
            params: crypto_bigint::modular::BoxedMontyParams::new_vartime(modulus),
            exponent: crypto_bigint::BoxedUint::from_be_slice_vartime(&e),
            len: n.len(),
            bits,
        })
    }

    /// The modulus length in bits.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// `signature ^ e mod n` as `len` big-endian bytes; `None` when the signature is not an
    /// integer below the modulus of exactly `len` bytes.
    fn open(&self, signature: &[u8]) -> Option<Vec<u8>> {
        use crypto_bigint::modular::BoxedMontyForm;
        if signature.len() != self.len {
            return None;
        }
        let precision = self.params.bits_precision();
        let s = crypto_bigint::BoxedUint::from_be_slice(signature, precision).ok()?;
        if s >= *self.params.modulus().as_ref() {
            return None;
        }
        let m = BoxedMontyForm::new(s, &self.params)
            .pow(&self.exponent)
            .retrieve();
        let bytes = m.to_be_bytes();
        bytes
            .get(bytes.len().checked_sub(self.len)?..)
            .map(<[u8]>::to_vec)
    }

    /// RSASSA-PSS verification (EMSA-PSS-VERIFY, RFC 8017 §9.1.2) over `digest`, made with
    /// `hash`, MGF1 over `hash`, the salt length read from the encoding (Go's
    /// `PSSSaltLengthAuto`, what sigstore's verifiers use).
    pub(crate) fn verify_pss(&self, hash: Algorithm, digest: &[u8], signature: &[u8]) -> bool {
        if crate::public::hash(hash, b"").len() != digest.len() {
            return false;
        }
        let Some(m) = self.open(signature) else {
            return false;
        };
        let em_bits = self.bits - 1;
        let em_len = em_bits.div_ceil(8);
        // With emBits a multiple of 8 the integer is one byte shorter than the modulus.
        let (leading, em) = m.split_at(m.len() - em_len);
        let h_len = digest.len();
        if leading.iter().any(|&b| b != 0) || em_len < h_len + 2 || em.last() != Some(&0xbc) {
            return false;
        }
        let (masked_db, rest) = em.split_at(em_len - h_len - 1);
        let h = &rest[..h_len];
        let unused_bits = 8 * em_len - em_bits;
        if unused_bits > 0 && masked_db[0] >> (8 - unused_bits) != 0 {
            return false;
        }
        let mask = mgf1(hash, h, masked_db.len());
        let mut db: Vec<u8> = masked_db.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
        db[0] &= 0xff >> unused_bits;
        let Some(one) = db.iter().position(|&b| b != 0) else {
            return false;
        };
        if db[one] != 0x01 {
            return false;
        }
        let salt = &db[one + 1..];
        let m_prime = [&[0u8; 8][..], digest, salt].concat();
        crate::public::hash(hash, &m_prime) == h
    }

    /// RSASSA-PKCS1-v1_5 verification over `digest`, made with `hash`.
    pub(crate) fn verify_pkcs1v15(&self, hash: Algorithm, digest: &[u8], signature: &[u8]) -> bool {
        let Some(em) = self.open(signature) else {
            return false;
        };
        // DigestInfo prefixes (RFC 8017 §9.2, note 1).
        let prefix: &[u8] = match hash {
            Algorithm::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Algorithm::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Algorithm::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
            _ => return false,
        };
        let t_len = prefix.len() + digest.len();
        if self.len < t_len + 11 {
            return false;
        }
        let mut expected = Vec::with_capacity(self.len);
        expected.extend_from_slice(&[0x00, 0x01]);
        expected.resize(self.len - t_len - 1, 0xff);
        expected.push(0x00);
        expected.extend_from_slice(prefix);
        expected.extend_from_slice(digest);
        em == expected
    }
}

/// MGF1 (RFC 8017 §B.2.1) over `hash`: `len` bytes of mask from `seed`.
fn mgf1(hash: Algorithm, seed: &[u8], len: usize) -> Vec<u8> {
    let mut mask = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while mask.len() < len {
        mask.extend(crate::public::hash(
            hash,
            &[seed, &counter.to_be_bytes()].concat(),
        ));
        counter += 1;
    }
    mask.truncate(len);
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RSAPublicKey` DER of small integers.
    fn pkcs1(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let int = |v: &[u8]| [&[0x02, u8::try_from(v.len()).unwrap_or(0)][..], v].concat();
        let body = [int(modulus), int(exponent)].concat();
        [&[0x30, u8::try_from(body.len()).unwrap_or(0)][..], &body].concat()
    }

    #[test]
    fn degenerate_keys_are_refused_without_panicking() {
        for (n, e) in [
            (&[0u8][..], &[3u8][..]),
            (&[1], &[3]),
            (&[0x7f; 100], &[1]),
            (&[0x7f; 100], &[4]),
        ] {
            assert!(RsaKey::from_pkcs1(&pkcs1(n, e)).is_none(), "{n:?} {e:?}");
        }
    }
}
