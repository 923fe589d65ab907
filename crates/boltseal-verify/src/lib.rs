//! Verification of cosign signatures, attestations and Sigstore bundles.
//!
//! - [`image`]: signatures and attestations of container images, in both layouts (legacy
//!   `.sig`/`.att` tags and Sigstore bundle referrers), against key and keyless policies.
//! - [`verifier`]: attestor sets and the N-of-M checks policy evaluation asks for.
//! - [`evidence`]: what an image's signatures or attestations were read from, and the
//!   [`EvidenceLimits`] it is read under.
//! - [`bundle`]: Sigstore bundle verification (v0.1–v0.3): key-based and keyless (certificate
//!   chain to a Fulcio CA, SCTs, identity), transparency-log entries (SET, inclusion proof,
//!   checkpoint) and RFC 3161 timestamps, against a [`trust`] root. Pure Rust, offline.
//!
//! Everything here is sync and sans-I/O: bytes and trust material in, a result out. Reading an
//! image's evidence from layouts and registries (and running these checks off an async
//! reactor) is `boltseal-evidence`'s. Each bundle is bounded by [`bundle::Limits`].
//!
//! Any doubt is a failure: every check that cannot be completed denies, with a reason.

pub mod bundle;
pub mod evidence;
pub mod image;
pub mod trust;
pub mod verifier;

pub use evidence::EvidenceLimits;
