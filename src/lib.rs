//! boltseal: secure the container supply chain from source code to running Pod.
//!
//! This facade re-exports the boltseal library crates under short names:
//!
//! | module | crate | owns |
//! | --- | --- | --- |
//! | [`reference`] | `boltseal-reference` | image references, digests, media types |
//! | [`oci`] | `boltseal-oci` | the artifact store: OCI layouts and registries, copying |
//!
//! See `ARCHITECTURE.md` for the layering and the examples for how the crates compose.

pub use boltseal_oci as oci;
pub use boltseal_reference as reference;
