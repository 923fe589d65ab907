//! The everyday verifications for programs without an async runtime (feature `blocking`): each
//! call runs on a runtime of its own, started and stopped within the call.

use boltseal_oci::{ManifestRef, RegistryOptions, RegistryStore, Store};
use boltseal_reference::Reference;
use boltseal_verify::{Authority, Claim, Verification, VerifyError};

fn runtime() -> Result<tokio::runtime::Runtime, VerifyError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| VerifyError::unavailable(format!("cannot start a runtime: {e}")))
}

/// [`crate::verify`], blocking the calling thread.
///
/// # Errors
/// As [`crate::verify`].
pub fn verify<S: Store>(
    store: &S,
    reference: &ManifestRef,
    authority: &Authority,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    runtime()?.block_on(crate::verify(store, reference, authority, claim))
}

/// Verifies the image `image` names in its registry (default [`RegistryOptions`]: HTTPS,
/// credentials from the Docker config), blocking the calling thread.
///
/// ```no_run
/// use boltseal_evidence::blocking;
/// use boltseal_keys::PublicKey;
/// use boltseal_verify::{Claim, KeyPolicy};
///
/// let key = PublicKey::from_pem(&std::fs::read("cosign.pub")?)?;
/// let image = "registry.example.com/app:v1".parse()?;
/// let verified = blocking::verify_image(&image, &KeyPolicy::new(key).into(), &Claim::Signature)?;
/// println!("{} is signed", verified.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`crate::verify`].
pub fn verify_image(
    image: &Reference,
    authority: &Authority,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    let store = RegistryStore::new(image, RegistryOptions::default()).map_err(crate::from_oci)?;
    verify(&store, &ManifestRef::of(image), authority, claim)
}
