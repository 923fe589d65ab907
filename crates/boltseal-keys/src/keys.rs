//! ECDSA P-256 private and public keys in the PEM forms cosign reads and writes.

use std::fmt;

use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::encrypted::{self, ScryptCost};
use crate::error::{KeyError, SignError, VerifyError};

/// PEM label of cosign's encrypted private keys (cosign ≥ 2.0).
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label of cosign's encrypted private keys before 2.0; the only one skopeo ≤ 1.11 reads.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// PEM label of public keys (SubjectPublicKeyInfo DER).
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

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

fn first_pem(input: &[u8]) -> Result<pem::Pem, KeyError> {
    if input.len() > MAX_KEY_FILE_BYTES {
        return Err(KeyError::NotPem {
            reason: format!("larger than {MAX_KEY_FILE_BYTES} bytes"),
        });
    }
    pem::parse(input).map_err(|e| KeyError::NotPem {
        reason: e.to_string(),
    })
}

const P256: &str = "ECDSA P-256";

/// Names the key type of a PKCS#8 `PrivateKeyInfo` or SPKI algorithm for error messages.
fn key_type_name(oid: &str, params: Option<&str>) -> String {
    match (oid, params) {
        ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => P256.to_owned(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => "ECDSA P-384".to_owned(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => "ECDSA P-521".to_owned(),
        ("1.2.840.10045.2.1", Some(curve)) => format!("ECDSA on curve {curve}"),
        ("1.2.840.113549.1.1.1", _) => "RSA".to_owned(),
        ("1.3.101.112", _) => "Ed25519".to_owned(),
        (other, _) => format!("with algorithm {other}"),
    }
}

fn describe_pkcs8(der: &[u8]) -> Option<String> {
    use p256::pkcs8::PrivateKeyInfoRef;
    let info = PrivateKeyInfoRef::try_from(der).ok()?;
    let params = info.algorithm.parameters_oid().ok().map(|o| o.to_string());
    Some(key_type_name(
        &info.algorithm.oid.to_string(),
        params.as_deref(),
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
            "PRIVATE KEY" => Ok((Self::from_pkcs8_der(block.contents())?, StoredAs::Pkcs8)),
            "EC PRIVATE KEY" => {
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
                Some(kind) if kind != P256 => Err(KeyError::UnsupportedKeyType { key_type: kind }),
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
        let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
        Ok(pem::encode_config(&pem::Pem::new(label, envelope), config))
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
        PublicKey {
            key: *self.key.verifying_key(),
        }
    }

    /// Signs `message` with ECDSA P-256 over SHA-256 (RFC 6979 nonces), returning the ASN.1
    /// DER signature cosign and containers/image expect.
    #[must_use]
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(message);
        sig.to_der().as_bytes().to_vec()
    }
}

/// An ECDSA P-256 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.hint()).finish()
    }
}

impl PublicKey {
    /// Reads a `PUBLIC KEY` PEM (SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// [`KeyError::UnsupportedKeyType`] for other key types, or a parse error.
    pub fn from_pem(input: &[u8]) -> Result<Self, KeyError> {
        let block = first_pem(input)?;
        if block.tag() != PUBLIC_KEY_LABEL {
            return Err(KeyError::UnsupportedPemLabel {
                label: block.tag().to_owned(),
            });
        }
        Self::from_spki_der(block.contents())
    }

    /// Reads a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::UnsupportedKeyType`] for other key types, or a parse error.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        match VerifyingKey::from_public_key_der(der) {
            Ok(key) => Ok(PublicKey { key }),
            Err(e) => {
                use p256::pkcs8::spki::SubjectPublicKeyInfoRef;
                match SubjectPublicKeyInfoRef::try_from(der) {
                    Ok(info) => {
                        let params = info.algorithm.parameters_oid().ok().map(|o| o.to_string());
                        let kind =
                            key_type_name(&info.algorithm.oid.to_string(), params.as_deref());
                        if kind == P256 {
                            Err(KeyError::InvalidKey {
                                what: "public",
                                reason: e.to_string(),
                            })
                        } else {
                            Err(KeyError::UnsupportedKeyType { key_type: kind })
                        }
                    }
                    Err(_) => Err(KeyError::InvalidKey {
                        what: "public",
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }

    /// The DER SubjectPublicKeyInfo.
    #[must_use]
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.key
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The `PUBLIC KEY` PEM, as cosign writes it.
    #[must_use]
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The key hint of Sigstore bundles: standard base64 of SHA-256 over the SPKI DER.
    #[must_use]
    pub fn hint(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(self.to_spki_der()))
    }

    /// Verifies an ASN.1 DER ECDSA signature over SHA-256 of `message` with
    /// [`Backend::DEFAULT`].
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed or does not verify.
    pub fn verify_der(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        self.verify_der_with(Backend::DEFAULT, message, signature)
    }

    /// Verifies an ASN.1 DER ECDSA signature over SHA-256 of `message` with a chosen backend.
    /// Every backend gives the same answer for the same input: strict DER (no trailing bytes,
    /// minimal integers), `r` and `s` in `1..n`, high `s` accepted.
    ///
    /// ```
    /// use boltseal_keys::{Backend, PrivateKey};
    ///
    /// let key = PrivateKey::generate()?;
    /// let signature = key.sign_der(b"payload");
    /// for backend in Backend::available() {
    ///     assert!(key.public_key().verify_der_with(*backend, b"payload", &signature).is_ok());
    ///     assert!(key.public_key().verify_der_with(*backend, b"other", &signature).is_err());
    /// }
    /// # Ok::<(), boltseal_keys::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifyError`] when the signature is malformed or does not verify.
    pub fn verify_der_with(
        &self,
        backend: Backend,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        match backend {
            Backend::RustCrypto => {
                let der = DerSignature::try_from(signature).map_err(|_| VerifyError)?;
                let sig = Signature::try_from(der).map_err(|_| VerifyError)?;
                self.key.verify(message, &sig).map_err(|_| VerifyError)
            }
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
                let point = self.key.to_sec1_point(false);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point.as_bytes())
                    .verify(message, signature)
                    .map_err(|_| VerifyError)
            }
        }
    }
}

/// The implementation that verifies ECDSA signatures.
///
/// [`Backend::RustCrypto`] (pure Rust, `p256`) is always there; the `aws-lc` feature adds
/// [`Backend::AwsLc`] (AWS-LC through `aws-lc-rs`, the library rustls already uses in this
/// workspace), about five times faster, and makes it the default.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// RustCrypto's `p256` crate.
    RustCrypto,
    /// AWS-LC through `aws-lc-rs` (feature `aws-lc`).
    #[cfg(feature = "aws-lc")]
    AwsLc,
}

impl Backend {
    /// What [`PublicKey::verify_der`] uses: [`Backend::AwsLc`] with the `aws-lc` feature, else
    /// [`Backend::RustCrypto`].
    #[cfg(feature = "aws-lc")]
    pub const DEFAULT: Backend = Backend::AwsLc;
    /// What [`PublicKey::verify_der`] uses: [`Backend::AwsLc`] with the `aws-lc` feature, else
    /// [`Backend::RustCrypto`].
    #[cfg(not(feature = "aws-lc"))]
    pub const DEFAULT: Backend = Backend::RustCrypto;

    /// Every backend compiled in.
    #[must_use]
    pub fn available() -> &'static [Backend] {
        #[cfg(feature = "aws-lc")]
        {
            &[Backend::RustCrypto, Backend::AwsLc]
        }
        #[cfg(not(feature = "aws-lc"))]
        {
            &[Backend::RustCrypto]
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::DEFAULT
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::RustCrypto => "p256",
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc",
        })
    }
}

/// A source of signatures: the private key file today; KMS, PKCS#11 or remote signers can
/// implement this in their own crates.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` (ECDSA P-256, SHA-256), returning an ASN.1 DER signature.
    ///
    /// # Errors
    /// [`SignError`] when the backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl Signer for PrivateKey {
    fn public_key(&self) -> PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.sign_der(message))
    }
}
