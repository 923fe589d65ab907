//! Bundles as the `sigstore` crate (sigstore-rs) holds them: a program that already has a
//! `sigstore::bundle::Bundle` hands it to boltseal without re-reading the file.

use boltseal_envelope::bundle::Bundle;
use sigstore_protobuf_specs::dev::sigstore::bundle::v1::Bundle as SigstoreBundle;

use super::{Artifact, Policy, Verified, Verifier, VerifyError};

/// The boltseal bundle a sigstore-rs bundle value holds (through its JSON form, the one both
/// read and write).
///
/// # Errors
/// [`VerifyError`] when the value does not serialize or is not a valid bundle.
pub fn from_sigstore(bundle: &SigstoreBundle) -> Result<Bundle, VerifyError> {
    let json = serde_json::to_vec(bundle)
        .map_err(|e| VerifyError::bundle(format!("sigstore bundle value: {e}")))?;
    Bundle::parse(&json).map_err(|e| VerifyError::bundle(e.to_string()))
}

/// The sigstore-rs bundle value of a boltseal bundle.
///
/// # Errors
/// [`VerifyError`] when sigstore-rs does not accept the bundle's JSON.
pub fn to_sigstore(bundle: &Bundle) -> Result<SigstoreBundle, VerifyError> {
    serde_json::from_slice(&bundle.to_bytes())
        .map_err(|e| VerifyError::bundle(format!("sigstore bundle value: {e}")))
}

impl Verifier<'_> {
    /// [`Verifier::verify`] for a bundle value of the `sigstore` crate.
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub fn verify_sigstore(
        &self,
        bundle: &SigstoreBundle,
        artifact: &Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        self.verify(&from_sigstore(bundle)?, artifact, policy)
    }
}
