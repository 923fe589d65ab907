//! Verification of cosign signatures, attestations and Sigstore bundles.
//!
//! - [`image`]: signatures and attestations of container images in a store, in both layouts
//!   (legacy `.sig`/`.att` tags and Sigstore bundle referrers), against public keys.
//! - [`verifier`]: the [`ImageVerifier`](verifier::ImageVerifier) policy evaluation calls: N-of-M
//!   attestors, resolved digest, verified payloads, and a TTL cache.
//! - [`bundle`]: Sigstore bundle verification (v0.1–v0.3): key-based and keyless (certificate
//!   chain to a Fulcio CA, SCTs, identity), transparency-log entries (SET, inclusion proof,
//!   checkpoint) and RFC 3161 timestamps, against a [`trust`] root. Pure Rust, offline.
//!
//! - [`EvidenceLimits`]: what one image's evidence may cost to read and check (bytes, layers,
//!   referrers, signatures per envelope); bundles have their own [`bundle::Limits`].
//!
//! Signature checks of images run on tokio's blocking pool, one per CPU at a time, so that a
//! server's reactor keeps answering while they run.
//!
//! Any doubt is a failure: every check that cannot be completed denies, with a reason.

pub mod bundle;
pub mod evidence;
pub mod image;
pub mod trust;
pub mod verifier;

pub use evidence::EvidenceLimits;
