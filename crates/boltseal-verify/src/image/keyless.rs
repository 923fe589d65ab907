//! Keyless checks: legacy layers with a Fulcio certificate and a Rekor bundle, and Sigstore
//! bundles with a certificate.

use boltseal_envelope::bundle::{Bundle, RekorBundle};
use boltseal_reference::Digest;

use super::key::check_payload;
use super::{
    ANNOTATION_CERTIFICATE, ANNOTATION_REKOR_BUNDLE, KeylessPolicy, Layout, SignatureLayer, Signer,
    Verified, attestation_envelope, check_hashedrekord, check_statement, layer_signature,
};
use crate::bundle::{VerifiedSigner, verify_certificate, verify_rekor_bundle};
use crate::evidence::EvidenceLimits;
use crate::trust::PublicKey;

fn signer_of(v: VerifiedSigner) -> Signer {
    match v {
        VerifiedSigner::Certificate {
            subject_alternative_names,
            issuer,
            ..
        } => Signer::Certificate {
            subject_alternative_names,
            issuer,
        },
        // A keyless policy never yields a key signer; nothing else is reachable.
        VerifiedSigner::Key { .. } => Signer::Certificate {
            subject_alternative_names: Vec::new(),
            issuer: None,
        },
    }
}

/// The certificate and the Rekor bundle of a keyless legacy layer: the SET gives the signing
/// time, and the certificate must chain to a Fulcio CA at that time with a matching identity.
/// Returns the signer, the certificate's key, the certificate's DER and the log entry body.
fn certificate_and_entry(
    layer: &SignatureLayer,
    policy: &KeylessPolicy,
    what: &str,
) -> Result<(Signer, PublicKey, Vec<u8>, Vec<u8>), String> {
    let certificate = layer
        .annotations
        .get(ANNOTATION_CERTIFICATE)
        .ok_or_else(|| format!("no certificate: not a keyless {what}"))?;
    let rekor_text = layer
        .annotations
        .get(ANNOTATION_REKOR_BUNDLE)
        .ok_or_else(|| format!("no Rekor bundle: a keyless {what} needs a logged signing time"))?;
    let rekor =
        RekorBundle::parse(rekor_text.as_bytes()).map_err(|e| format!("Rekor bundle: {e}"))?;
    let time = verify_rekor_bundle(&rekor, &policy.trust).map_err(|e| e.reason().to_owned())?;
    let (signer, key) = verify_certificate(
        certificate.as_bytes(),
        &policy.bundle_policy(),
        &[time],
        &policy.trust,
    )
    .map_err(|e| e.reason().to_owned())?;
    let body = rekor
        .payload
        .body_bytes()
        .map_err(|e| format!("Rekor entry body: {e}"))?;
    Ok((
        signer_of(signer),
        key,
        pem_der(certificate.as_bytes()),
        body,
    ))
}

/// A keyless legacy `.sig` layer: the payload first, then the certificate at the logged time,
/// the signature with the certificate's key, and a log entry recording this payload, signature
/// and certificate.
pub(super) fn legacy_signature(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeylessPolicy,
) -> Result<Verified, String> {
    let (_, signature) = layer_signature(layer)?;
    check_payload(digest, layer, &policy.annotations)?;
    let (signer, key, certificate, body) = certificate_and_entry(layer, policy, "signature")?;
    key.verify(&layer.blob, &signature)
        .map_err(|_| "signature does not verify with the certificate's key".to_owned())?;
    let logged = check_hashedrekord(&body, &layer.blob, &signature)?;
    if certificate.is_empty() || pem_der(&logged) != certificate {
        return Err("Rekor entry is for another certificate".to_owned());
    }
    Ok(Verified {
        layout: Layout::Legacy,
        signer,
        payload: serde_json::from_slice(&layer.blob).map_err(|e| e.to_string())?,
        statement: None,
    })
}

/// A keyless legacy `.att` layer (what `cosign attest` writes with a Fulcio certificate): the
/// statement first, then the certificate at the logged time, a DSSE signature with its key,
/// and a log entry (`intoto` 0.0.2 or `dsse` 0.0.1/0.0.2) recording this envelope, signature
/// and certificate.
pub(super) fn legacy_attestation(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeylessPolicy,
    limits: &EvidenceLimits,
) -> Result<Verified, String> {
    let envelope = attestation_envelope(layer, limits)?;
    let (statement, payload) = check_statement(digest, &envelope.payload, &policy.annotations)?;
    let (signer, key, certificate, body) = certificate_and_entry(layer, policy, "attestation")?;
    let pae = envelope.pae();
    let signature = envelope
        .signatures
        .iter()
        .find(|s| key.verify(&pae, &s.sig).is_ok())
        .ok_or("envelope signature does not verify with the certificate's key")?;
    crate::bundle::check_logged_envelope(&body, &signature.sig, &certificate, &envelope, &pae)
        .map_err(|e| format!("Rekor entry: {e}"))?;
    Ok(Verified {
        layout: Layout::Legacy,
        signer,
        payload,
        statement: Some(statement),
    })
}

/// A keyless bundle: chain, SCT, identity, transparency log and timestamps checked by
/// [`crate::bundle::Verifier`], then the statement about the image with its annotations.
pub(super) fn bundle(
    digest: &Digest,
    bundle: &Bundle,
    policy: &KeylessPolicy,
) -> Result<Verified, String> {
    let verified = crate::bundle::Verifier::new(&policy.trust)
        .verify(
            bundle,
            &crate::bundle::Artifact::Digest(*digest),
            &policy.bundle_policy(),
        )
        .map_err(|e| e.reason().to_owned())?;
    let (_, payload) = verified
        .dsse_payload
        .as_ref()
        .ok_or("not a DSSE envelope: not an in-toto statement")?;
    let (statement, payload) = check_statement(digest, payload, &policy.annotations)?;
    Ok(Verified {
        layout: Layout::Bundle,
        signer: signer_of(verified.signer),
        payload,
        statement: Some(statement),
    })
}

/// The DER inside the first PEM block (or the input when it is not PEM; nothing when the PEM
/// is malformed).
fn pem_der(input: &[u8]) -> Vec<u8> {
    match boltseal_keys::pem::parse_all(input) {
        Ok(blocks) if blocks.is_empty() => input.to_vec(),
        Ok(blocks) => blocks
            .into_iter()
            .next()
            .map(|b| b.into_contents())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}
