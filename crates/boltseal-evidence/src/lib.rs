#![doc = include_str!("../README.md")]
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod cosign;
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
