#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! | module | crate |
//! | --- | --- |
//! | [`reference`](mod@reference) | `boltseal-reference` |
//! | [`oci`] | `boltseal-oci` |
//! | [`envelope`] | `boltseal-envelope` |
//! | [`sbom`] | `boltseal-sbom` |
//! | [`scan`] | `boltseal-scan` |
//! | [`keys`] | `boltseal-keys` |
//! | [`sign`] | `boltseal-sign` |
//! | [`verify`] | `boltseal-verify` |
//! | [`evidence`] | `boltseal-evidence` |
//! | [`policy`] | `boltseal-policy` |
//! | [`pin`] | `boltseal-pin` |
//! | [`admission`] | `boltseal-admission` |
//! | [`tuf`] | `boltseal-tuf` |
//! | [`core`](mod@core) | `boltseal-core` (always present) |
//!
//! Each module is a cargo feature of the same name; the default set is all of them (with
//! `aws-lc`, the faster ECDSA backend). Feature `blocking` adds `evidence::blocking` and
//! `sign::blocking` for programs without an async runtime.

#[cfg(feature = "admission")]
pub use boltseal_admission as admission;
/// The shared vocabulary (timestamps, hex, atomic writes, error kinds); always present.
pub use boltseal_core as core;
#[cfg(feature = "envelope")]
pub use boltseal_envelope as envelope;
#[cfg(feature = "evidence")]
pub use boltseal_evidence as evidence;
#[cfg(feature = "keys")]
pub use boltseal_keys as keys;
#[cfg(feature = "oci")]
pub use boltseal_oci as oci;
#[cfg(feature = "pin")]
pub use boltseal_pin as pin;
#[cfg(feature = "policy")]
pub use boltseal_policy as policy;
#[cfg(feature = "reference")]
pub use boltseal_reference as reference;
#[cfg(feature = "sbom")]
pub use boltseal_sbom as sbom;
#[cfg(feature = "scan")]
pub use boltseal_scan as scan;
#[cfg(feature = "sign")]
pub use boltseal_sign as sign;
#[cfg(feature = "tuf")]
pub use boltseal_tuf as tuf;
#[cfg(feature = "verify")]
pub use boltseal_verify as verify;
