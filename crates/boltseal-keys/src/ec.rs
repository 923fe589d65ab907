//! ECDSA public keys on NIST P-256, P-384 and P-521, and the [`Backend`]s that verify their
//! signatures.

use std::fmt;

use boltseal_reference::Algorithm;
use der::oid::ObjectIdentifier;
use ecdsa::signature::hazmat::PrehashVerifier as _;

use crate::public::{SECP256R1, SECP384R1, SECP521R1};

/// The implementation that verifies ECDSA signatures (Ed25519 and RSA have one each).
///
/// [`Backend::RustCrypto`] (pure Rust, `p256` / `p384` / `p521`) is always there; the `aws-lc`
/// feature adds [`Backend::AwsLc`] (AWS-LC through `aws-lc-rs`, the library rustls already
/// uses in this workspace), about five times faster, and makes it the default. Both answer
/// alike: strict DER, `r` and `s` in `1..n`, high `s` accepted.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// RustCrypto's `p256`, `p384` and `p521` crates.
    RustCrypto,
    /// AWS-LC through `aws-lc-rs` (feature `aws-lc`).
    #[cfg(feature = "aws-lc")]
    AwsLc,
}

impl Backend {
    /// What [`crate::PublicKey::verify`] uses: [`Backend::AwsLc`] with the `aws-lc` feature,
    /// else [`Backend::RustCrypto`].
    #[cfg(feature = "aws-lc")]
    pub const DEFAULT: Backend = Backend::AwsLc;
    /// What [`crate::PublicKey::verify`] uses: [`Backend::AwsLc`] with the `aws-lc` feature,
    /// else [`Backend::RustCrypto`].
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

/// An ECDSA verifying key on one of the three NIST curves cosign uses.
#[derive(Clone)]
pub(crate) enum EcKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl EcKey {
    /// Reads an uncompressed or compressed SEC1 point on `curve`; `None` for another curve,
    /// `Some(Err)` for a point that is not on it.
    pub(crate) fn from_sec1(
        curve: ObjectIdentifier,
        point: &[u8],
    ) -> Option<Result<EcKey, ecdsa::Error>> {
        Some(match curve {
            SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map(EcKey::P256),
            SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map(EcKey::P384),
            SECP521R1 => p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map(EcKey::P521),
            _ => return None,
        })
    }

    /// The DER SubjectPublicKeyInfo of the key (uncompressed point).
    pub(crate) fn spki_der(&self) -> Vec<u8> {
        use p256::pkcs8::EncodePublicKey as _;
        let der = match self {
            EcKey::P256(key) => key.to_public_key_der(),
            EcKey::P384(key) => key.to_public_key_der(),
            EcKey::P521(key) => key.to_public_key_der(),
        };
        der.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The uncompressed SEC1 point.
    #[cfg(feature = "aws-lc")]
    fn sec1(&self) -> Vec<u8> {
        match self {
            EcKey::P256(key) => key.to_sec1_point(false).as_bytes().to_vec(),
            EcKey::P384(key) => key.to_sec1_point(false).as_bytes().to_vec(),
            EcKey::P521(key) => key.to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    /// Whether `signature` (ASN.1 DER) is valid over `digest`, made with `hash`.
    pub(crate) fn verify_prehash(
        &self,
        backend: Backend,
        hash: Algorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> bool {
        match backend {
            Backend::RustCrypto => {
                // RustCrypto reads the hash from the digest itself (bits2int).
                let _ = hash;
                self.verify_rust_crypto(digest, signature)
            }
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => self.verify_aws_lc(hash, digest, signature),
        }
    }

    fn verify_rust_crypto(&self, digest: &[u8], signature: &[u8]) -> bool {
        match self {
            EcKey::P256(key) => p256::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok()),
            EcKey::P384(key) => p384::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok()),
            EcKey::P521(key) => p521::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok()),
        }
    }

    #[cfg(feature = "aws-lc")]
    fn verify_aws_lc(&self, hash: Algorithm, digest: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::digest as d;
        use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
        type Row = (
            &'static d::Algorithm,
            [&'static dyn VerificationAlgorithm; 3],
        );
        // One row per hash: the digest algorithm, then P-256, P-384, P-521.
        let (hash, algorithms): Row = match hash {
            Algorithm::Sha384 => (
                &d::SHA384,
                [
                    &sig::ECDSA_P256_SHA384_ASN1,
                    &sig::ECDSA_P384_SHA384_ASN1,
                    &sig::ECDSA_P521_SHA384_ASN1,
                ],
            ),
            Algorithm::Sha512 => (
                &d::SHA512,
                [
                    &sig::ECDSA_P256_SHA512_ASN1,
                    &sig::ECDSA_P384_SHA512_ASN1,
                    &sig::ECDSA_P521_SHA512_ASN1,
                ],
            ),
            _ => (
                &d::SHA256,
                [
                    &sig::ECDSA_P256_SHA256_ASN1,
                    &sig::ECDSA_P384_SHA256_ASN1,
                    &sig::ECDSA_P521_SHA256_ASN1,
                ],
            ),
        };
        let Ok(prehash) = d::Digest::import_less_safe(digest, hash) else {
            return false;
        };
        let algorithm = match self {
            EcKey::P256(_) => algorithms[0],
            EcKey::P384(_) => algorithms[1],
            EcKey::P521(_) => algorithms[2],
        };
        UnparsedPublicKey::new(algorithm, self.sec1())
            .verify_digest(&prehash, signature)
            .is_ok()
    }
}
