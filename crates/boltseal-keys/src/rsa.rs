//! RSA public keys and RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2), composed from
//! `crypto-bigint` (which the RustCrypto curves already bring; no second RSA stack).

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
        })
    }

    /// RSASSA-PKCS1-v1_5 verification over `digest`, made with `hash`.
    pub(crate) fn verify_pkcs1v15(&self, hash: Algorithm, digest: &[u8], signature: &[u8]) -> bool {
        use crypto_bigint::modular::BoxedMontyForm;
        if signature.len() != self.len {
            return false;
        }
        let precision = self.params.bits_precision();
        let Ok(s) = crypto_bigint::BoxedUint::from_be_slice(signature, precision) else {
            return false;
        };
        if s >= *self.params.modulus().as_ref() {
            return false;
        }
        let m = BoxedMontyForm::new(s, &self.params)
            .pow(&self.exponent)
            .retrieve();
        let bytes = m.to_be_bytes();
        let Some(em) = bytes.get(bytes.len() - self.len..) else {
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
        em == expected.as_slice()
    }
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
