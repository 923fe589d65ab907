#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod b64;
pub mod bundle;
pub mod canonical;
pub mod dsse;
mod gojson;
pub mod intoto;
pub mod predicate;
pub mod simple_signing;
pub mod slsa;
mod wire;

pub use b64::Base64Error;

/// Every error of this crate is about input that is not the format it should be.
macro_rules! invalid_input {
    ($($error:ty),* $(,)?) => {$(
        impl boltseal_core::Classify for $error {
            fn kind(&self) -> boltseal_core::ErrorKind {
                boltseal_core::ErrorKind::InvalidInput
            }
        }
    )*};
}

invalid_input!(
    Base64Error,
    bundle::Error,
    bundle::RekorBundleError,
    canonical::Error,
    dsse::Error,
    intoto::Error,
    predicate::Error,
    simple_signing::Error,
    slsa::Error,
);
