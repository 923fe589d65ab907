//! Reading container images' signatures and attestations from OCI stores (layouts and
//! registries), under a budget, and verifying them with `boltseal-verify`'s sans-I/O checks.
//!
//! - [`image`]: one image against a key or keyless policy ([`verify_image`],
//!   [`verify_image_attestations`], [`verify_image_keyless`],
//!   [`verify_image_attestations_keyless`]).
//! - [`registry`]: the [`ImageVerifier`] policy engines call (N-of-M attestor sets) and
//!   [`RegistryVerifier`], its implementation over registries with a verification cache.
//!
//! Evidence is read under [`EvidenceLimits`] (declared sizes charged before a byte is read,
//! blobs fetched once); the checks run on tokio's blocking pool, one per CPU at a time, so a
//! server's reactor keeps answering while they run.

mod fetch;
pub mod image;
pub mod registry;

pub use boltseal_verify::EvidenceLimits;
pub use image::{
    digest_of, verify_image, verify_image_attestations, verify_image_attestations_keyless,
    verify_image_keyless,
};
pub use registry::{
    ImageVerifier, RegistryVerifier, verify_attestations_with_attestors, verify_with_attestors,
};

use boltseal_verify::image::VerifyError;

/// A store error as a verification failure: unavailable when the registry or the network
/// failed, a refusal otherwise (the evidence is not what it must be).
pub(crate) fn from_oci(e: boltseal_oci::Error) -> VerifyError {
    match e.kind() {
        boltseal_oci::ErrorKind::Transport | boltseal_oci::ErrorKind::Io => {
            VerifyError::unavailable(e.to_string())
        }
        _ => VerifyError::refused(e.to_string()),
    }
}
