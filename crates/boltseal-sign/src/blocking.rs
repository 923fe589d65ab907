//! The everyday signing jobs for programs without an async runtime (feature `blocking`).
//!
//! Each call builds a single-threaded tokio runtime, runs the async function of the same name
//! on it and drops it, so it must not be called from inside an async runtime (tokio refuses
//! to block a runtime thread; use the async API there). Programs that sign many images should
//! keep their own runtime and call the async API.
//!
//! ```
//! use boltseal_keys::PrivateKey;
//! use boltseal_oci::{ImageLocation, RegistryOptions};
//! use boltseal_sign::{SignOptions, blocking};
//!
//! # let dir = tempfile::tempdir()?;
//! # let layout = dir.path().join("app");
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! #     let store = boltseal_oci::LayoutStore::create(layout.clone()).await?;
//! #     let image = boltseal_oci::ImageBuilder::new().file("a", b"a", 0o644).build()?;
//! #     image.write_to(&store, Some("v1")).await
//! # })?;
//! let key = PrivateKey::generate()?;
//! let location: ImageLocation = format!("oci:{}:v1", layout.display()).parse()?;
//! let signed = blocking::sign_image(&location, &RegistryOptions::new(), &key, &SignOptions::new())?;
//! assert_eq!(signed.location, format!("sha256-{}.sig", signed.digest.encoded()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use boltseal_keys::Signer;
use boltseal_oci::{ImageLocation, RegistryOptions};

use crate::error::Error;
use crate::image::{AttestOptions, SignOptions, Signed};

fn block_on<T>(job: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Runtime { source })?;
    runtime.block_on(job)
}

/// [`crate::sign_image_at`], blocking.
///
/// # Errors
/// As [`crate::sign_image_at`]; or [`Error::Runtime`].
pub fn sign_image(
    location: &ImageLocation,
    registry: &RegistryOptions,
    signer: &dyn Signer,
    options: &SignOptions,
) -> Result<Signed, Error> {
    block_on(crate::sign_image_at(location, registry, signer, options))
}

/// [`crate::attest_image_at`], blocking.
///
/// # Errors
/// As [`crate::attest_image_at`]; or [`Error::Runtime`].
pub fn attest_image(
    location: &ImageLocation,
    registry: &RegistryOptions,
    signer: &dyn Signer,
    options: &AttestOptions,
) -> Result<Signed, Error> {
    block_on(crate::attest_image_at(location, registry, signer, options))
}
