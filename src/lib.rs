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
//! | [`policy`] | `boltseal-policy` |
//! | [`pin`] | `boltseal-pin` |
//! | [`admission`] | `boltseal-admission` |

pub use boltseal_admission as admission;
pub use boltseal_envelope as envelope;
pub use boltseal_keys as keys;
pub use boltseal_oci as oci;
pub use boltseal_pin as pin;
pub use boltseal_policy as policy;
pub use boltseal_reference as reference;
pub use boltseal_sbom as sbom;
pub use boltseal_scan as scan;
pub use boltseal_sign as sign;
pub use boltseal_verify as verify;
