#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! | module | crate |
//! | --- | --- |
//! | [`reference`] | `boltseal-reference` |
//! | [`oci`] | `boltseal-oci` |
//! | [`envelope`] | `boltseal-envelope` |
//! | [`sbom`] | `boltseal-sbom` |

pub use boltseal_envelope as envelope;
pub use boltseal_oci as oci;
pub use boltseal_reference as reference;
pub use boltseal_sbom as sbom;
