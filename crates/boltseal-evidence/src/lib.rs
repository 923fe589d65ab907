//! Reading container images' signatures and attestations from OCI stores (layouts and
//! registries) under a budget, and verifying them with `boltseal-verify`'s sans-I/O
//! [`check`](boltseal_verify::check).
//!
//! - [`verify`]: one image in a store, against an [`Authority`] (a key, a keyless identity, or
//!   N of M attestors) for a [`Claim`] (a signature, or an attestation of a predicate type).
//! - [`ImageVerifier`]: the same as a dyn-compatible service, as policy engines call it, with
//!   [`RegistryVerifier`] (registries, a verification cache), [`LayoutVerifier`] (OCI layouts)
//!   and [`Offline`].
//!
//! Evidence is read under [`EvidenceLimits`] (declared sizes charged before a byte is read,
//! blobs fetched once); the checks run on tokio's blocking pool, one per CPU at a time, so a
//! server's reactor keeps answering while they run.
//!
//! ```no_run
//! # async fn demo() -> Result<(), boltseal_verify::VerifyError> {
//! use std::time::Duration;
//! use boltseal_evidence::{ImageVerifier, RegistryVerifier};
//! use boltseal_oci::RegistryOptions;
//! use boltseal_verify::{bundle::Identity, trust::TrustedRoot, Claim, KeylessPolicy};
//!
//! let verifier = RegistryVerifier::new(RegistryOptions::default(), Duration::from_secs(60));
//! let policy = KeylessPolicy::new(
//!     Identity::exact("builder@example.com", "https://accounts.google.com"),
//!     TrustedRoot::public_good(),
//! );
//! let image = "ghcr.io/example/app:v1".parse().expect("a reference");
//! let verified = verifier.verify(&image, &policy.into(), &Claim::Signature).await?;
//! println!("signed by {:?}", verified.verified[0].signer);
//! # Ok(()) }
//! ```

mod fetch;
mod image;
mod registry;
mod verifier;

pub use boltseal_verify::{Authority, Claim, EvidenceLimits, Verification, VerifyError};
pub use image::{digest_of, verify, verify_with_limits};
pub use registry::RegistryVerifier;
pub use verifier::{ImageVerifier, LayoutVerifier, Offline, VerifyFuture};


/// A store error as a verification failure: unavailable when the registry or the network
/// failed, a refusal of the evidence otherwise (it is not what it must be).
pub(crate) fn from_oci(e: boltseal_oci::Error) -> VerifyError {
    match e.kind() {
        boltseal_oci::ErrorKind::Transport | boltseal_oci::ErrorKind::Io => {
            VerifyError::unavailable(e.to_string())
        }
        _ => VerifyError::refused(e.to_string()).at(boltseal_verify::Check::Evidence),
    }
}
