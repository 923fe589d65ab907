//! cosign's verification flags as boltseal's [`Authority`] and [`Claim`]: what a tool that
//! stands in for `cosign verify` / `cosign verify-attestation` maps its command line through.
//!
//! - `--key PUB` (repeatable: any of the keys), with `-a k=v`, `--identity REF` (an exact
//!   reference when it has a tag or digest, else the repository) and `--rekor-key PUB` (a
//!   transparency-log entry is required): a [`KeyPolicy`];
//! - `--certificate-identity[-regexp]` and `--certificate-oidc-issuer[-regexp]` (exactly one of
//!   each form), `--trusted-root F` (default: the embedded public-good root), `-a k=v`: a
//!   [`KeylessPolicy`];
//! - `--type T` (a cosign type name such as `slsaprovenance1`, or a URI): [`Claim::Attestation`].
//!
//! `--key` together with keyless flags, a missing identity or issuer, an unreadable file or a
//! bad pattern are [`FlagError`]s (kind [`ErrorKind::InvalidInput`]).
//!
//! ```
//! use boltseal_evidence::cosign::{CosignFlags, FlagError};
//!
//! let mut flags = CosignFlags::default();
//! flags.certificate_identity = Some("dev@example.com".into());
//! flags.certificate_oidc_issuer = Some("https://accounts.google.com".into());
//! let authority = flags.authority()?; // keyless, public-good root
//! assert!(matches!(authority, boltseal_verify::Authority::Keyless(_)));
//!
//! let claim = boltseal_evidence::cosign::attestation_claim("slsaprovenance1")?;
//! assert_eq!(claim, boltseal_verify::Claim::attestation("https://slsa.dev/provenance/v1"));
//! # Ok::<(), FlagError>(())
//! ```

use std::path::{Path, PathBuf};

use boltseal_core::{Classify, ErrorKind};
use boltseal_keys::{PublicKey, read_public_key};
use boltseal_reference::Reference;
use boltseal_verify::bundle::{Identity, Matcher, Policy};
use boltseal_verify::trust::TrustedRoot;
use boltseal_verify::{Authority, Claim, IdentityCheck, KeyPolicy, KeylessPolicy};

/// The flags of `cosign verify` and `cosign verify-attestation` that say who must have signed.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CosignFlags {
    /// `--key`: public key files (PEM); a signature by any of them counts.
    pub keys: Vec<PathBuf>,
    /// `--certificate-identity`: the signing certificate's identity (SAN), exactly.
    pub certificate_identity: Option<String>,
    /// `--certificate-identity-regexp`: a pattern the certificate's identity must match.
    pub certificate_identity_regexp: Option<String>,
    /// `--certificate-oidc-issuer`: the OIDC issuer recorded in the certificate, exactly.
    pub certificate_oidc_issuer: Option<String>,
    /// `--certificate-oidc-issuer-regexp`: a pattern the issuer must match.
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// `--trusted-root`: a `trusted_root.json` (default: the embedded public-good root).
    pub trusted_root: Option<PathBuf>,
    /// `-a k=v`: annotations the signature (or the statement's subject) must carry.
    pub annotations: Vec<(String, String)>,
    /// `--identity REF` (key signatures): the signed `docker-reference`.
    pub identity: Option<String>,
    /// `--rekor-key PUB` (key signatures): require a transparency-log entry of this log.
    pub rekor_key: Option<PathBuf>,
}

impl CosignFlags {
    /// Whether any keyless flag is set.
    #[must_use]
    pub fn is_keyless(&self) -> bool {
        self.names_identity() || self.trusted_root.is_some()
    }

    fn names_identity(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.certificate_oidc_issuer.is_some()
            || self.certificate_oidc_issuer_regexp.is_some()
    }

    /// The authority these flags name, with its key and trust-root files read.
    ///
    /// # Errors
    /// [`FlagError`] for contradicting or missing flags, unreadable files, bad patterns.
    pub fn authority(&self) -> Result<Authority, FlagError> {
        match (self.keys.split_first(), self.is_keyless()) {
            (Some(_), true) => Err(FlagError::KeyAndKeyless),
            (Some((first, rest)), false) => Ok(self.key_policy(first, rest)?.into()),
            (None, _) => Ok(self.keyless_policy()?.into()),
        }
    }

    /// cosign verify-blob's reading of these flags: the bundle policy (one `--key`, read as
    /// any key file cosign's `--key` takes, an encrypted one with the password from
    /// `COSIGN_PASSWORD` or a prompt; or the
    /// keyless identity) and the trusted root to check it against (`--trusted-root`, else the
    /// embedded public-good root). A verified transparency-log entry is required unless
    /// `ignore_tlog` (`--insecure-ignore-tlog`), keys included: cosign 3's default.
    ///
    /// # Errors
    /// [`FlagError`] for contradicting or missing flags, unreadable files, bad patterns.
    pub fn bundle_policy(&self, ignore_tlog: bool) -> Result<(Policy, TrustedRoot), FlagError> {
        let policy = match (self.keys.as_slice(), self.names_identity()) {
            ([_, ..], true) => return Err(FlagError::KeyAndKeyless),
            ([path], false) => {
                let password = || boltseal_keys::read_password(false);
                let key = boltseal_keys::read_verification_key(path, password).map_err(|e| {
                    FlagError::File {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                })?;
                Policy::key(key)
            }
            ([_, _, ..], false) => return Err(FlagError::Missing),
            ([], _) => Policy::identity(self.identity()?),
        };
        Ok((
            policy.with_tlog_threshold(usize::from(!ignore_tlog)),
            self.trusted_root()?,
        ))
    }

    fn trusted_root(&self) -> Result<TrustedRoot, FlagError> {
        match &self.trusted_root {
            Some(path) => std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| TrustedRoot::from_json(&bytes).map_err(|e| e.to_string()))
                .map_err(|reason| FlagError::File {
                    path: path.clone(),
                    reason,
                }),
            None => Ok(TrustedRoot::public_good()),
        }
    }

    fn key_policy(&self, first: &Path, rest: &[PathBuf]) -> Result<KeyPolicy, FlagError> {
        let mut policy = KeyPolicy::new(public_key(first)?);
        for path in rest {
            policy = policy.or_key(public_key(path)?);
        }
        for (k, v) in &self.annotations {
            policy = policy.annotation(k, v);
        }
        if let Some(identity) = &self.identity {
            let reference = Reference::parse(identity).map_err(|e| FlagError::Identity {
                identity: identity.clone(),
                reason: e.to_string(),
            })?;
            policy = policy.identity(
                if reference.tag().is_some() || reference.digest().is_some() {
                    IdentityCheck::Exact(reference)
                } else {
                    IdentityCheck::SameRepository(reference.repository_name())
                },
            );
        }
        if let Some(path) = &self.rekor_key {
            policy = policy.rekor_key(public_key(path)?);
        }
        Ok(policy)
    }

    fn keyless_policy(&self) -> Result<KeylessPolicy, FlagError> {
        let mut policy = KeylessPolicy::new(self.identity()?, self.trusted_root()?);
        for (k, v) in &self.annotations {
            policy = policy.annotation(k, v);
        }
        Ok(policy)
    }

    /// The certificate identity the keyless flags name.
    fn identity(&self) -> Result<Identity, FlagError> {
        let subject = matcher(
            self.certificate_identity.as_deref(),
            self.certificate_identity_regexp.as_deref(),
            "certificate-identity",
        )?;
        let issuer = matcher(
            self.certificate_oidc_issuer.as_deref(),
            self.certificate_oidc_issuer_regexp.as_deref(),
            "certificate-oidc-issuer",
        )?;
        Ok(Identity::new(subject, issuer))
    }
}

/// The claim of `--type T`: an attestation of the predicate type a cosign type name
/// (`spdxjson`, `cyclonedx`, `slsaprovenance1`, …) or a URI names.
///
/// # Errors
/// [`FlagError::PredicateType`] for an unknown name that is not an absolute URI.
pub fn attestation_claim(type_flag: &str) -> Result<Claim, FlagError> {
    predicate_type(type_flag).map(Claim::attestation)
}

/// The predicate type `--type T` names: a cosign type name's URI, or the URI given.
///
/// # Errors
/// [`FlagError::PredicateType`] for an unknown name that is not an absolute URI.
pub fn predicate_type(type_flag: &str) -> Result<String, FlagError> {
    boltseal_envelope::predicate::predicate_type_for(type_flag).map_err(|e| {
        FlagError::PredicateType {
            value: type_flag.to_owned(),
            reason: e.to_string(),
        }
    })
}

fn public_key(path: &Path) -> Result<PublicKey, FlagError> {
    read_public_key(path).map_err(|e| FlagError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn matcher(
    exact: Option<&str>,
    regexp: Option<&str>,
    flag: &'static str,
) -> Result<Matcher, FlagError> {
    match (exact, regexp) {
        (Some(value), None) => Ok(Matcher::exact(value)),
        (None, Some(pattern)) => Matcher::regex(pattern).map_err(|e| FlagError::Pattern {
            flag,
            reason: e.to_string(),
        }),
        (Some(_), Some(_)) => Err(FlagError::Both(flag)),
        (None, None) => Err(FlagError::Missing),
    }
}

/// Verification flags that cannot be used.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlagError {
    /// `--key` together with keyless flags.
    KeyAndKeyless,
    /// Neither a key nor both a certificate identity and an issuer.
    Missing,
    /// Both the exact and the `-regexp` form of a flag (named without dashes).
    Both(&'static str),
    /// A `-regexp` flag's pattern does not compile.
    Pattern {
        /// The flag, without dashes and `-regexp`.
        flag: &'static str,
        /// Why.
        reason: String,
    },
    /// A key or trusted-root file could not be read or used.
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `--identity` is not a reference.
    Identity {
        /// The flag's value.
        identity: String,
        /// Why.
        reason: String,
    },
    /// `--type` names no predicate type.
    PredicateType {
        /// The flag's value.
        value: String,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KeyAndKeyless => {
                f.write_str("give either --key or the keyless --certificate-* flags, not both")
            }
            Self::Missing => {
                f.write_str("give --key, or --certificate-identity and --certificate-oidc-issuer")
            }
            Self::Both(flag) => write!(f, "give either --{flag} or --{flag}-regexp, not both"),
            Self::Pattern { flag, reason } => write!(f, "{flag}: {reason}"),
            Self::File { path, reason } => write!(f, "{}: {reason}", path.display()),
            Self::Identity { identity, reason } => write!(f, "--identity {identity}: {reason}"),
            Self::PredicateType { value, reason } => write!(f, "--type {value}: {reason}"),
        }
    }
}

impl std::error::Error for FlagError {}

impl Classify for FlagError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyless(identity: &str, issuer: &str) -> CosignFlags {
        CosignFlags {
            certificate_identity: Some(identity.to_owned()),
            certificate_oidc_issuer: Some(issuer.to_owned()),
            ..CosignFlags::default()
        }
    }

    #[test]
    fn contradicting_or_missing_flags_are_input_errors() {
        let mut both = keyless("a@example.com", "https://issuer.example");
        both.keys.push("cosign.pub".into());
        assert_eq!(both.authority().unwrap_err(), FlagError::KeyAndKeyless);
        let mut no_issuer = keyless("a@example.com", "x");
        no_issuer.certificate_oidc_issuer = None;
        assert_eq!(no_issuer.authority().unwrap_err(), FlagError::Missing);
        let mut two_forms = keyless("a@example.com", "x");
        two_forms.certificate_identity_regexp = Some("^a@".into());
        let err = two_forms.authority().unwrap_err();
        assert_eq!(
            err.to_string(),
            "give either --certificate-identity or --certificate-identity-regexp, not both"
        );
        assert_eq!(err.kind().exit_code(), 2);
    }

    #[test]
    fn unreadable_files_and_bad_patterns_name_what_is_wrong() {
        let missing = CosignFlags {
            keys: vec!["/nonexistent/cosign.pub".into()],
            ..CosignFlags::default()
        };
        let err = missing.authority().unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent/cosign.pub: "), "{err}");
        let mut pattern = keyless("x", "https://issuer.example");
        pattern.certificate_identity = None;
        pattern.certificate_identity_regexp = Some("(".into());
        let err = pattern.authority().unwrap_err().to_string();
        assert!(err.starts_with("certificate-identity: "), "{err}");
        assert!(matches!(
            attestation_claim("no such type"),
            Err(FlagError::PredicateType { .. })
        ));
    }
}
