//! Rekor entry bodies: the logged entry must record this bundle's signature, signer and
//! artifact. Kinds: `hashedrekord` 0.0.1 and 0.0.2, `dsse` 0.0.1 and 0.0.2, `intoto` 0.0.2.

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use boltseal_keys::pem;

/// What the bundle claims, for comparison with the logged entry.
pub(crate) struct Claims<'a> {
    /// The signature bytes (message signature or the DSSE signature).
    pub(crate) signature: &'a [u8],
    /// The signer: the leaf certificate DER, or the public key's SPKI DER.
    pub(crate) signer: Signer<'a>,
    /// What was signed.
    pub(crate) content: Signed<'a>,
}

pub(crate) enum Signer<'a> {
    Certificate(&'a [u8]),
    Key(&'a [u8]),
}

pub(crate) enum Signed<'a> {
    /// A message signature over an artifact with this SHA-256 digest.
    Message { sha256: [u8; 32] },
    /// A DSSE envelope.
    Dsse {
        payload_type: &'a str,
        payload: &'a [u8],
        pae: &'a [u8],
    },
}

fn b64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn get_str<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    get(value, path)?.as_str()
}

fn hex_lower(bytes: &[u8]) -> String {
    boltseal_core::hex::encode(bytes)
}

/// The one signature a `dsse` body records (an entry for several signatures is not this one's).
fn single_signature(spec: &Value) -> Result<&Value, String> {
    let signatures = get(spec, &["signatures"])
        .and_then(Value::as_array)
        .ok_or("dsse body has no signatures")?;
    match signatures.as_slice() {
        [logged] => Ok(logged),
        _ => Err("the log entry does not match the bundle: number of DSSE signatures".to_owned()),
    }
}

/// Whether a base64 PEM (`CERTIFICATE` or `PUBLIC KEY`), as v1 bodies record signers, is the
/// bundle's signer.
fn pem_matches(b64_pem: &str, signer: &Signer<'_>) -> bool {
    let Some(pem_bytes) = b64(b64_pem) else {
        return false;
    };
    match signer {
        Signer::Certificate(der) => pem::decode(&pem_bytes, "CERTIFICATE").is_ok_and(|d| d == *der),
        Signer::Key(spki) => pem::decode(&pem_bytes, "PUBLIC KEY").is_ok_and(|d| d == *spki),
    }
}

/// Whether a v2 `verifier` object (`publicKey.rawBytes` or `x509Certificate.rawBytes`) is the
/// bundle's signer.
fn verifier_matches(verifier: &Value, signer: &Signer<'_>) -> bool {
    match signer {
        Signer::Certificate(der) => get_str(verifier, &["x509Certificate", "rawBytes"])
            .and_then(b64)
            .is_some_and(|d| d == *der),
        Signer::Key(spki) => get_str(verifier, &["publicKey", "rawBytes"])
            .and_then(b64)
            .is_some_and(|d| d == *spki),
    }
}

/// Checks that the entry body records the bundle's claims. `kind` and `version` are the
/// entry's `kindVersion`, which the body must repeat.
pub(crate) fn check(
    body: &[u8],
    kind: &str,
    version: &str,
    claims: &Claims<'_>,
) -> Result<(), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the log entry body is not JSON: {e}"))?;
    if get_str(&value, &["kind"]) != Some(kind) || get_str(&value, &["apiVersion"]) != Some(version)
    {
        return Err("the log entry body's kind or version differs from the entry's".to_owned());
    }
    let spec = value.get("spec").ok_or("the log entry body has no spec")?;
    let mismatch = |what: &str| Err(format!("the log entry does not match the bundle: {what}"));
    match (kind, version, &claims.content) {
        ("hashedrekord", "0.0.1", Signed::Message { sha256 }) => {
            if get_str(spec, &["data", "hash", "algorithm"]) != Some("sha256")
                || get_str(spec, &["data", "hash", "value"]) != Some(hex_lower(sha256).as_str())
            {
                return mismatch("artifact digest");
            }
            if get_str(spec, &["signature", "content"])
                .and_then(b64)
                .as_deref()
                != Some(claims.signature)
            {
                return mismatch("signature");
            }
            if !get_str(spec, &["signature", "publicKey", "content"])
                .is_some_and(|p| pem_matches(p, &claims.signer))
            {
                return mismatch("signer");
            }
            Ok(())
        }
        ("hashedrekord", "0.0.2", content) => {
            let spec = spec
                .get("hashedRekordV002")
                .ok_or("hashedrekord 0.0.2 body has no hashedRekordV002")?;
            let expected: [u8; 32] = match content {
                Signed::Message { sha256 } => *sha256,
                Signed::Dsse { pae, .. } => sha2::Sha256::digest(pae).into(),
            };
            if get_str(spec, &["data", "algorithm"]) != Some("SHA2_256")
                || get_str(spec, &["data", "digest"]).and_then(b64).as_deref()
                    != Some(expected.as_slice())
            {
                return mismatch("artifact digest");
            }
            if get_str(spec, &["signature", "content"])
                .and_then(b64)
                .as_deref()
                != Some(claims.signature)
            {
                return mismatch("signature");
            }
            if !get(spec, &["signature", "verifier"])
                .is_some_and(|v| verifier_matches(v, &claims.signer))
            {
                return mismatch("signer");
            }
            Ok(())
        }
        ("dsse", "0.0.1", Signed::Dsse { payload, .. }) => {
            if get_str(spec, &["payloadHash", "algorithm"]) != Some("sha256")
                || get_str(spec, &["payloadHash", "value"])
                    != Some(hex_lower(&sha2::Sha256::digest(payload)).as_str())
            {
                return mismatch("DSSE payload");
            }
            let logged = single_signature(spec)?;
            if get_str(logged, &["signature"]).and_then(b64).as_deref() != Some(claims.signature) {
                return mismatch("DSSE signature");
            }
            if !get_str(logged, &["verifier"]).is_some_and(|p| pem_matches(p, &claims.signer)) {
                return mismatch("signer");
            }
            Ok(())
        }
        ("dsse", "0.0.2", Signed::Dsse { payload, .. }) => {
            let spec = spec
                .get("dsseV002")
                .ok_or("dsse 0.0.2 body has no dsseV002")?;
            let digest = sha2::Sha256::digest(payload);
            if get_str(spec, &["payloadHash", "algorithm"]) != Some("SHA2_256")
                || get_str(spec, &["payloadHash", "digest"])
                    .and_then(b64)
                    .as_deref()
                    != Some(digest.as_slice())
            {
                return mismatch("DSSE payload");
            }
            let logged = single_signature(spec)?;
            if get_str(logged, &["content"]).and_then(b64).as_deref() != Some(claims.signature) {
                return mismatch("DSSE signature");
            }
            if !get(logged, &["verifier"]).is_some_and(|v| verifier_matches(v, &claims.signer)) {
                return mismatch("signer");
            }
            Ok(())
        }
        (
            "intoto",
            "0.0.2",
            Signed::Dsse {
                payload_type,
                payload,
                ..
            },
        ) => {
            let content = spec.get("content").ok_or("intoto body has no content")?;
            if get_str(content, &["payloadHash", "algorithm"]) != Some("sha256")
                || get_str(content, &["payloadHash", "value"])
                    != Some(hex_lower(&sha2::Sha256::digest(payload)).as_str())
            {
                return mismatch("DSSE payload");
            }
            let envelope = content
                .get("envelope")
                .ok_or("intoto body has no envelope")?;
            if get_str(envelope, &["payloadType"]).is_some_and(|t| t != *payload_type) {
                return mismatch("DSSE payload type");
            }
            let signatures = get(envelope, &["signatures"])
                .and_then(Value::as_array)
                .ok_or("intoto body has no signatures")?;
            let [logged] = signatures.as_slice() else {
                return mismatch("number of DSSE signatures");
            };
            // intoto 0.0.2 stores the signature base64-encoded twice.
            let sig = get_str(logged, &["sig"])
                .and_then(b64)
                .and_then(|inner| String::from_utf8(inner).ok())
                .and_then(|inner| b64(&inner));
            if sig.as_deref() != Some(claims.signature) {
                return mismatch("DSSE signature");
            }
            if !get_str(logged, &["publicKey"]).is_some_and(|p| pem_matches(p, &claims.signer)) {
                return mismatch("signer");
            }
            Ok(())
        }
        _ => Err(format!(
            "log entries of kind {kind} {version} are not supported for this content"
        )),
    }
}
