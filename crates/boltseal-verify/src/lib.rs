//! Verification of cosign signatures, attestations and Sigstore bundles, sync and sans-I/O.
//!
//! One check, [`check`], answers "did this [`Authority`] vouch for this [`Claim`] about the
//! image?" from an image's [`Evidence`]: an authority is a [`KeyPolicy`], a [`KeylessPolicy`]
//! or an [`AttestorSet`] (N of M); a claim is a signature or an attestation of a predicate
//! type. [`bundle`] verifies Sigstore bundles (v0.1–v0.3, key-based and keyless: certificate
//! chain to a Fulcio CA, SCTs, identity, transparency-log entries with SET, inclusion proof
//! and checkpoint, RFC 3161 timestamps) against a [`trust`] root. Failures are one
//! [`VerifyError`] with its kind and the [`Check`] that failed.
//!
//! Bytes and trust material in, a result out: no network, no async runtime. Reading an image's
//! evidence from layouts and registries is `boltseal-evidence`'s. Each bundle is bounded by
//! [`bundle::Limits`], each image's evidence by [`EvidenceLimits`]. Any doubt is a failure:
//! every check that cannot be completed denies, with a reason.
//!
//! ```
//! use boltseal_keys::PrivateKey;
//! use boltseal_reference::Digest;
//! use boltseal_verify::{check, Claim, Evidence, EvidenceLimits, KeyPolicy};
//!
//! // Evidence as boltseal-evidence reads it from a registry: here, an image nobody signed.
//! let digest = Digest::sha256_of(b"manifest");
//! let evidence = Evidence::new(digest, vec![], vec![], vec![], EvidenceLimits::default(), 0);
//! let policy = KeyPolicy::new(PrivateKey::generate()?.public_key());
//! let refused = check(&evidence, &policy.into(), &Claim::Signature).unwrap_err();
//! assert_eq!(refused.check(), boltseal_verify::Check::Signatures);
//! # Ok::<(), boltseal_keys::KeyError>(())
//! ```

pub mod bundle;
mod error;
pub mod evidence;
pub mod image;
pub mod trust;
pub mod verifier;

pub use error::{Check, VerifyError};
pub use evidence::{Evidence, EvidenceLimits};
pub use image::{
    Authority, Claim, IdentityCheck, KeyPolicy, KeylessPolicy, Layout, SignatureLayer, Signer,
    Verification, Verified, check,
};
pub use verifier::{Attestor, AttestorSet};
