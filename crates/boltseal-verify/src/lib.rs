#![doc = include_str!("../README.md")]
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
