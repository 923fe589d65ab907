//! Verifying the image a reference names in a [`Store`]: the tag resolved once, the evidence
//! read once under [`EvidenceLimits`], the checks of [`boltseal_verify::image`] run off the
//! reactor.

use boltseal_oci::{ManifestRef, Store};
use boltseal_reference::Digest;
use boltseal_verify::EvidenceLimits;
use boltseal_verify::image::{
    KeyPolicy, KeylessPolicy, VerifiedAttestation, VerifiedImage, VerifiedSignature, VerifyError,
    check_key_attestations, check_key_signatures, check_keyless_attestations,
    check_keyless_signatures,
};

use crate::fetch::{fetch_evidence, off_reactor};
use crate::from_oci;

/// The digest `reference` names in `store`: a digest as it is (signatures are bound to it, so there is
/// nothing to look up; an absent image has no signatures to find), a tag resolved once.
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

/// Verifies the signatures of the image `reference` names in `store` with a key policy: legacy
/// `.sig` layers and Sigstore bundle referrers (DSSE statements of type
/// `https://sigstore.dev/cosign/sign/v1`). The tag is resolved once.
///
/// # Errors
/// [`VerifyError`] when nothing verifies, with every layer's reason.
pub async fn verify_image<S: Store>(
    store: &S,
    reference: &ManifestRef,
    policy: &KeyPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "sig", &EvidenceLimits::default()).await?;
    let policy = policy.clone();
    off_reactor(move || check_key_signatures(&evidence, &policy)).await?
}

/// Verifies the attestations of the image `reference` names: legacy `.att` layers and bundle
/// referrers, keeping statements of `predicate_type` (`None`: any).
///
/// # Errors
/// [`VerifyError`] when nothing verifies or nothing has the predicate type.
pub async fn verify_image_attestations<S: Store>(
    store: &S,
    reference: &ManifestRef,
    policy: &KeyPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "att", &EvidenceLimits::default()).await?;
    let (policy, predicate_type) = (policy.clone(), predicate_type.map(str::to_owned));
    off_reactor(move || check_key_attestations(&evidence, &policy, predicate_type.as_deref()))
        .await?
}

/// Verifies keyless signatures of the image `reference` names: legacy `.sig` layers with a
/// certificate and a Rekor bundle, and Sigstore bundle referrers (chain, SCT, identity,
/// transparency log and timestamps checked by [`boltseal_verify::bundle::Verifier`]).
///
/// # Errors
/// [`VerifyError`] when nothing verifies, with every layer's reason.
pub async fn verify_image_keyless<S: Store>(
    store: &S,
    reference: &ManifestRef,
    policy: &KeylessPolicy,
) -> Result<VerifiedImage<VerifiedSignature>, VerifyError> {
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "sig", &EvidenceLimits::default()).await?;
    let policy = policy.clone();
    off_reactor(move || check_keyless_signatures(&evidence, &policy)).await?
}

/// Verifies keyless attestations of the image `reference` names: legacy `.att` layers with a
/// Fulcio certificate and a Rekor bundle, and Sigstore bundle referrers with a certificate
/// (chain, SCT, identity, transparency log and timestamps checked by
/// [`boltseal_verify::bundle::Verifier`]); keeps statements of `predicate_type` (`None`: any) whose
/// subject is the image digest. The tag is resolved once.
///
/// # Errors
/// [`VerifyError`] when nothing verifies or nothing has the predicate type, with every layer's
/// reason.
pub async fn verify_image_attestations_keyless<S: Store>(
    store: &S,
    reference: &ManifestRef,
    policy: &KeylessPolicy,
    predicate_type: Option<&str>,
) -> Result<VerifiedImage<VerifiedAttestation>, VerifyError> {
    let digest = digest_of(store, reference).await?;
    let evidence = fetch_evidence(store, &digest, "att", &EvidenceLimits::default()).await?;
    let (policy, predicate_type) = (policy.clone(), predicate_type.map(str::to_owned));
    off_reactor(move || check_keyless_attestations(&evidence, &policy, predicate_type.as_deref()))
        .await?
}
