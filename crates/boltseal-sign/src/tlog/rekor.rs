//! Rekor's wire formats: the entry requests of API v1 and v2, their answers, one bounded POST.

use std::time::Duration;

use base64::Engine as _;
use boltseal_envelope::bundle::{InclusionProof, TransparencyLogEntry};
use boltseal_envelope::dsse;
use boltseal_keys::{KeyAlgorithm, PublicKey};
use serde::Deserialize;
use serde_json::{Value, json};

use super::RekorVersion;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The protobuf-specs `PublicKeyDetails` name of a key (Rekor v2 verifiers).
fn key_details(key: &PublicKey) -> &'static str {
    match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
        KeyAlgorithm::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
        KeyAlgorithm::EcdsaP521 => "PKIX_ECDSA_P521_SHA_512",
        KeyAlgorithm::Ed25519 => "PKIX_ED25519",
        KeyAlgorithm::Rsa => "PKIX_RSA_PKCS1V15_2048_SHA256",
        _ => "PKIX_RSA_PSS_2048_SHA256",
    }
}

fn v2_verifier(key: &PublicKey) -> Value {
    json!({"publicKey": {"rawBytes": b64(key.spki_der())}, "keyDetails": key_details(key)})
}

/// v1 bodies name the signer by the base64 of its PEM.
fn v1_key(key: &PublicKey) -> String {
    b64(key.to_pem().as_bytes())
}

/// The request logging a message signature over data whose SHA-256 is `sha256`.
pub(super) fn message_request(
    version: RekorVersion,
    sha256: &[u8; 32],
    signature: &[u8],
    key: &PublicKey,
) -> Value {
    match version {
        RekorVersion::V1 => json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": boltseal_core::hex::encode(sha256)}},
                "signature": {"content": b64(signature), "publicKey": {"content": v1_key(key)}},
            },
        }),
        RekorVersion::V2 => json!({
            "hashedRekordRequestV002": {
                "digest": b64(sha256),
                "signature": {"content": b64(signature), "verifier": v2_verifier(key)},
            },
        }),
    }
}

/// The request logging a DSSE envelope.
pub(super) fn envelope_request(
    version: RekorVersion,
    envelope: &dsse::Envelope,
    key: &PublicKey,
) -> Value {
    match version {
        RekorVersion::V1 => json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {"proposedContent": {
                "envelope": String::from_utf8_lossy(&envelope.to_bytes()),
                "verifiers": [v1_key(key)],
            }},
        }),
        RekorVersion::V2 => {
            let envelope: Value = serde_json::from_slice(&envelope.to_bytes()).unwrap_or_default();
            json!({"dsseRequestV002": {"envelope": envelope, "verifiers": [v2_verifier(key)]}})
        }
    }
}

/// POSTs `request` as JSON and returns the answer's body (a 201, at most `max` bytes, within
/// `timeout`).
pub(super) async fn post(
    url: &str,
    request: &Value,
    timeout: Duration,
    max: u64,
) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("boltseal/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot create an HTTP client: {e}"))?;
    let body = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    let mut response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    if response.content_length().is_some_and(|n| n > max) {
        return Err(format!("the answer is larger than {max} bytes"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
    {
        if bytes.len() as u64 + chunk.len() as u64 > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    if status != reqwest::StatusCode::CREATED {
        let text = String::from_utf8_lossy(&bytes);
        let text: String = text.trim().chars().take(200).collect();
        return Err(format!("POST {url}: HTTP {status}: {text}"));
    }
    Ok(bytes)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Entry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: i64,
    verification: V1Verification,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Verification {
    signed_entry_timestamp: String,
    #[serde(default)]
    inclusion_proof: Option<V1Proof>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Proof {
    log_index: i64,
    tree_size: i64,
    root_hash: String,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: String,
}

fn unb64(what: &str, text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| format!("{what} is not base64"))
}

fn unhex(what: &str, text: &str) -> Result<Vec<u8>, String> {
    boltseal_core::hex::decode(text).map_err(|_| format!("{what} is not hex"))
}

/// A v1 answer: `{"<uuid>": {body, integratedTime, logID, logIndex, verification}}`.
pub(super) fn parse_v1(bytes: &[u8]) -> Result<TransparencyLogEntry, String> {
    let map: serde_json::Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let [(_, value)] = <[_; 1]>::try_from(map.into_iter().collect::<Vec<_>>())
        .map_err(|_| "it does not hold exactly one entry".to_owned())?;
    let entry: V1Entry = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let body = unb64("body", &entry.body)?;
    // The entry type is the body's own `kind` and `apiVersion` (as sigstore-go reads it).
    let parsed: Value = serde_json::from_slice(&body).map_err(|_| "body is not JSON")?;
    let field = |name: &str| parsed.get(name).and_then(Value::as_str).unwrap_or_default();
    let mut out = TransparencyLogEntry::new(
        entry.log_index,
        unhex("logID", &entry.log_id)?,
        field("kind"),
        field("apiVersion"),
        entry.integrated_time,
        body.clone(),
    )
    .with_inclusion_promise(unb64(
        "signedEntryTimestamp",
        &entry.verification.signed_entry_timestamp,
    )?);
    if let Some(proof) = entry.verification.inclusion_proof {
        let hashes = proof
            .hashes
            .iter()
            .map(|h| unhex("inclusion proof hash", h))
            .collect::<Result<_, _>>()?;
        out = out.with_inclusion_proof(InclusionProof::new(
            proof.log_index,
            unhex("rootHash", &proof.root_hash)?,
            proof.tree_size,
            hashes,
            Some(proof.checkpoint),
        ));
    }
    Ok(out)
}

/// A v2 answer: a `TransparencyLogEntry` in protobuf JSON, as bundles carry it.
pub(super) fn parse_v2(bytes: &[u8]) -> Result<TransparencyLogEntry, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}
