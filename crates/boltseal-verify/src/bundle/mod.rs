//! Sigstore bundle verification (bundles v0.1–v0.3), offline and in pure Rust.
//!
//! [`Verifier::verify`] takes a parsed [`Bundle`], the [`Artifact`] it should cover (bytes or a
//! digest) and a [`Policy`] (who must have signed), and checks everything against a
//! [`TrustedRoot`]:
//!
//! 1. **Signer.** Key mode ([`Policy::key`]): the bundle must name a public key (a key hint,
//!    if it is a SHA-256 key id, must be this key's). Identity mode ([`Policy::identity`]): the
//!    bundle must carry a certificate; a chain that includes a self-signed root is refused.
//! 2. **Signature.** A message signature verifies over the artifact (and a `messageDigest`, if
//!    present, is the artifact's); a DSSE envelope's signature verifies over its PAE, its payload
//!    is an in-toto statement, and a subject of the statement has the artifact's digest.
//! 3. **Transparency log.** Every entry is from a log of the trusted root and verifies: its
//!    SET (RFC 8785 payload, integrated time inside the key's validity), its inclusion proof
//!    (RFC 6962) and the signed checkpoint of that root; its body (`hashedrekord` 0.0.1/0.0.2,
//!    `dsse` 0.0.1/0.0.2, `intoto` 0.0.2) records this signature, this signer and this artifact.
//!    At least [`Policy::with_tlog_threshold`] entries (default 1) are required.
//! 4. **Timestamps.** Every RFC 3161 timestamp verifies: CMS signature by a timestamp authority
//!    of the trusted root (chain valid at the timestamp's time, authority window included), its
//!    message imprint is the hash of the signature.
//! 5. **Certificate** (identity mode). There must be at least one verified time: an integrated
//!    time vouched for by a SET, or a timestamp. At every such time the leaf is valid and chains
//!    to a Fulcio CA of the trusted root (CA window included); the leaf carries an embedded SCT
//!    that verifies with a CT log of the trusted root; the subject alternative name and the OIDC
//!    issuer (extension 1.3.6.1.4.1.57264.1.8, else .1.1) match the policy.
//!
//! Any check that cannot be completed fails: the single [`VerifyError`] carries the reason as
//! text ([`VerifyError::reason`]) for diagnostics, not for branching.
//!
//! ```
//! use boltseal_envelope::bundle::{Bundle, Content, MessageSignature, VerificationMaterial};
//! use boltseal_verify::bundle::{Artifact, Policy, Verifier};
//! use boltseal_verify::trust::TrustedRoot;
//!
//! // A key-signed bundle without a transparency-log entry (what `sign-blob --key` writes).
//! let signer = boltseal_keys::PrivateKey::generate()?;
//! let bundle = Bundle::new(
//!     VerificationMaterial::public_key(signer.public_key().hint()),
//!     Content::MessageSignature(MessageSignature::new(signer.sign_der(b"hello"))),
//! );
//! let key = signer.public_key();
//! let trust = TrustedRoot::empty();
//! let verifier = Verifier::new(&trust);
//!
//! // cosign's default, and boltseal's: at least one transparency-log entry.
//! let error = verifier.verify(&bundle, &Artifact::Bytes(b"hello"), &Policy::key(key.clone()));
//! assert!(error.unwrap_err().reason().contains("transparency log"));
//!
//! // `--insecure-ignore-tlog`: the signature alone.
//! let offline = Policy::key(key).with_tlog_threshold(0);
//! assert!(verifier.verify(&bundle, &Artifact::Bytes(b"hello"), &offline).is_ok());
//! assert!(verifier.verify(&bundle, &Artifact::Bytes(b"tampered"), &offline).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod asn1;
mod body;
pub mod checkpoint;
#[doc(hidden)]
pub mod fuzzing;
mod legacy;
pub mod merkle;
mod sct;
#[cfg(feature = "sigstore")]
mod sigstore;
mod timestamp;
mod tlog;
pub(crate) mod x509;

use std::fmt;

use base64::Engine as _;
use boltseal_envelope::bundle::{
    Bundle, BundleVersion, Content, HashAlgorithm, VerificationContent,
};
use boltseal_envelope::dsse;
use boltseal_envelope::intoto::Statement;
use boltseal_reference::Digest;
use sha2::Digest as _;

use crate::trust::time::{self, Nanos};
use crate::trust::{KeyAlgorithm, PublicKey, TrustedRoot};

pub use crate::error::VerifyError;

fn fail<T>(reason: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError::bundle(reason))
}

/// What the bundle must cover.
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only the artifact's digest (e.g. an image manifest digest, or `sha256:<hex>` given on a
    /// command line). Ed25519 message signatures cannot be verified from a digest.
    Digest(Digest),
}

impl Artifact<'_> {
    fn sha256(&self) -> Option<[u8; 32]> {
        match self {
            Artifact::Bytes(bytes) => Some(sha2::Sha256::digest(bytes).into()),
            Artifact::Digest(digest) => {
                if digest.algorithm().as_str() != "sha256" {
                    return None;
                }
                decode_hex(digest.encoded())?.try_into().ok()
            }
        }
    }

    fn digest(&self) -> Digest {
        match self {
            Artifact::Bytes(bytes) => Digest::sha256_of(bytes),
            Artifact::Digest(digest) => *digest,
        }
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How a string of a certificate is matched.
#[derive(Debug, Clone)]
pub struct Matcher {
    inner: MatcherInner,
}

#[derive(Debug, Clone)]
enum MatcherInner {
    Exact(String),
    Regex(regex::Regex),
}

/// A regular expression that does not compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid regular expression {pattern:?}: {reason}")]
pub struct PatternError {
    pattern: String,
    reason: String,
}

impl Matcher {
    /// Matches exactly this string.
    #[must_use]
    pub fn exact(value: impl Into<String>) -> Self {
        Matcher {
            inner: MatcherInner::Exact(value.into()),
        }
    }

    /// Matches strings in which the regular expression finds a match (unanchored, like Go's
    /// `MatchString` that cosign's `--certificate-identity-regexp` uses; anchor with `^…$`).
    ///
    /// # Errors
    /// [`PatternError`] when the expression does not compile.
    pub fn regex(pattern: &str) -> Result<Self, PatternError> {
        regex::Regex::new(pattern)
            .map(|re| Matcher {
                inner: MatcherInner::Regex(re),
            })
            .map_err(|e| PatternError {
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            })
    }

    /// Whether `value` matches.
    #[must_use]
    pub fn matches(&self, value: &str) -> bool {
        match &self.inner {
            MatcherInner::Exact(expected) => expected == value,
            MatcherInner::Regex(re) => re.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            MatcherInner::Exact(value) => write!(f, "{value:?}"),
            MatcherInner::Regex(re) => write!(f, "/{}/", re.as_str()),
        }
    }
}

/// A keyless signer: a subject alternative name (email, URI, …) and the OIDC issuer that
/// vouched for it.
#[derive(Debug, Clone)]
pub struct Identity {
    subject: Matcher,
    issuer: Matcher,
}

impl Identity {
    /// An identity from a subject matcher and an issuer matcher.
    #[must_use]
    pub fn new(subject: Matcher, issuer: Matcher) -> Self {
        Identity { subject, issuer }
    }

    /// An identity with an exact subject and an exact issuer (cosign's
    /// `--certificate-identity` and `--certificate-oidc-issuer`).
    #[must_use]
    pub fn exact(subject: impl Into<String>, issuer: impl Into<String>) -> Self {
        Identity::new(Matcher::exact(subject), Matcher::exact(issuer))
    }
}

#[derive(Debug, Clone)]
enum Signer {
    Key(PublicKey),
    Identity(Vec<Identity>),
}

/// Who must have signed, and how much evidence is required.
#[derive(Debug, Clone)]
pub struct Policy {
    signer: Signer,
    tlog_threshold: usize,
    require_sct: bool,
}

impl Policy {
    /// The bundle must be signed by `key` (cosign's `--key`).
    #[must_use]
    pub fn key(key: PublicKey) -> Self {
        Policy {
            signer: Signer::Key(key),
            tlog_threshold: 1,
            require_sct: true,
        }
    }

    /// The bundle must carry a Fulcio certificate for `identity`.
    #[must_use]
    pub fn identity(identity: Identity) -> Self {
        Policy::any_identity(vec![identity])
    }

    /// The bundle must carry a Fulcio certificate for one of `identities`.
    #[must_use]
    pub fn any_identity(identities: Vec<Identity>) -> Self {
        Policy {
            signer: Signer::Identity(identities),
            tlog_threshold: 1,
            require_sct: true,
        }
    }

    /// How many transparency-log entries must verify (default 1). 0 accepts bundles without
    /// entries (cosign's `--insecure-ignore-tlog`); entries that are present are still
    /// verified.
    #[must_use]
    pub fn with_tlog_threshold(mut self, threshold: usize) -> Self {
        self.tlog_threshold = threshold;
        self
    }

    /// Whether a certificate must carry an SCT that verifies with a trusted CT log (default
    /// true; false is cosign's `--insecure-ignore-sct`).
    #[must_use]
    pub fn with_sct_required(mut self, required: bool) -> Self {
        self.require_sct = required;
        self
    }
}

/// Who signed, as verified.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedSigner {
    /// The policy's key.
    Key {
        /// The key's Sigstore hint (base64 SHA-256 of its SPKI).
        hint: String,
    },
    /// A Fulcio certificate.
    Certificate {
        /// The leaf certificate (DER).
        certificate: Vec<u8>,
        /// Its subject alternative names.
        subject_alternative_names: Vec<String>,
        /// The OIDC issuer recorded in it.
        issuer: Option<String>,
    },
}

/// A verified bundle.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Verified {
    /// The bundle's version.
    pub version: BundleVersion,
    /// The signer.
    pub signer: VerifiedSigner,
    /// Integrated times (Unix seconds) vouched for by verified SETs.
    pub integrated_times: Vec<i64>,
    /// Times (Unix seconds) of verified RFC 3161 timestamps.
    pub timestamps: Vec<i64>,
    /// How many transparency-log entries verified.
    pub tlog_entries: usize,
    /// For DSSE bundles: the payload type and payload.
    pub dsse_payload: Option<(String, Vec<u8>)>,
    /// For DSSE bundles with an in-toto payload: the statement.
    pub statement: Option<Statement>,
}

/// Bounds on what one bundle may make the verifier do, checked before any signature is: each
/// certificate, log entry and timestamp costs signature checks.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Certificates in the verification material's chain. Default 32.
    pub max_chain_certificates: usize,
    /// Transparency-log entries. Default 32.
    pub max_tlog_entries: usize,
    /// RFC 3161 timestamps. Default 32.
    pub max_timestamps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chain_certificates: 32,
            max_tlog_entries: 32,
            max_timestamps: 32,
        }
    }
}

impl Limits {
    /// Refuses a bundle carrying more than these limits allow, naming the limit and the count.
    fn check(
        &self,
        material: &boltseal_envelope::bundle::VerificationMaterial,
    ) -> Result<(), VerifyError> {
        let chain = match &material.content {
            VerificationContent::X509CertificateChain { certificates } => certificates.len(),
            _ => 0,
        };
        let timestamps = material
            .timestamp_verification_data
            .as_ref()
            .map_or(0, |d| d.rfc3161_timestamps.len());
        for (what, count, limit) in [
            ("chain certificates", chain, self.max_chain_certificates),
            (
                "transparency log entries",
                material.tlog_entries.len(),
                self.max_tlog_entries,
            ),
            ("RFC 3161 timestamps", timestamps, self.max_timestamps),
        ] {
            if count > limit {
                return fail(format!(
                    "the bundle has {count} {what}, more than the limit of {limit}"
                ));
            }
        }
        Ok(())
    }
}

/// Verifies bundles against one trusted root. Cheap to create; holds no state between calls.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'t> {
    trust: &'t TrustedRoot,
    limits: Limits,
}

impl<'t> Verifier<'t> {
    /// A verifier for `trust`, with the default [`Limits`].
    #[must_use]
    pub fn new(trust: &'t TrustedRoot) -> Self {
        Verifier {
            trust,
            limits: Limits::default(),
        }
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Parses and verifies a bundle's JSON.
    ///
    /// # Errors
    /// [`VerifyError`] when the bundle is malformed or any check fails.
    pub fn verify_json(
        &self,
        bundle: &[u8],
        artifact: &Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        let bundle = Bundle::parse(bundle).map_err(|e| VerifyError::bundle(e.to_string()))?;
        self.verify(&bundle, artifact, policy)
    }

    /// Verifies a bundle (see the module documentation for every check).
    ///
    /// # Errors
    /// [`VerifyError`] naming the first check that failed.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: &Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        let version = bundle
            .validate()
            .map_err(|e| VerifyError::bundle(e.to_string()))?;
        let material = &bundle.verification_material;
        self.limits.check(material)?;

        // 1. The signer.
        let leaf = match (&material.content, &policy.signer) {
            (VerificationContent::PublicKey { hint }, Signer::Key(key)) => {
                check_hint(hint, key)?;
                None
            }
            (VerificationContent::PublicKey { .. }, Signer::Identity(_)) => {
                return fail(
                    "the bundle is signed with a key, but a certificate identity was required",
                );
            }
            (VerificationContent::X509CertificateChain { certificates }, Signer::Identity(_)) => {
                let chain = certificates
                    .iter()
                    .map(|der| x509::Certificate::parse(der))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| VerifyError::bundle(format!("bundle certificate: {e}")))?;
                if chain.iter().any(|c| c.is_self_issued() && c.signed_by(c)) {
                    return fail("the bundle's certificate chain includes a root certificate");
                }
                chain.into_iter().next()
            }
            (VerificationContent::Certificate { raw_bytes }, Signer::Identity(_)) => Some(
                x509::Certificate::parse(raw_bytes)
                    .map_err(|e| VerifyError::bundle(format!("bundle certificate: {e}")))?,
            ),
            (_, Signer::Key(_)) => {
                return fail("the bundle carries a certificate, but a public key was given");
            }
            (_, Signer::Identity(_)) => return fail("unsupported verification material"),
        };
        let signing_key = match (&leaf, &policy.signer) {
            (Some(leaf), _) => leaf.public_key().ok_or_else(|| {
                VerifyError::bundle("the certificate's public key is not supported")
            })?,
            (None, Signer::Key(key)) => key.clone(),
            (None, Signer::Identity(_)) => return fail("no certificate"),
        };
        // The identity is the cheapest decisive check: a certificate for someone else is refused
        // before its signature, chain, log entries or timestamps are looked at.
        if let (Some(leaf), Signer::Identity(identities)) = (&leaf, &policy.signer) {
            match_identity(leaf, identities)?;
        }
        let signer_der: Vec<u8> = match &leaf {
            Some(leaf) => leaf.der().to_vec(),
            None => signing_key.spki_der().to_vec(),
        };

        // 2. The signature over the artifact.
        let artifact_sha256 = artifact.sha256();
        let mut pae = Vec::new();
        let mut statement = None;
        let mut dsse_payload = None;
        let (signature, signed) = match &bundle.content {
            Content::MessageSignature(message) => {
                let sha256 = verify_message(
                    &message.signature,
                    message.message_digest.as_ref(),
                    artifact,
                    &signing_key,
                )?;
                (
                    message.signature.as_slice(),
                    SignedContent::Message { sha256 },
                )
            }
            Content::DsseEnvelope(envelope) => {
                let [signature] = envelope.signatures.as_slice() else {
                    return fail("the DSSE envelope must carry exactly one signature");
                };
                // What the statement says is checked before the signature over it.
                if envelope.payload_type != dsse::PAYLOAD_TYPE_IN_TOTO {
                    return fail(format!(
                        "the DSSE payload type {:?} is not in-toto",
                        envelope.payload_type
                    ));
                }
                let parsed = Statement::parse(&envelope.payload).map_err(|e| {
                    VerifyError::bundle(format!(
                        "the DSSE payload is not an in-toto statement: {e}"
                    ))
                })?;
                if !parsed.matches_digest(&artifact.digest()) {
                    return fail("no subject of the in-toto statement has the artifact's digest");
                }
                pae = dsse::pae(&envelope.payload_type, &envelope.payload);
                if signing_key.verify(&pae, &signature.sig).is_err() {
                    return fail("the DSSE signature does not verify");
                }
                statement = Some(parsed);
                dsse_payload = Some((envelope.payload_type.clone(), envelope.payload.clone()));
                (signature.sig.as_slice(), SignedContent::Dsse)
            }
            _ => return fail("unsupported bundle content"),
        };
        let claims = body::Claims {
            signature,
            signer: if leaf.is_some() {
                body::Signer::Certificate(&signer_der)
            } else {
                body::Signer::Key(&signer_der)
            },
            content: match (&signed, &bundle.content) {
                (SignedContent::Message { sha256 }, _) => body::Signed::Message { sha256: *sha256 },
                (SignedContent::Dsse, Content::DsseEnvelope(envelope)) => body::Signed::Dsse {
                    payload_type: &envelope.payload_type,
                    payload: &envelope.payload,
                    pae: &pae,
                },
                _ => return fail("unsupported bundle content"),
            },
        };
        let _ = artifact_sha256;

        // 3. Transparency-log entries.
        let mut integrated_times: Vec<Nanos> = Vec::new();
        for (i, entry) in material.tlog_entries.iter().enumerate() {
            let verified = tlog::verify_entry(entry, self.trust)
                .map_err(|e| VerifyError::bundle(format!("transparency log entry {i}: {e}")))?;
            let (kind, version) = entry
                .kind_version
                .as_ref()
                .map(|kv| (kv.kind.as_str(), kv.version.as_str()))
                .unwrap_or_default();
            body::check(&entry.canonicalized_body, kind, version, &claims)
                .map_err(|e| VerifyError::bundle(format!("transparency log entry {i}: {e}")))?;
            integrated_times.extend(verified.integrated_time);
        }
        if material.tlog_entries.len() < policy.tlog_threshold {
            return fail(format!(
                "{} transparency log entries verified, {} required",
                material.tlog_entries.len(),
                policy.tlog_threshold
            ));
        }

        // 4. RFC 3161 timestamps over the signature.
        let mut timestamps: Vec<Nanos> = Vec::new();
        if let Some(data) = &material.timestamp_verification_data {
            for (i, token) in data.rfc3161_timestamps.iter().enumerate() {
                let at = timestamp::verify(&token.signed_timestamp, signature, self.trust)
                    .map_err(|e| VerifyError::bundle(format!("RFC 3161 timestamp {i}: {e}")))?;
                timestamps.push(at);
            }
        }

        // 5. The certificate, at every verified time.
        let verified_signer = match (&leaf, &policy.signer) {
            (Some(leaf), Signer::Identity(identities)) => {
                let times: Vec<Nanos> = integrated_times
                    .iter()
                    .chain(&timestamps)
                    .copied()
                    .collect();
                check_certificate(leaf, identities, &times, policy.require_sct, self.trust)?
            }
            (None, Signer::Key(key)) => VerifiedSigner::Key { hint: key.hint() },
            _ => return fail("signer and policy disagree"),
        };

        Ok(Verified {
            version,
            signer: verified_signer,
            integrated_times: integrated_times.into_iter().map(time::to_unix).collect(),
            timestamps: timestamps.into_iter().map(time::to_unix).collect(),
            tlog_entries: material.tlog_entries.len(),
            dsse_payload,
            statement,
        })
    }
}

enum SignedContent {
    Message { sha256: [u8; 32] },
    Dsse,
}

/// A key hint that is a SHA-256 key id must be the policy key's; other hints (KMS names, empty)
/// are not evidence of anything and are ignored.
fn check_hint(hint: &str, key: &PublicKey) -> Result<(), VerifyError> {
    let Ok(id) = base64::engine::general_purpose::STANDARD.decode(hint) else {
        return Ok(());
    };
    if id.len() == 32 && id != key.key_id() {
        return fail("the bundle's key hint names a different key");
    }
    Ok(())
}

/// Verifies a message signature over the artifact; returns the artifact's SHA-256 (what a log
/// entry records).
fn verify_message(
    signature: &[u8],
    message_digest: Option<&boltseal_envelope::bundle::MessageDigest>,
    artifact: &Artifact<'_>,
    key: &PublicKey,
) -> Result<[u8; 32], VerifyError> {
    let sha256 = artifact.sha256().ok_or_else(|| {
        VerifyError::bundle("message signatures are verified against a SHA-256 artifact digest")
    })?;
    if let Some(digest) = message_digest {
        let expected: Vec<u8> = match (digest.algorithm, artifact) {
            (HashAlgorithm::Sha2_256, _) => sha256.to_vec(),
            (HashAlgorithm::Sha2_384, Artifact::Bytes(bytes)) => {
                sha2::Sha384::digest(bytes).to_vec()
            }
            (HashAlgorithm::Sha2_512, Artifact::Bytes(bytes)) => {
                sha2::Sha512::digest(bytes).to_vec()
            }
            _ => {
                return fail(format!(
                    "unsupported message digest algorithm {}",
                    digest.algorithm.as_str()
                ));
            }
        };
        if digest.digest != expected {
            return fail("the bundle's message digest is not the artifact's digest");
        }
    }
    let ok = match artifact {
        Artifact::Bytes(bytes) => key.verify(bytes, signature).is_ok(),
        Artifact::Digest(_) => {
            key.algorithm() != KeyAlgorithm::Ed25519
                && key.algorithm() != KeyAlgorithm::EcdsaP384
                && key.algorithm() != KeyAlgorithm::EcdsaP521
                && key.verify_prehash(&sha256, signature).is_ok()
        }
    };
    if !ok {
        return fail("the signature does not verify over the artifact");
    }
    Ok(sha256)
}

/// The keyless checks on a leaf certificate: at least one verified time; at each, a path to a
/// Fulcio CA of `trust`; an embedded SCT (when required); an identity of the policy.
fn check_certificate(
    leaf: &x509::Certificate,
    identities: &[Identity],
    times: &[Nanos],
    require_sct: bool,
    trust: &TrustedRoot,
) -> Result<VerifiedSigner, VerifyError> {
    if times.is_empty() {
        return fail(
            "no verified time (neither a signed entry timestamp nor an RFC 3161 timestamp)",
        );
    }
    // The identity first: it needs no signature arithmetic.
    match_identity(leaf, identities)?;
    let mut issuer_cert = None;
    for &at in times {
        issuer_cert = Some(verify_leaf_at(leaf, trust, at)?);
    }
    if require_sct {
        let issuer_cert = issuer_cert.ok_or_else(|| VerifyError::bundle("no issuer"))?;
        sct::verify_embedded(leaf, &issuer_cert, trust).map_err(VerifyError::bundle)?;
    }
    let (names, issuer) = match_identity(leaf, identities)?;
    Ok(VerifiedSigner::Certificate {
        certificate: leaf.der().to_vec(),
        subject_alternative_names: names,
        issuer,
    })
}

/// The certificate's SANs and Fulcio issuer, when one of `identities` matches them.
fn match_identity(
    leaf: &x509::Certificate,
    identities: &[Identity],
) -> Result<(Vec<String>, Option<String>), VerifyError> {
    let names = leaf
        .subject_alternative_names()
        .map_err(|e| VerifyError::bundle(format!("certificate: {e}")))?;
    let issuer = leaf
        .fulcio_issuer()
        .map_err(|e| VerifyError::bundle(format!("certificate: {e}")))?;
    let matched = identities.iter().any(|identity| {
        names.iter().any(|n| identity.subject.matches(n))
            && issuer
                .as_deref()
                .is_some_and(|i| identity.issuer.matches(i))
    });
    if !matched {
        return fail(format!(
            "the certificate's identity {names:?} (issuer {}) does not match the policy",
            issuer.as_deref().unwrap_or("none")
        ));
    }
    Ok((names, issuer))
}

pub(crate) use legacy::{
    check_key_bundle_entries, check_logged_envelope, check_logged_envelope_by_key, verify_leaf_at,
};
pub use legacy::{verify_certificate, verify_rekor_bundle};
#[cfg(feature = "sigstore")]
pub use sigstore::{from_sigstore, to_sigstore};
