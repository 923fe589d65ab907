#![doc = include_str!("../README.md")]

mod digest;
pub mod media_type;
mod reference;

pub use digest::{Algorithm, Digest, DigestError, Digester};
pub use reference::{Reference, ReferenceError};
