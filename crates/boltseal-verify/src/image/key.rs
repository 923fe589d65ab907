//! Key-based checks: legacy simple-signing and attestation layers, and key-signed bundles.

use boltseal_envelope::bundle::{Bundle, RekorBundle, VerificationContent};
use boltseal_envelope::dsse;
use boltseal_envelope::simple_signing::SimpleSigning;
use boltseal_keys::{Backend, PublicKey};
use boltseal_reference::Digest;

use super::{
    ANNOTATION_REKOR_BUNDLE, IdentityCheck, KeyPolicy, Layout, SignatureLayer, Signer, Verified,
    attestation_envelope, check_envelope, check_hashedrekord, check_statement, layer_signature,
};
use crate::evidence::EvidenceLimits;

/// A legacy `.sig` layer: the payload names the image with every required annotation and the
/// identity, then the signature verifies with a key, then (when required) the Rekor entry.
pub(super) fn legacy_signature(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeyPolicy,
) -> Result<Verified, String> {
    let (_, signature) = layer_signature(layer)?;
    let payload = check_payload(digest, layer, &policy.annotations)?;
    policy.identity.check(&payload.docker_reference)?;
    let key = policy
        .verify_any(&layer.blob, &signature)
        .ok_or("signature does not verify with the key")?;
    if !policy.rekor_keys.is_empty() {
        let bundle = verified_rekor_bundle(layer, &policy.rekor_keys, policy.backend)?;
        let body = bundle
            .payload
            .body_bytes()
            .map_err(|e| format!("Rekor entry body: {e}"))?;
        let logged = check_hashedrekord(&body, &layer.blob, &signature)?;
        if PublicKey::from_pem(&logged).ok().as_ref() != Some(key) {
            return Err("Rekor entry is for another key".to_owned());
        }
    }
    Ok(Verified {
        layout: Layout::Legacy,
        signer: Signer::Key(key.clone()),
        payload: serde_json::from_slice(&layer.blob).map_err(|e| e.to_string())?,
        statement: None,
    })
}

/// The checks on a payload before its signature: a simple-signing document about `digest`
/// carrying every required annotation.
pub(super) fn check_payload(
    digest: &Digest,
    layer: &SignatureLayer,
    annotations: &std::collections::BTreeMap<String, String>,
) -> Result<SimpleSigning, String> {
    let payload = SimpleSigning::parse(&layer.blob).map_err(|e| e.to_string())?;
    if payload.manifest_digest != *digest {
        return Err(format!(
            "payload signs {}, not the image {digest}",
            payload.manifest_digest
        ));
    }
    for (k, v) in annotations {
        if payload.annotation(k) != Some(v.as_str()) {
            return Err(format!("annotation {k}={v} not signed"));
        }
    }
    Ok(payload)
}

/// A legacy `.att` layer: a DSSE envelope whose statement is about the image, signed by a key,
/// and (when required) logged.
pub(super) fn legacy_attestation(
    digest: &Digest,
    layer: &SignatureLayer,
    policy: &KeyPolicy,
    limits: &EvidenceLimits,
) -> Result<Verified, String> {
    let envelope = attestation_envelope(layer, limits)?;
    let (verified, key, signature) = verify_envelope(digest, &envelope, policy)?;
    if !policy.rekor_keys.is_empty() {
        let bundle = verified_rekor_bundle(layer, &policy.rekor_keys, policy.backend)?;
        let body = bundle
            .payload
            .body_bytes()
            .map_err(|e| format!("Rekor entry body: {e}"))?;
        crate::bundle::check_logged_envelope_by_key(
            &body,
            &signature,
            &key.to_spki_der(),
            &envelope,
            &envelope.pae(),
        )
        .map_err(|e| format!("Rekor entry: {e}"))?;
    }
    Ok(Verified {
        layout: Layout::Legacy,
        ..verified
    })
}

/// A key-signed bundle: the key hint names a policy key, the statement is about the image,
/// a signature verifies, and (when required) a log entry records it.
pub(super) fn bundle(
    digest: &Digest,
    bundle: &Bundle,
    envelope: &dsse::Envelope,
    policy: &KeyPolicy,
    limits: &EvidenceLimits,
) -> Result<Verified, String> {
    check_hint(bundle, policy)?;
    check_envelope(envelope, limits)?;
    let (verified, key, signature) = verify_envelope(digest, envelope, policy)?;
    if !policy.rekor_keys.is_empty() {
        let logs = policy
            .rekor_keys
            .iter()
            .cloned()
            .fold(crate::trust::TrustedRoot::empty(), |root, k| {
                root.with_tlog("rekor", k, 0)
            });
        crate::bundle::check_key_bundle_entries(
            &bundle.verification_material.tlog_entries,
            &logs,
            &signature,
            &key.to_spki_der(),
            envelope,
        )
        .map_err(|e| format!("a transparency-log entry is required: {e}"))?;
    }
    Ok(verified)
}

/// The statement (subject digest, annotations) first, then a signature by a policy key.
/// Returns what verified, the key and the signature bytes that verified.
fn verify_envelope(
    digest: &Digest,
    envelope: &dsse::Envelope,
    policy: &KeyPolicy,
) -> Result<(Verified, PublicKey, Vec<u8>), String> {
    let (statement, json) = check_statement(digest, &envelope.payload, &policy.annotations)?;
    let pae = envelope.pae();
    let (key, signature) = envelope
        .signatures
        .iter()
        .find_map(|s| {
            policy
                .verify_any(&pae, &s.sig)
                .map(|k| (k.clone(), s.sig.clone()))
        })
        .ok_or("envelope signature does not verify with the key")?;
    let verified = Verified {
        layout: Layout::Bundle,
        signer: Signer::Key(key.clone()),
        payload: json,
        statement: Some(statement),
    };
    Ok((verified, key, signature))
}

/// The key hint of a bundle against the policy's keys (a bundle for another key is reported as
/// such rather than as a bad signature); bundles that cannot satisfy the policy are refused: a
/// bundle statement names no `docker-reference`, so an identity check cannot pass.
fn check_hint(bundle: &Bundle, policy: &KeyPolicy) -> Result<(), String> {
    if policy.identity != IdentityCheck::Ignore {
        return Err("bundle signatures carry no signed identity to check".to_owned());
    }
    match &bundle.verification_material.content {
        VerificationContent::PublicKey { hint } if !hint.is_empty() => {
            if policy.keys.iter().any(|k| k.hint() == *hint) {
                Ok(())
            } else {
                Err(format!("signed by another key (hint {hint})"))
            }
        }
        VerificationContent::PublicKey { .. } => Ok(()),
        _ => Err("signed with a certificate (keyless); verify with an identity".to_owned()),
    }
}

/// The layer's legacy Rekor bundle, its SET verified with one of `rekor_keys`.
fn verified_rekor_bundle(
    layer: &SignatureLayer,
    rekor_keys: &[PublicKey],
    backend: Backend,
) -> Result<RekorBundle, String> {
    let text = layer
        .annotations
        .get(ANNOTATION_REKOR_BUNDLE)
        .ok_or("no Rekor bundle annotation, but a transparency-log entry is required")?;
    let bundle = RekorBundle::parse(text.as_bytes()).map_err(|e| format!("Rekor bundle: {e}"))?;
    let canonical = bundle.payload.canonical_bytes();
    if !rekor_keys.iter().any(|k| {
        k.verify_der_with(backend, &canonical, &bundle.signed_entry_timestamp)
            .is_ok()
    }) {
        return Err("Rekor SET does not verify with the Rekor key".to_owned());
    }
    Ok(bundle)
}
