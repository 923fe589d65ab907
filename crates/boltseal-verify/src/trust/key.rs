//! Public keys of the algorithms that appear in Sigstore trust material.

use std::fmt;

use base64::Engine as _;
use const_oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use ecdsa::signature::Verifier as _;
use ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::Digest as _;
use spki::SubjectPublicKeyInfoRef;

/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (P-256).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (P-384).
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `id-Ed25519` (RFC 8410).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption`.
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The hash a signature is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

/// The algorithm of a [`PublicKey`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 (signatures over SHA-256 unless a certificate says otherwise).
    EcdsaP256,
    /// ECDSA on NIST P-384 (signatures over SHA-384 unless a certificate says otherwise).
    EcdsaP384,
    /// Ed25519 (pure, RFC 8032).
    Ed25519,
    /// RSA (PKCS #1 v1.5 signatures; 2048 to 8192 bits).
    Rsa,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa => "RSA",
        })
    }
}

#[derive(Clone)]
enum Inner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(RsaKey),
}

/// An RSA public key: modulus and public exponent.
#[derive(Clone)]
struct RsaKey {
    params: crypto_bigint::modular::BoxedMontyParams,
    exponent: crypto_bigint::BoxedUint,
    /// The modulus length in bytes (the length of every signature).
    len: usize,
}

impl RsaKey {
    /// Reads a PKCS #1 `RSAPublicKey` (SEQUENCE { modulus, publicExponent }).
    fn from_pkcs1(der: &[u8]) -> Option<RsaKey> {
        use crate::bundle::asn1;
        let (seq, rest) = asn1::read(der)?;
        if seq.tag != 0x30 || !rest.is_empty() {
            return None;
        }
        let fields = asn1::children(seq.value)?;
        let [n, e] = fields.as_slice() else {
            return None;
        };
        if n.tag != 0x02 || e.tag != 0x02 {
            return None;
        }
        let strip = |v: &'_ [u8]| -> Option<Vec<u8>> {
            // A positive INTEGER in minimal form.
            if v.is_empty() || v[0] & 0x80 != 0 || (v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0) {
                return None;
            }
            Some(v.iter().copied().skip_while(|&b| b == 0).collect())
        };
        let (n, e) = (strip(n.value)?, strip(e.value)?);
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
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

    /// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) over a digest made with `hash`.
    fn verify_pkcs1v15(&self, hash: Hash, digest: &[u8], signature: &[u8]) -> bool {
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
        let prefix: &[u8] = match hash {
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
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

/// A public key that verifies signatures: ECDSA P-256 or P-384, Ed25519, or RSA (PKCS #1
/// v1.5, 2048 to 8192 bits).
///
/// These are the key types of Sigstore's public-good and private deployments (Fulcio and
/// cosign keys, Rekor v1 and v2 logs, CT logs, timestamp authorities, private CAs). Other
/// algorithms are refused with [`KeyError::Unsupported`]; a trust root that lists one keeps the
/// entry but can never verify with it.
///
/// ```
/// use boltseal_verify::trust::{KeyAlgorithm, PublicKey};
///
/// let pem = "-----BEGIN PUBLIC KEY-----\n\
///     MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\n\
///     fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n\
///     -----END PUBLIC KEY-----\n";
/// let key = PublicKey::from_pem(pem.as_bytes())?;
/// assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
/// assert_eq!(key.hint(), "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=");
/// # Ok::<(), boltseal_verify::trust::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    inner: Inner,
    spki: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("hint", &self.hint())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for PublicKey {}

/// Why bytes are not a usable public key.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a `PUBLIC KEY` PEM block.
    #[error("not a PUBLIC KEY PEM block")]
    Pem,
    /// Not a DER SubjectPublicKeyInfo, or the key bytes are not a point of its curve.
    #[error("malformed public key: {reason}")]
    Malformed {
        /// What the decoder said.
        reason: String,
    },
    /// A well-formed key of an algorithm boltseal does not verify with (other curves, DSA, …).
    #[error("unsupported public key algorithm {algorithm}")]
    Unsupported {
        /// The algorithm (OID, with the curve OID for EC keys).
        algorithm: String,
    },
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] or [`KeyError::Unsupported`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: &dyn fmt::Display| KeyError::Malformed {
            reason: e.to_string(),
        };
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| malformed(&e))?;
        let key_bytes = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed(&"public key bit string has unused bits"))?;
        let oid = info.algorithm.oid;
        let inner = if oid == EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .ok_or_else(|| malformed(&"EC key without curve parameters"))?
                .decode_as()
                .map_err(|e| malformed(&e))?;
            if curve == SECP256R1 {
                Inner::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|e| malformed(&e))?,
                )
            } else if curve == SECP384R1 {
                Inner::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|e| malformed(&e))?,
                )
            } else {
                return Err(KeyError::Unsupported {
                    algorithm: format!("EC {curve}"),
                });
            }
        } else if oid == ED25519 {
            if info.algorithm.parameters.is_some() {
                return Err(malformed(&"Ed25519 key with parameters"));
            }
            let bytes: &[u8; 32] = key_bytes
                .try_into()
                .map_err(|_| malformed(&"Ed25519 key is not 32 bytes"))?;
            Inner::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|e| malformed(&e))?,
            )
        } else if oid == RSA {
            Inner::Rsa(
                RsaKey::from_pkcs1(key_bytes)
                    .ok_or_else(|| malformed(&"not an RSA public key of 2048 to 8192 bits"))?,
            )
        } else {
            return Err(KeyError::Unsupported {
                algorithm: oid.to_string(),
            });
        };
        // Keep the exact DER: key hints, log ids and tlog bodies are computed over it.
        let spki = info.to_der().map_err(|e| malformed(&e))?;
        Ok(PublicKey { inner, spki })
    }

    /// Reads a `PUBLIC KEY` PEM block (the first one in `input`).
    ///
    /// # Errors
    /// [`KeyError::Pem`] when there is no such block, else as [`PublicKey::from_spki_der`].
    pub fn from_pem(input: &[u8]) -> Result<Self, KeyError> {
        let der = super::pem::decode_first(input, "PUBLIC KEY").ok_or(KeyError::Pem)?;
        Self::from_spki_der(&der)
    }

    /// The key's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            Inner::P256(_) => KeyAlgorithm::EcdsaP256,
            Inner::P384(_) => KeyAlgorithm::EcdsaP384,
            Inner::Ed25519(_) => KeyAlgorithm::Ed25519,
            Inner::Rsa(_) => KeyAlgorithm::Rsa,
        }
    }

    /// The DER SubjectPublicKeyInfo.
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the log id of Rekor v1 and CT logs.
    #[must_use]
    pub fn key_id(&self) -> [u8; 32] {
        sha2::Sha256::digest(&self.spki).into()
    }

    /// The Sigstore key hint: standard base64 of [`PublicKey::key_id`].
    #[must_use]
    pub fn hint(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key_id())
    }

    /// Verifies `signature` over `message`: ECDSA (ASN.1 DER) over SHA-256 for P-256 and
    /// SHA-384 for P-384, Ed25519 over the message itself, RSA PKCS #1 v1.5 over SHA-256 —
    /// what cosign signs payloads with.
    ///
    /// # Errors
    /// [`crate::bundle::VerifyError`] when the signature is malformed or does not verify.
    pub fn verify_signature(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), crate::bundle::VerifyError> {
        if self.verify(message, signature) {
            Ok(())
        } else {
            Err(crate::bundle::VerifyError::bundle(
                "the signature does not verify with the key",
            ))
        }
    }

    /// The hash a message signature by this key is computed over (SHA-256 for P-256 and
    /// Ed25519's prehash-free messages, SHA-384 for P-384).
    pub(crate) fn default_hash(&self) -> Hash {
        match self.inner {
            Inner::P384(_) => Hash::Sha384,
            _ => Hash::Sha256,
        }
    }

    /// Verifies `signature` over `message` with the key's default hash (ECDSA: ASN.1 DER
    /// signature; Ed25519: the 64-byte signature over the message itself).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            Inner::Ed25519(key) => match ed25519_dalek::Signature::from_slice(signature) {
                Ok(sig) => key.verify(message, &sig).is_ok(),
                Err(_) => false,
            },
            Inner::Rsa(key) => {
                key.verify_pkcs1v15(Hash::Sha256, &Hash::Sha256.digest(message), signature)
            }
            _ => self.verify_prehash(&self.default_hash().digest(message), signature),
        }
    }

    /// Verifies `signature` over `message` hashed with `hash` (ECDSA only; Ed25519 refuses).
    pub(crate) fn verify_with(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            Inner::Ed25519(_) | Inner::Rsa(_) => false,
            _ => self.verify_prehash(&hash.digest(message), signature),
        }
    }

    /// Verifies an ECDSA DER signature over a precomputed digest (SHA-256, -384 or -512 by its
    /// length) with the default backend: AWS-LC with the `aws-lc` feature, else RustCrypto. Both
    /// give the same answers (see the tests). Ed25519 and RSA cannot verify here and refuse.
    pub(crate) fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "aws-lc")]
        {
            self.verify_prehash_aws_lc(digest, signature)
        }
        #[cfg(not(feature = "aws-lc"))]
        {
            self.verify_prehash_rust_crypto(digest, signature)
        }
    }

    /// [`PublicKey::verify_prehash`] with AWS-LC.
    #[cfg(feature = "aws-lc")]
    pub(crate) fn verify_prehash_aws_lc(&self, digest: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{self as sig, UnparsedPublicKey};
        use aws_lc_rs::{digest as d, signature::VerificationAlgorithm};
        let (hash, p256_alg, p384_alg): (
            &'static d::Algorithm,
            &'static dyn VerificationAlgorithm,
            &'static dyn VerificationAlgorithm,
        ) = match digest.len() {
            32 => (
                &d::SHA256,
                &sig::ECDSA_P256_SHA256_ASN1,
                &sig::ECDSA_P384_SHA256_ASN1,
            ),
            48 => (
                &d::SHA384,
                &sig::ECDSA_P256_SHA384_ASN1,
                &sig::ECDSA_P384_SHA384_ASN1,
            ),
            64 => (
                &d::SHA512,
                &sig::ECDSA_P256_SHA512_ASN1,
                &sig::ECDSA_P384_SHA512_ASN1,
            ),
            _ => return false,
        };
        let Ok(prehash) = d::Digest::import_less_safe(digest, hash) else {
            return false;
        };
        match &self.inner {
            Inner::P256(key) => {
                UnparsedPublicKey::new(p256_alg, key.to_sec1_point(false).as_bytes())
                    .verify_digest(&prehash, signature)
                    .is_ok()
            }
            Inner::P384(key) => {
                UnparsedPublicKey::new(p384_alg, key.to_sec1_point(false).as_bytes())
                    .verify_digest(&prehash, signature)
                    .is_ok()
            }
            Inner::Ed25519(_) | Inner::Rsa(_) => false,
        }
    }

    /// [`PublicKey::verify_prehash`] with RustCrypto's `p256` / `p384` (with the `aws-lc`
    /// feature only the backend comparison test calls it).
    #[cfg_attr(feature = "aws-lc", allow(dead_code))]
    pub(crate) fn verify_prehash_rust_crypto(&self, digest: &[u8], signature: &[u8]) -> bool {
        if ![32, 48, 64].contains(&digest.len()) {
            return false;
        }
        match &self.inner {
            Inner::P256(key) => match p256::ecdsa::DerSignature::from_bytes(signature) {
                Ok(sig) => key.verify_prehash(digest, &sig).is_ok(),
                Err(_) => false,
            },
            Inner::P384(key) => match p384::ecdsa::DerSignature::from_bytes(signature) {
                Ok(sig) => key.verify_prehash(digest, &sig).is_ok(),
                Err(_) => false,
            },
            Inner::Ed25519(_) | Inner::Rsa(_) => false,
        }
    }

    /// Whether this is an ECDSA key.
    pub(crate) fn is_ecdsa(&self) -> bool {
        matches!(self.inner, Inner::P256(_) | Inner::P384(_))
    }

    /// Verifies an RSA PKCS #1 v1.5 signature over `message` hashed with `hash`.
    pub(crate) fn verify_rsa_pkcs1(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            Inner::Rsa(key) => key.verify_pkcs1v15(hash, &hash.digest(message), signature),
            _ => false,
        }
    }

    /// Reads a PKCS #1 `RSAPublicKey` (how trusted roots give `PKCS1_RSA_*` keys) and wraps it
    /// in a SubjectPublicKeyInfo.
    pub(crate) fn from_pkcs1_rsa_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = RsaKey::from_pkcs1(der).ok_or_else(|| KeyError::Malformed {
            reason: "not an RSA public key of 2048 to 8192 bits".to_owned(),
        })?;
        // AlgorithmIdentifier { rsaEncryption, NULL } and the key as a BIT STRING.
        use crate::bundle::asn1::encode;
        let algorithm = encode(
            0x30,
            &[
                &[
                    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                ][..],
                &[0x05, 0x00],
            ]
            .concat(),
        );
        let bits = encode(0x03, &[&[0u8][..], der].concat());
        let spki = encode(0x30, &[algorithm, bits].concat());
        Ok(PublicKey {
            inner: Inner::Rsa(key),
            spki,
        })
    }

    /// The raw Ed25519 key bytes, for signed-note key ids.
    pub(crate) fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match &self.inner {
            Inner::Ed25519(key) => Some(key.to_bytes()),
            _ => None,
        }
    }
}

impl TryFrom<&boltseal_keys::PublicKey> for PublicKey {
    type Error = KeyError;

    fn try_from(key: &boltseal_keys::PublicKey) -> Result<Self, KeyError> {
        PublicKey::from_spki_der(&key.to_spki_der())
    }
}

#[cfg(all(test, feature = "aws-lc"))]
mod backend_tests {
    //! AWS-LC and RustCrypto give the same answer for P-256 and P-384 keys, every hash length,
    //! valid and damaged signatures.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ecdsa::signature::hazmat::PrehashSigner as _;
    use proptest::prelude::*;

    fn agree(key: &PublicKey, digest: &[u8], signature: &[u8]) -> bool {
        let a = key.verify_prehash_aws_lc(digest, signature);
        let b = key.verify_prehash_rust_crypto(digest, signature);
        assert_eq!(a, b, "backends disagree");
        a
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn backends_agree(seed in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..200), hash in 0usize..3, flip in any::<prop::sample::Index>(), junk in proptest::collection::vec(any::<u8>(), 0..120)) {
            let hash = [Hash::Sha256, Hash::Sha384, Hash::Sha512][hash];
            let digest = hash.digest(&message);
            let mut scalar = seed;
            scalar[0] = 1; // below both group orders, not zero
            let p256_key = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
            let p384_key = p384::ecdsa::SigningKey::from_slice(&[[1u8; 16].as_slice(), &scalar].concat()).unwrap();
            let cases: Vec<(PublicKey, Vec<u8>)> = vec![
                (
                    PublicKey::from_spki_der(&spki::EncodePublicKey::to_public_key_der(p256_key.verifying_key()).unwrap().into_vec()).unwrap(),
                    p256_key.sign_prehash(&digest).map(|s: p256::ecdsa::Signature| s.to_der().as_bytes().to_vec()).unwrap(),
                ),
                (
                    PublicKey::from_spki_der(&spki::EncodePublicKey::to_public_key_der(p384_key.verifying_key()).unwrap().into_vec()).unwrap(),
                    p384_key.sign_prehash(&digest).map(|s: p384::ecdsa::Signature| s.to_der().as_bytes().to_vec()).unwrap(),
                ),
            ];
            for (key, signature) in cases {
                prop_assert!(agree(&key, &digest, &signature));
                let mut damaged = signature.clone();
                let i = flip.index(damaged.len());
                damaged[i] ^= 0x01;
                prop_assert!(!agree(&key, &digest, &damaged));
                let mut other = digest.clone();
                other[0] ^= 0x80;
                prop_assert!(!agree(&key, &other, &signature));
                prop_assert!(!agree(&key, &digest[..20], &signature));
                agree(&key, &digest, &junk);
            }
        }
    }
}
