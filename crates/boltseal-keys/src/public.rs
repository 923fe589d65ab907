//! [`PublicKey`]: every key type boltseal verifies with — ECDSA P-256, P-384 and P-521,
//! Ed25519, RSA (PKCS #1 v1.5 and PSS).

use std::fmt;

use base64::Engine as _;
use boltseal_reference::Algorithm;
use der::oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use ecdsa::signature::Verifier as _;
use sha2::Digest as _;
use spki::SubjectPublicKeyInfoRef;

pub use crate::ec::Backend;
use crate::ec::EcKey;
use crate::error::{KeyError, VerifyError};
use crate::rsa::{RsaKey, RsaScheme};

/// `id-ecPublicKey` (RFC 5480).
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (P-256).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (P-384).
pub(crate) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (P-521).
pub(crate) const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
/// `id-Ed25519` (RFC 8410).
pub(crate) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption`.
pub(crate) const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-RSASSA-PSS` (RFC 4055): an RSA key bound to PSS signatures.
pub(crate) const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// PEM label of public keys (SubjectPublicKeyInfo DER).
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
/// PEM label of PKCS #1 RSA public keys.
pub const RSA_PUBLIC_KEY_LABEL: &str = "RSA PUBLIC KEY";

/// The algorithm of a [`PublicKey`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 (signatures over SHA-256 unless a certificate says otherwise).
    EcdsaP256,
    /// ECDSA on NIST P-384 (signatures over SHA-384 unless a certificate says otherwise).
    EcdsaP384,
    /// ECDSA on NIST P-521 (signatures over SHA-512 unless a certificate says otherwise).
    EcdsaP521,
    /// Ed25519 (pure, RFC 8032).
    Ed25519,
    /// RSA with PKCS #1 v1.5 signatures (2048 to 8192 bits): every `rsaEncryption` key, as
    /// cosign's `--key` and Kyverno's `publicKeys` verify it.
    Rsa,
    /// RSA with PSS signatures (MGF1 over the signature's hash, any salt length): an
    /// `id-RSASSA-PSS` key, or an `rsaEncryption` key given [`PublicKey::with_rsa_pss`].
    RsaPss,
}

impl KeyAlgorithm {
    /// Whether this is an ECDSA algorithm (the ones a [`Backend`] applies to).
    #[must_use]
    pub fn is_ecdsa(self) -> bool {
        matches!(
            self,
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::EcdsaP521
        )
    }

    /// Whether this is an RSA algorithm (PKCS #1 v1.5 or PSS).
    #[must_use]
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyAlgorithm::Rsa | KeyAlgorithm::RsaPss)
    }

    /// The hash a signature by such a key is made over when nothing else says: SHA-256 for
    /// P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521 (sigstore's algorithm registry),
    /// none for Ed25519 (it signs the message itself). An `id-RSASSA-PSS` key whose
    /// parameters name another hash uses that one.
    #[must_use]
    pub fn default_hash(self) -> Option<Algorithm> {
        match self {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::Rsa | KeyAlgorithm::RsaPss => {
                Some(Algorithm::Sha256)
            }
            KeyAlgorithm::EcdsaP384 => Some(Algorithm::Sha384),
            KeyAlgorithm::EcdsaP521 => Some(Algorithm::Sha512),
            KeyAlgorithm::Ed25519 => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::EcdsaP521 => "ECDSA P-521",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::RsaPss => "RSA-PSS",
        })
    }
}

#[derive(Clone)]
enum Inner {
    Ec(EcKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(RsaKey, RsaScheme),
}

/// A public key that verifies signatures: ECDSA P-256, P-384 or P-521, Ed25519, or RSA
/// (PKCS #1 v1.5 or PSS, 2048 to 8192 bits) — every key type cosign verifies, and those of
/// Sigstore trust roots (Fulcio, Rekor v1 and v2, CT logs, timestamp authorities).
///
/// An RSA key read from an `rsaEncryption` SubjectPublicKeyInfo (or PKCS #1) verifies PKCS #1
/// v1.5 signatures, as cosign's `--key` does (its key loader defaults RSA keys to PKCS #1
/// v1.5 with SHA-256); [`PublicKey::with_rsa_pss`] switches it to PSS, as a trusted root's
/// `PKIX_RSA_PSS_*` key details or cosign's PSS option do. An `id-RSASSA-PSS` key verifies PSS
/// only, with the hash its parameters name (SHA-256 without parameters).
///
/// It keeps the exact SubjectPublicKeyInfo DER it was read from: key hints, log ids and
/// transparency-log bodies are computed over those bytes, and two keys are equal when those
/// bytes are.
///
/// ```
/// use boltseal_keys::{KeyAlgorithm, PublicKey};
///
/// let pem = "-----BEGIN PUBLIC KEY-----\n\
///     MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\n\
///     fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n\
///     -----END PUBLIC KEY-----\n";
/// let key = PublicKey::from_pem(pem.as_bytes())?;
/// assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
/// assert_eq!(key.hint(), "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=");
/// assert_eq!(PublicKey::from_pem(key.to_pem().as_bytes())?, key);
/// # Ok::<(), boltseal_keys::KeyError>(())
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

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.spki.hash(state);
    }
}

fn invalid(reason: impl fmt::Display) -> KeyError {
    KeyError::InvalidKey {
        what: "public",
        reason: reason.to_string(),
    }
}

/// `message` hashed with `algorithm`: the digest a signature over a prehash covers (an RFC 3161
/// imprint, an SCT's or a certificate's signed data). Empty for an algorithm this crate does not
/// know (none today), which no signature verifies over.
///
/// ```
/// use boltseal_keys::{HashAlgorithm, hash};
/// assert_eq!(hash(HashAlgorithm::Sha384, b"").len(), 48);
/// ```
#[must_use]
pub fn hash(algorithm: Algorithm, message: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Sha256 => sha2::Sha256::digest(message).to_vec(),
        Algorithm::Sha384 => sha2::Sha384::digest(message).to_vec(),
        Algorithm::Sha512 => sha2::Sha512::digest(message).to_vec(),
        _ => Vec::new(),
    }
}

/// The hash whose output is `len` bytes long.
fn hash_of_len(len: usize) -> Option<Algorithm> {
    match len {
        32 => Some(Algorithm::Sha256),
        48 => Some(Algorithm::Sha384),
        64 => Some(Algorithm::Sha512),
        _ => None,
    }
}

/// Names the key type of an algorithm identifier for error messages.
pub(crate) fn key_type_name(oid: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    match (oid, curve) {
        (EC_PUBLIC_KEY, Some(SECP256R1)) => KeyAlgorithm::EcdsaP256.to_string(),
        (EC_PUBLIC_KEY, Some(SECP384R1)) => KeyAlgorithm::EcdsaP384.to_string(),
        (EC_PUBLIC_KEY, Some(SECP521R1)) => KeyAlgorithm::EcdsaP521.to_string(),
        (EC_PUBLIC_KEY, Some(c)) => format!("ECDSA on curve {c}"),
        (EC_PUBLIC_KEY, None) => "ECDSA without a named curve".to_owned(),
        (RSA, _) => KeyAlgorithm::Rsa.to_string(),
        (RSA_PSS, _) => KeyAlgorithm::RsaPss.to_string(),
        (ED25519, _) => KeyAlgorithm::Ed25519.to_string(),
        (other, _) => format!("with algorithm {other}"),
    }
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] for malformed DER or a point not on its curve;
    /// [`KeyError::UnsupportedKeyType`] for other algorithms (other curves, DSA, …).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(invalid)?;
        let key_bytes = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| invalid("public key bit string has unused bits"))?;
        let oid = info.algorithm.oid;
        let inner = if oid == EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .ok_or_else(|| invalid("EC key without curve parameters"))?
                .decode_as()
                .map_err(invalid)?;
            match EcKey::from_sec1(curve, key_bytes) {
                Some(key) => Inner::Ec(key.map_err(invalid)?),
                None => {
                    return Err(KeyError::UnsupportedKeyType {
                        key_type: key_type_name(oid, Some(curve)),
                    });
                }
            }
        } else if oid == ED25519 {
            if info.algorithm.parameters.is_some() {
                return Err(invalid("Ed25519 key with parameters"));
            }
            let bytes: &[u8; 32] = key_bytes
                .try_into()
                .map_err(|_| invalid("Ed25519 key is not 32 bytes"))?;
            Inner::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(invalid)?)
        } else if oid == RSA || oid == RSA_PSS {
            let scheme = if oid == RSA {
                RsaScheme::Pkcs1v15
            } else {
                let hash = crate::rsa::pss_key_hash(info.algorithm.parameters).map_err(invalid)?;
                RsaScheme::Pss { hash }
            };
            let key = RsaKey::from_pkcs1(key_bytes)
                .ok_or_else(|| invalid("not an RSA public key of 2048 to 8192 bits"))?;
            Inner::Rsa(key, scheme)
        } else {
            return Err(KeyError::UnsupportedKeyType {
                key_type: key_type_name(oid, None),
            });
        };
        // Keep the exact DER: key hints, log ids and tlog bodies are computed over it.
        let spki = info.to_der().map_err(invalid)?;
        Ok(PublicKey { inner, spki })
    }

    /// Reads a PKCS #1 `RSAPublicKey` (how trusted roots give `PKCS1_RSA_*` keys and what an
    /// `RSA PUBLIC KEY` PEM holds) and wraps it in a SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] unless it is an RSA public key of 2048 to 8192 bits.
    pub fn from_pkcs1_rsa_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = RsaKey::from_pkcs1(der)
            .ok_or_else(|| invalid("not an RSA public key of 2048 to 8192 bits"))?;
        Ok(PublicKey {
            inner: Inner::Rsa(key, RsaScheme::Pkcs1v15),
            spki: rsa_spki(der)?,
        })
    }

    /// Reads the first PEM block of `input`: `PUBLIC KEY` (SubjectPublicKeyInfo, any supported
    /// algorithm) or `RSA PUBLIC KEY` (PKCS #1). To read any file cosign's `--key` takes,
    /// private and encrypted keys included, use [`PublicKey::from_key_pem`].
    ///
    /// # Errors
    /// [`KeyError::NotPem`], [`KeyError::UnsupportedPemLabel`], else as
    /// [`PublicKey::from_spki_der`].
    pub fn from_pem(input: &[u8]) -> Result<Self, KeyError> {
        let block = crate::keys::first_pem(input)?;
        match block.tag() {
            PUBLIC_KEY_LABEL => Self::from_spki_der(block.contents()),
            RSA_PUBLIC_KEY_LABEL => Self::from_pkcs1_rsa_der(block.contents()),
            other => Err(KeyError::UnsupportedPemLabel {
                label: other.to_owned(),
            }),
        }
    }

    pub(crate) fn from_ec(key: EcKey) -> Self {
        PublicKey {
            spki: key.spki_der(),
            inner: Inner::Ec(key),
        }
    }

    pub(crate) fn from_p256(key: p256::ecdsa::VerifyingKey) -> Self {
        Self::from_ec(EcKey::P256(key))
    }

    /// The public half of a PKCS #1 `RSAPrivateKey`.
    pub(crate) fn from_rsa_private_der(der: &[u8]) -> Result<Self, KeyError> {
        let (key, public) =
            RsaKey::from_pkcs1_private(der).ok_or_else(|| KeyError::InvalidKey {
                what: "private",
                reason: "not an RSA private key of 2048 to 8192 bits".to_owned(),
            })?;
        Ok(PublicKey {
            inner: Inner::Rsa(key, RsaScheme::Pkcs1v15),
            spki: rsa_spki(&public)?,
        })
    }

    pub(crate) fn from_ed25519(key: ed25519_dalek::VerifyingKey) -> Self {
        // AlgorithmIdentifier { id-Ed25519 } (no parameters) and the key as a BIT STRING.
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(key.as_bytes());
        PublicKey {
            inner: Inner::Ed25519(key),
            spki,
        }
    }

    /// The key's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            Inner::Ec(EcKey::P256(_)) => KeyAlgorithm::EcdsaP256,
            Inner::Ec(EcKey::P384(_)) => KeyAlgorithm::EcdsaP384,
            Inner::Ec(EcKey::P521(_)) => KeyAlgorithm::EcdsaP521,
            Inner::Ed25519(_) => KeyAlgorithm::Ed25519,
            Inner::Rsa(_, RsaScheme::Pkcs1v15) => KeyAlgorithm::Rsa,
            Inner::Rsa(_, RsaScheme::Pss { .. }) => KeyAlgorithm::RsaPss,
        }
    }

    /// The same RSA key verifying RSASSA-PSS signatures (MGF1 over the signature's hash, any
    /// salt length) instead of PKCS #1 v1.5: what sigstore-go does for a trusted root's
    /// `PKIX_RSA_PSS_*` keys. Its SubjectPublicKeyInfo, hint and key id do not change. Other
    /// keys (and `id-RSASSA-PSS` keys, PSS already) are returned as they are.
    ///
    /// ```
    /// use boltseal_keys::{KeyAlgorithm, PublicKey};
    ///
    /// // PKCS #1 RSAPublicKey { n: 2^2048 - 1, e: 65537 } (any odd 2048-bit modulus reads).
    /// let n = [[0x02, 0x82, 0x01, 0x01, 0x00].as_slice(), &[0xff; 256]].concat();
    /// let der = [[0x30, 0x82, 0x01, 0x0a].as_slice(), &n, &[0x02, 0x03, 0x01, 0x00, 0x01]].concat();
    /// let key = PublicKey::from_pkcs1_rsa_der(&der)?;
    /// assert_eq!(key.algorithm(), KeyAlgorithm::Rsa);
    /// let pss = key.clone().with_rsa_pss();
    /// assert_eq!((pss.algorithm(), pss.hint()), (KeyAlgorithm::RsaPss, key.hint()));
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    #[must_use]
    pub fn with_rsa_pss(mut self) -> Self {
        if let Inner::Rsa(_, scheme @ RsaScheme::Pkcs1v15) = &mut self.inner {
            *scheme = RsaScheme::Pss { hash: None };
        }
        self
    }

    /// The modulus length of an RSA key, in bits.
    #[must_use]
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.inner {
            Inner::Rsa(key, _) => Some(key.bits()),
            _ => None,
        }
    }

    /// The DER SubjectPublicKeyInfo, exactly as read.
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The DER SubjectPublicKeyInfo (an owned copy of [`PublicKey::spki_der`]).
    #[must_use]
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// The `PUBLIC KEY` PEM, as cosign writes it (LF line endings, 64-character lines).
    #[must_use]
    pub fn to_pem(&self) -> String {
        crate::pem::encode(PUBLIC_KEY_LABEL, &self.spki)
    }

    /// The key's fingerprint: SHA-256 of the DER SubjectPublicKeyInfo. It is the log id of
    /// Rekor v1 and CT logs, and (in base64) the Sigstore key hint; in hex,
    /// `boltseal_core::hex::encode(key.key_id())`.
    #[must_use]
    pub fn key_id(&self) -> [u8; 32] {
        sha2::Sha256::digest(&self.spki).into()
    }

    /// The Sigstore key hint: standard base64 of [`PublicKey::key_id`].
    #[must_use]
    pub fn hint(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key_id())
    }

    /// The raw 32 key bytes of an Ed25519 key (signed-note key ids are computed over them).
    #[must_use]
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match &self.inner {
            Inner::Ed25519(key) => Some(key.to_bytes()),
            _ => None,
        }
    }

    /// Verifies `signature` over `message` the way cosign signs with this key type, with
    /// [`Backend::DEFAULT`] for ECDSA: ECDSA (ASN.1 DER signature) over SHA-256 for P-256,
    /// SHA-384 for P-384 and SHA-512 for P-521, Ed25519 over the message itself, RSA PKCS #1
    /// v1.5 over SHA-256, RSA-PSS over SHA-256 (or the hash an `id-RSASSA-PSS` key's
    /// parameters name).
    ///
    /// ```
    /// use boltseal_keys::PrivateKey;
    ///
    /// let key = PrivateKey::generate()?;
    /// let signature = key.sign_der(b"payload");
    /// assert!(key.public_key().verify(b"payload", &signature).is_ok());
    /// assert!(key.public_key().verify(b"other", &signature).is_err());
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed or does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        self.verify_with(Backend::DEFAULT, message, signature)
    }

    /// [`PublicKey::verify`] with a chosen ECDSA backend (Ed25519 and RSA keys ignore it).
    /// Every backend gives the same answer for the same input.
    ///
    /// ```
    /// use boltseal_keys::{Backend, PrivateKey};
    ///
    /// let key = PrivateKey::generate()?;
    /// let signature = key.sign_der(b"payload");
    /// for backend in Backend::available() {
    ///     assert!(key.public_key().verify_with(*backend, b"payload", &signature).is_ok());
    ///     assert!(key.public_key().verify_with(*backend, b"other", &signature).is_err());
    /// }
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed or does not verify.
    pub fn verify_with(
        &self,
        backend: Backend,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        match &self.inner {
            Inner::Ed25519(key) => {
                let sig =
                    ed25519_dalek::Signature::from_slice(signature).map_err(|_| VerifyError)?;
                key.verify(message, &sig).map_err(|_| VerifyError)
            }
            Inner::Rsa(_, RsaScheme::Pss { hash: Some(h) }) => {
                self.verify_prehash_with(backend, &hash(*h, message), signature)
            }
            _ => {
                let h = self.algorithm().default_hash().ok_or(VerifyError)?;
                self.verify_prehash_with(backend, &hash(h, message), signature)
            }
        }
    }

    /// [`PublicKey::verify`] under its former name (ASN.1 DER ECDSA signatures).
    ///
    /// # Errors
    /// As [`PublicKey::verify`].
    pub fn verify_der(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        self.verify(message, signature)
    }

    /// [`PublicKey::verify_with`] under its former name.
    ///
    /// # Errors
    /// As [`PublicKey::verify_with`].
    pub fn verify_der_with(
        &self,
        backend: Backend,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        self.verify_with(backend, message, signature)
    }

    /// Verifies `signature` over `message` hashed with `hash` (what a certificate's or an SCT's
    /// signature algorithm names): ECDSA (DER) or RSA (the key's PKCS #1 v1.5 or PSS).
    /// Ed25519 keys refuse.
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed, does not verify, or the key is Ed25519.
    pub fn verify_hashed(
        &self,
        hash_algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        if matches!(self.inner, Inner::Ed25519(_)) {
            return Err(VerifyError);
        }
        self.verify_prehash(&hash(hash_algorithm, message), signature)
    }

    /// Verifies an ECDSA (DER) or RSA (PKCS #1 v1.5 or PSS) signature over a precomputed digest
    /// (SHA-256, -384 or -512, told by its length) with [`Backend::DEFAULT`]. Ed25519 keys
    /// refuse (they sign messages, not digests).
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed, does not verify, the digest length is
    /// not one of those, or the key is Ed25519.
    pub fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        self.verify_prehash_with(Backend::DEFAULT, digest, signature)
    }

    /// [`PublicKey::verify_prehash`] with a chosen ECDSA backend.
    ///
    /// # Errors
    /// As [`PublicKey::verify_prehash`].
    pub fn verify_prehash_with(
        &self,
        backend: Backend,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let h = hash_of_len(digest.len()).ok_or(VerifyError)?;
        let ok = match &self.inner {
            Inner::Ed25519(_) => false,
            Inner::Rsa(key, RsaScheme::Pkcs1v15) => key.verify_pkcs1v15(h, digest, signature),
            Inner::Rsa(key, RsaScheme::Pss { hash }) => {
                hash.is_none_or(|bound| bound == h) && key.verify_pss(h, digest, signature)
            }
            Inner::Ec(key) => key.verify_prehash(backend, h, digest, signature),
        };
        if ok { Ok(()) } else { Err(VerifyError) }
    }
}

/// A SubjectPublicKeyInfo for a PKCS #1 `RSAPublicKey`: `AlgorithmIdentifier { rsaEncryption,
/// NULL }` and the key as a BIT STRING.
fn rsa_spki(pkcs1: &[u8]) -> Result<Vec<u8>, KeyError> {
    let algorithm = spki::AlgorithmIdentifierRef {
        oid: RSA,
        parameters: Some(der::asn1::AnyRef::NULL),
    };
    let info = spki::SubjectPublicKeyInfoRef {
        algorithm,
        subject_public_key: der::asn1::BitStringRef::from_bytes(pkcs1).map_err(invalid)?,
    };
    info.to_der().map_err(invalid)
}

impl TryFrom<&[u8]> for PublicKey {
    type Error = KeyError;

    /// [`PublicKey::from_spki_der`].
    fn try_from(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_spki_der(der)
    }
}
