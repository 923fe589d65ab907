//! Verifying the image a reference names in a [`Store`]: the tag resolved once, the evidence
//! read once under [`EvidenceLimits`], [`boltseal_verify::check`] run off the reactor.

use boltseal_oci::{ManifestRef, Store};
use boltseal_reference::Digest;
use boltseal_verify::{Authority, Claim, EvidenceLimits, Verification, VerifyError};

use crate::fetch::{fetch_evidence, off_reactor};
use crate::from_oci;

/// The digest `reference` names in `store`: a digest as it is (signatures are bound to it, so
/// there is nothing to look up; an absent image has no signatures to find), a tag resolved once.
///
/// # Errors
/// [`VerifyError`] (unavailable when the registry could not be reached) when a tag does not
/// resolve.
pub async fn digest_of<S: Store>(
    store: &S,
    reference: &ManifestRef,
) -> Result<Digest, VerifyError> {
    match reference {
        ManifestRef::Digest(d) => Ok(*d),
        _ => Ok(store.resolve(reference).await.map_err(from_oci)?.digest),
    }
}

/// Verifies that `authority` vouched for `claim` about the image `reference` names in `store`:
/// legacy `.sig`/`.att` layers and Sigstore bundle referrers, read under the default
/// [`EvidenceLimits`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use boltseal_evidence::verify;
/// use boltseal_keys::PublicKey;
/// use boltseal_oci::{ManifestRef, RegistryOptions, RegistryStore};
/// use boltseal_reference::Reference;
/// use boltseal_verify::{Claim, KeyPolicy};
///
/// let image: Reference = "registry.example.com/app:v1".parse()?;
/// let store = RegistryStore::new(&image, RegistryOptions::default())?;
/// let key = PublicKey::from_pem(&std::fs::read("cosign.pub")?)?;
/// let verified = verify(&store, &ManifestRef::of(&image), &KeyPolicy::new(key).into(), &Claim::Signature).await?;
/// println!("{} signature(s) on {}", verified.verified.len(), verified.digest);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`VerifyError`] when nothing verifies (with the first reasons), or the evidence could not be
/// read.
pub async fn verify<S: Store>(
    store: &S,
    reference: &ManifestRef,
    authority: &Authority,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    verify_with_limits(
        store,
        reference,
        authority,
        claim,
        &EvidenceLimits::default(),
    )
    .await
}

/// [`verify`] under explicit evidence limits.
///
/// # Errors
/// As [`verify`].
pub async fn verify_with_limits<S: Store>(
    store: &S,
    reference: &ManifestRef,
    authority: &Authority,
    claim: &Claim,
    limits: &EvidenceLimits,
) -> Result<Verification, VerifyError> {
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, claim.evidence_kind(), limits).await?;
    let (authority, claim) = (authority.clone(), claim.clone());
    off_reactor(move || boltseal_verify::check(&evidence, &authority, &claim)).await?
}
