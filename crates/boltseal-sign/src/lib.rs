#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod blob;
#[cfg(feature = "blocking")]
pub mod blocking;
mod error;
mod image;
mod location;
pub mod tlog;

pub use blob::{sign_blob, sign_blob_bytes, sign_blob_logged};
pub use error::Error;
pub use image::{
    ANNOTATION_BUNDLE_CONTENT, ANNOTATION_BUNDLE_PREDICATE_TYPE, ANNOTATION_PREDICATE_TYPE,
    ANNOTATION_REKOR_BUNDLE, ANNOTATION_SIGNATURE, AttestOptions, MAX_SIGNATURE_LAYERS,
    SignOptions, SignatureFormat, Signed, UnknownFormat, attach_bundle, attest_image, now_rfc3339,
    sign_image, signature_tag,
};
pub use location::{attest_image_at, sign_image_at, signing_identity};
pub use tlog::{Log, RekorVersion, SigningConfig};
