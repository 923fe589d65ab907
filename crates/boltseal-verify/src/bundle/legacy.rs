//! Checks for cosign's legacy layouts outside bundles: Fulcio certificates and Rekor SETs in
//! layer annotations, and the log entries that must record a legacy attestation.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Verifies a Fulcio certificate outside a bundle (cosign's legacy keyless image signatures:
/// the `dev.sigstore.cosign/certificate` annotation, PEM or DER) for one of `policy`'s
/// identities, at the given verified signing times (Unix seconds, e.g. from
/// [`verify_rekor_bundle`] or an RFC 3161 timestamp): at each time the certificate chains to a
/// Fulcio CA of `trust`; it carries an SCT from a trusted CT log unless the policy waives it;
/// its identity matches. Returns the signer and the certificate's public key, which the caller
/// then verifies the signature with.
///
/// A `dev.sigstore.cosign/chain` annotation adds nothing: paths are built from the trusted
/// root's CA chains only.
///
/// # Errors
/// [`VerifyError`] when the certificate does not parse, a key policy is given, no time is given,
/// or a check fails.
pub fn verify_certificate(
    certificate: &[u8],
    policy: &Policy,
    signing_times: &[i64],
    trust: &TrustedRoot,
) -> Result<(VerifiedSigner, PublicKey), VerifyError> {
    let Signer::Identity(identities) = &policy.signer else {
        return fail("a certificate is verified against identities, not a key");
    };
    let der = boltseal_keys::pem::decode(certificate, "CERTIFICATE")
        .ok()
        .unwrap_or_else(|| certificate.to_vec());
    let leaf = x509::Certificate::parse(&der)
        .map_err(|e| VerifyError::bundle(format!("certificate: {e}")))?;
    let key = leaf
        .public_key()
        .ok_or_else(|| VerifyError::bundle("the certificate's public key is not supported"))?;
    let times: Vec<Nanos> = signing_times.iter().map(|&t| time::from_unix(t)).collect();
    let signer = check_certificate(&leaf, identities, &times, policy.require_sct, trust)?;
    Ok((signer, key))
}

/// Verifies cosign's `dev.sigstore.cosign/bundle` annotation (the Rekor SET) against the logs
/// of `trust` and returns the integrated time it vouches for (Unix seconds). The caller still
/// checks that the entry body records its signature, key or certificate and payload.
///
/// # Errors
/// [`VerifyError`] when no trusted log has the annotation's log id, the SET does not verify, or
/// the integrated time is outside the log key's validity.
pub fn verify_rekor_bundle(
    annotation: &boltseal_envelope::bundle::RekorBundle,
    trust: &TrustedRoot,
) -> Result<i64, VerifyError> {
    let log_id = annotation
        .payload
        .log_id_bytes()
        .map_err(|e| VerifyError::bundle(e.to_string()))?;
    let mut found = false;
    for log in trust.tlogs_by_id(&log_id) {
        found = true;
        let Some(key) = log.key() else { continue };
        if key
            .verify(
                &annotation.payload.canonical_bytes(),
                &annotation.signed_entry_timestamp,
            )
            .is_ok()
            && log.validity().contains(annotation.payload.integrated_time)
        {
            return Ok(annotation.payload.integrated_time);
        }
    }
    if found {
        fail("the Rekor SET does not verify with the log's key at its integrated time")
    } else {
        fail("the Rekor bundle is from a log the trusted root does not list")
    }
}

/// The leaf chains to some certificate authority of `trust` at `at`; returns the leaf's issuer.
pub(crate) fn verify_leaf_at(
    leaf: &x509::Certificate,
    trust: &TrustedRoot,
    at: Nanos,
) -> Result<x509::Certificate, VerifyError> {
    let mut reasons = Vec::new();
    for authority in trust.certificate_authorities() {
        match x509::verify_path(leaf, authority, at, x509::EKU_CODE_SIGNING) {
            Ok(issuer) => return Ok(issuer),
            Err(e) => reasons.push(e),
        }
    }
    if reasons.is_empty() {
        return fail("the trusted root has no certificate authority");
    }
    reasons.dedup();
    fail(format!("certificate chain: {}", reasons.join("; ")))
}

/// Checks that a Rekor entry body outside a bundle (cosign's legacy `dev.sigstore.cosign/bundle`
/// annotation on an `.att` layer) records this DSSE envelope, this signature and this
/// certificate. The body names its own kind and version (`intoto` 0.0.2, `dsse` 0.0.1/0.0.2,
/// `hashedrekord` 0.0.2 over the PAE).
pub(crate) fn check_logged_envelope(
    body: &[u8],
    signature: &[u8],
    certificate_der: &[u8],
    envelope: &dsse::Envelope,
    pae: &[u8],
) -> Result<(), String> {
    check_logged_envelope_by(
        body,
        signature,
        body::Signer::Certificate(certificate_der),
        envelope,
        pae,
    )
}

/// Whether one of `entries` is in a log of `logs` (SET or inclusion proof) and records
/// `envelope`, its `signature` and the key `spki`: a key-signed bundle under a
/// transparency-log requirement.
pub(crate) fn check_key_bundle_entries(
    entries: &[boltseal_envelope::bundle::TransparencyLogEntry],
    logs: &TrustedRoot,
    signature: &[u8],
    spki: &[u8],
    envelope: &dsse::Envelope,
) -> Result<(), String> {
    let pae = envelope.pae();
    let mut last = "the bundle has no transparency-log entry".to_owned();
    for entry in entries {
        let checked = tlog::verify_entry(entry, logs).and_then(|_| {
            check_logged_envelope_by_key(&entry.canonicalized_body, signature, spki, envelope, &pae)
        });
        match checked {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// [`check_logged_envelope`] for an envelope signed with a key (`spki`, DER), as `cosign attest
/// --key` logs it.
pub(crate) fn check_logged_envelope_by_key(
    body: &[u8],
    signature: &[u8],
    spki: &[u8],
    envelope: &dsse::Envelope,
    pae: &[u8],
) -> Result<(), String> {
    check_logged_envelope_by(body, signature, body::Signer::Key(spki), envelope, pae)
}

fn check_logged_envelope_by(
    body: &[u8],
    signature: &[u8],
    signer: body::Signer<'_>,
    envelope: &dsse::Envelope,
    pae: &[u8],
) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the log entry body is not JSON: {e}"))?;
    let kind = value.get("kind").and_then(serde_json::Value::as_str);
    let version = value.get("apiVersion").and_then(serde_json::Value::as_str);
    let (Some(kind), Some(version)) = (kind, version) else {
        return Err("the log entry body names no kind and version".to_owned());
    };
    let claims = body::Claims {
        signature,
        signer,
        content: body::Signed::Dsse {
            payload_type: &envelope.payload_type,
            payload: &envelope.payload,
            pae,
        },
    };
    body::check(body, kind, version, &claims)
}
