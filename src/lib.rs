#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! | module | crate |
//! | --- | --- |
//! | [`reference`] | `boltseal-reference` |
//! | [`oci`] | `boltseal-oci` |

pub use boltseal_oci as oci;
pub use boltseal_reference as reference;
