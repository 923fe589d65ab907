//! Image references, digests and media types: the vocabulary every other boltseal crate speaks.
//!
//! This crate is sans-I/O and allocation-frugal. It owns three things:
//!
//! - [`Digest`]: a validated content digest (`sha256`, `sha384`, `sha512`; lowercase hex only, so
//!   every digest has exactly one spelling), plus a streaming [`Digester`].
//! - [`Reference`]: the docker/distribution reference grammar with Docker's normalization
//!   (`docker.io` default domain, `library/` for official images, the familiar short form).
//! - [`media_type`]: the media type strings of OCI, Docker and Sigstore artifacts.
//!
//! ```
//! use boltseal_reference::{Digest, Reference};
//!
//! let r: Reference = "nginx:1.27".parse()?;
//! assert_eq!(r.registry(), "docker.io");
//! assert_eq!(r.repository(), "library/nginx");
//! assert_eq!(r.familiar(), "nginx:1.27");
//!
//! let d = Digest::sha256_of(b"hello");
//! assert_eq!(d.algorithm().as_str(), "sha256");
//! assert_eq!(d.to_string().parse::<Digest>()?, d);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//! - `oci-spec`: conversions to and from `oci_spec::distribution::Reference`.

mod digest;
pub mod media_type;
mod reference;

pub use digest::{Algorithm, Digest, DigestError, Digester};
pub use reference::{Reference, ReferenceError};
