//! ECDSA P-256 private keys in the PEM forms cosign reads and writes (a [`Signer`]), and
//! reading a verification key from any key file cosign's `--key` takes.

use std::fmt;

use der::Decode as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use zeroize::Zeroizing;

use crate::ec::EcKey;
use crate::encrypted::{self, ScryptCost};
use crate::error::{KeyError, SignError};
use crate::public::{
    EC_PUBLIC_KEY, ED25519, PUBLIC_KEY_LABEL, PublicKey, RSA, RSA_PUBLIC_KEY_LABEL, SECP256R1,
    SECP384R1, SECP521R1, key_type_name,
};
use crate::signer::Signer;

/// PEM label of cosign's encrypted private keys (cosign ≥ 2.0).
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label of cosign's encrypted private keys before 2.0; the only one skopeo ≤ 1.11 reads.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// PEM label of unencrypted PKCS #8 private keys.
pub const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";
/// PEM label of unencrypted SEC1 EC private keys.
pub const EC_PRIVATE_KEY_LABEL: &str = "EC PRIVATE KEY";
/// PEM label of unencrypted PKCS #1 RSA private keys.
pub const RSA_PRIVATE_KEY_LABEL: &str = "RSA PRIVATE KEY";

/// Key files are small; anything larger is refused before parsing.
pub const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// How to write an encrypted private key.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFormat {
    /// Write the legacy `ENCRYPTED COSIGN PRIVATE KEY` label instead of the current one.
    pub legacy_label: bool,
    /// The scrypt cost.
    pub cost: ScryptCost,
}

impl Default for KeyFormat {
    /// What current cosign writes: `ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N = 2^16.
    fn default() -> Self {
        KeyFormat {
            legacy_label: false,
            cost: ScryptCost::Standard,
        }
    }
}

impl KeyFormat {
    /// The format every verifier in the wild reads, including skopeo and podman ≤ 1.11:
    /// `ENCRYPTED COSIGN PRIVATE KEY` with scrypt N = 2^15.
    #[must_use]
    pub fn legacy() -> Self {
        KeyFormat {
            legacy_label: true,
            cost: ScryptCost::Legacy,
        }
    }

    /// Chooses the legacy `ENCRYPTED COSIGN PRIVATE KEY` label (or not).
    #[must_use]
    pub fn with_legacy_label(mut self, legacy_label: bool) -> Self {
        self.legacy_label = legacy_label;
        self
    }

    /// The current format with another scrypt cost.
    #[must_use]
    pub fn with_cost(mut self, cost: ScryptCost) -> Self {
        self.cost = cost;
        self
    }
}

/// How a private key was stored, as found when reading it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredAs {
    /// cosign's encrypted format, with the label and cost found.
    Encrypted(KeyFormat),
    /// Unencrypted PKCS#8 (`PRIVATE KEY`).
    Pkcs8,
    /// Unencrypted SEC1 (`EC PRIVATE KEY`).
    Sec1,
}

/// An ECDSA P-256 private key. Its secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public_key_hint", &self.public_key().hint())
            .finish_non_exhaustive()
    }
}

/// The first PEM block of a key file (at most [`MAX_KEY_FILE_BYTES`], one block counted).
pub(crate) fn first_pem(input: &[u8]) -> Result<crate::pem::Pem, KeyError> {
    crate::pem::parse_first_with(input, crate::pem::Limits::new(MAX_KEY_FILE_BYTES, 16)).map_err(
        |e| KeyError::NotPem {
            reason: e.to_string(),
        },
    )
}

/// The key type a PKCS #8 `PrivateKeyInfo` holds, for error messages.
fn describe_pkcs8(der: &[u8]) -> Option<String> {
    let info = p256::pkcs8::PrivateKeyInfoRef::try_from(der).ok()?;
    Some(key_type_name(
        info.algorithm.oid,
        info.algorithm.parameters_oid().ok(),
    ))
}

impl PrivateKey {
    /// Generates a new key from the operating system's random source.
    ///
    /// # Errors
    /// [`KeyError::Random`] when the random source fails.
    pub fn generate() -> Result<Self, KeyError> {
        loop {
            let bytes = Zeroizing::new(encrypted::random_bytes::<32>()?);
            // Rejection sampling: the probability of a retry is about 2^-32.
            if let Ok(key) = SigningKey::from_slice(bytes.as_slice()) {
                return Ok(PrivateKey { key });
            }
        }
    }

    /// Reads a private key from PEM: cosign's encrypted format (both labels, scrypt N = 2^15,
    /// 2^16, 2^17) with `password`, or unencrypted PKCS#8 / SEC1 (the password is then unused).
    ///
    /// ```
    /// use boltseal_keys::{KeyFormat, PrivateKey};
    ///
    /// let key = PrivateKey::generate()?;
    /// let pem = key.to_encrypted_pem(b"pw", KeyFormat::legacy())?;
    /// let back = PrivateKey::from_pem(pem.as_bytes(), b"pw")?;
    /// assert_eq!(back.public_key(), key.public_key());
    /// assert_eq!(PrivateKey::from_pem(pem.as_bytes(), b"nope").unwrap_err().to_string(), "wrong password");
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::WrongPassword`], or an error naming what is corrupt or unsupported.
    pub fn from_pem(input: &[u8], password: &[u8]) -> Result<Self, KeyError> {
        Self::from_pem_with_format(input, password).map(|(k, _)| k)
    }

    /// Like [`PrivateKey::from_pem`], also telling how the key was stored.
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`].
    pub fn from_pem_with_format(
        input: &[u8],
        password: &[u8],
    ) -> Result<(Self, StoredAs), KeyError> {
        let block = first_pem(input)?;
        match block.tag() {
            label @ (SIGSTORE_PRIVATE_KEY_LABEL | COSIGN_PRIVATE_KEY_LABEL) => {
                let (der, cost) = encrypted::decrypt(block.contents(), password)?;
                let key = Self::from_pkcs8_der(&der)?;
                let format = KeyFormat {
                    legacy_label: label == COSIGN_PRIVATE_KEY_LABEL,
                    cost,
                };
                Ok((key, StoredAs::Encrypted(format)))
            }
            PRIVATE_KEY_LABEL => Ok((Self::from_pkcs8_der(block.contents())?, StoredAs::Pkcs8)),
            EC_PRIVATE_KEY_LABEL => {
                let secret = p256::SecretKey::from_sec1_der(block.contents()).map_err(|e| {
                    KeyError::InvalidKey {
                        what: "private",
                        reason: format!("SEC1: {e} (only P-256 keys are supported)"),
                    }
                })?;
                Ok((
                    PrivateKey {
                        key: SigningKey::from(secret),
                    },
                    StoredAs::Sec1,
                ))
            }
            other => Err(KeyError::UnsupportedPemLabel {
                label: other.to_owned(),
            }),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        match p256::SecretKey::from_pkcs8_der(der) {
            Ok(secret) => Ok(PrivateKey {
                key: SigningKey::from(secret),
            }),
            Err(e) => match describe_pkcs8(der) {
                Some(kind) if kind != crate::KeyAlgorithm::EcdsaP256.to_string() => {
                    Err(KeyError::UnsupportedKeyType { key_type: kind })
                }
                _ => Err(KeyError::InvalidKey {
                    what: "private",
                    reason: format!("PKCS#8: {e}"),
                }),
            },
        }
    }

    /// Writes the key in cosign's encrypted PEM format.
    ///
    /// # Errors
    /// [`KeyError::Random`] when no salt or nonce can be drawn.
    pub fn to_encrypted_pem(&self, password: &[u8], format: KeyFormat) -> Result<String, KeyError> {
        let der = self.pkcs8_der()?;
        let envelope = encrypted::encrypt(&der, password, format.cost)?;
        let label = if format.legacy_label {
            COSIGN_PRIVATE_KEY_LABEL
        } else {
            SIGSTORE_PRIVATE_KEY_LABEL
        };
        // LF line endings and 64-character lines, as Go's encoding/pem writes them.
        Ok(crate::pem::encode(label, &envelope))
    }

    fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = self.key.to_pkcs8_der().map_err(|e| KeyError::InvalidKey {
            what: "private",
            reason: e.to_string(),
        })?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_p256(*self.key.verifying_key())
    }

    /// Signs `message` with ECDSA P-256 over SHA-256 (RFC 6979 nonces), returning the ASN.1
    /// DER signature cosign and containers/image expect.
    #[must_use]
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(message);
        sig.to_der().as_bytes().to_vec()
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.sign_der(message))
    }
}

impl PublicKey {
    /// Reads a verification key from any key file cosign's `--key` takes: `PUBLIC KEY`
    /// (ECDSA P-256/P-384, Ed25519, RSA), `RSA PUBLIC KEY`, unencrypted `PRIVATE KEY`
    /// (PKCS #8), `EC PRIVATE KEY` (SEC1, P-256/P-384) and `RSA PRIVATE KEY` (PKCS #1), and
    /// cosign's encrypted keys (both labels; any of those key types inside). `password` is
    /// asked for only when the key is encrypted.
    ///
    /// ```
    /// use boltseal_keys::{KeyFormat, PrivateKey, PublicKey};
    ///
    /// let key = PrivateKey::generate()?;
    /// let encrypted = key.to_encrypted_pem(b"pw", KeyFormat::default())?;
    /// let public = PublicKey::from_key_pem(encrypted.as_bytes(), || Ok(b"pw".to_vec().into()))?;
    /// assert_eq!(public, key.public_key());
    /// let pem = key.public_key().to_pem();
    /// let never = || -> Result<_, _> { unreachable!("a public key needs no password") };
    /// assert_eq!(PublicKey::from_key_pem(pem.as_bytes(), never)?, public);
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::WrongPassword`], [`KeyError::UnsupportedKeyType`],
    /// [`KeyError::UnsupportedPemLabel`], or an error naming what is malformed; the password
    /// callback's error.
    pub fn from_key_pem(
        input: &[u8],
        password: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
    ) -> Result<Self, KeyError> {
        let block = first_pem(input)?;
        let contents = block.contents();
        match block.tag() {
            PUBLIC_KEY_LABEL => Self::from_spki_der(contents),
            RSA_PUBLIC_KEY_LABEL => Self::from_pkcs1_rsa_der(contents),
            SIGSTORE_PRIVATE_KEY_LABEL | COSIGN_PRIVATE_KEY_LABEL => {
                let (der, _) = encrypted::decrypt(contents, &password()?)?;
                public_of_pkcs8(&der)
            }
            PRIVATE_KEY_LABEL => public_of_pkcs8(contents),
            EC_PRIVATE_KEY_LABEL => public_of_sec1(contents),
            RSA_PRIVATE_KEY_LABEL => Self::from_rsa_private_der(contents),
            other => Err(KeyError::UnsupportedPemLabel {
                label: other.to_owned(),
            }),
        }
    }
}

fn invalid_private(reason: impl fmt::Display) -> KeyError {
    KeyError::InvalidKey {
        what: "private",
        reason: reason.to_string(),
    }
}

/// The public half of a PKCS #8 private key of any supported type.
fn public_of_pkcs8(der: &[u8]) -> Result<PublicKey, KeyError> {
    let info = p256::pkcs8::PrivateKeyInfoRef::try_from(der)
        .map_err(|e| invalid_private(format!("PKCS#8: {e}")))?;
    let oid = info.algorithm.oid;
    let curve = info.algorithm.parameters_oid().ok();
    match (oid, curve) {
        (EC_PUBLIC_KEY, Some(SECP256R1)) => {
            let secret = p256::SecretKey::from_pkcs8_der(der).map_err(invalid_private)?;
            Ok(PublicKey::from_p256(
                *SigningKey::from(secret).verifying_key(),
            ))
        }
        (EC_PUBLIC_KEY, Some(SECP384R1)) => {
            let secret = p384::SecretKey::from_pkcs8_der(der).map_err(invalid_private)?;
            Ok(PublicKey::from_ec(EcKey::P384(secret.public_key().into())))
        }
        (EC_PUBLIC_KEY, Some(SECP521R1)) => {
            let secret = p521::SecretKey::from_pkcs8_der(der).map_err(invalid_private)?;
            Ok(PublicKey::from_ec(EcKey::P521(secret.public_key().into())))
        }
        (ED25519, _) => {
            // RFC 8410: the private key is an OCTET STRING holding the 32-byte seed.
            let seed = <&der::asn1::OctetStringRef>::from_der(info.private_key.as_bytes())
                .map_err(invalid_private)?;
            let seed: &[u8; 32] = seed
                .as_bytes()
                .try_into()
                .map_err(|_| invalid_private("Ed25519 seed is not 32 bytes"))?;
            let secret = Zeroizing::new(*seed);
            Ok(PublicKey::from_ed25519(
                ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key(),
            ))
        }
        (RSA, _) => PublicKey::from_rsa_private_der(info.private_key.as_bytes()),
        _ => Err(KeyError::UnsupportedKeyType {
            key_type: key_type_name(oid, curve),
        }),
    }
}

/// The public half of a SEC1 `ECPrivateKey` on P-256, P-384 or P-521.
fn public_of_sec1(der: &[u8]) -> Result<PublicKey, KeyError> {
    if let Ok(secret) = p256::SecretKey::from_sec1_der(der) {
        return Ok(PublicKey::from_ec(EcKey::P256(secret.public_key().into())));
    }
    if let Ok(secret) = p384::SecretKey::from_sec1_der(der) {
        return Ok(PublicKey::from_ec(EcKey::P384(secret.public_key().into())));
    }
    let secret = p521::SecretKey::from_sec1_der(der).map_err(|e| {
        invalid_private(format!("SEC1: {e} (P-256, P-384 and P-521 keys are read)"))
    })?;
    Ok(PublicKey::from_ec(EcKey::P521(secret.public_key().into())))
}
