//! Rekor entries: the signed entry timestamp (SET), the inclusion proof and its signed
//! checkpoint, for Rekor v1 and v2 logs.

use boltseal_envelope::bundle::{RekorPayload, TransparencyLogEntry};

use super::checkpoint::Checkpoint;
use super::merkle;
use crate::trust::time::{self, Nanos};
use crate::trust::{TransparencyLog, TrustedRoot};

/// What a verified entry establishes.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedEntry {
    /// The integrated time, when a SET from the log vouches for it.
    pub(crate) integrated_time: Option<Nanos>,
}

fn hex(bytes: &[u8]) -> String {
    boltseal_core::hex::encode(bytes)
}

/// Verifies one entry against the logs of `trust`: the log is known by its id, the SET (when
/// present) verifies over the RFC 8785 payload and the integrated time is inside the key's
/// validity; the inclusion proof (when present) leads from the entry's leaf to its root hash,
/// and the checkpoint carrying that root is signed by the log. An entry needs at least one of
/// SET and proof; a proof needs its checkpoint. Rekor v2 entries (kind version 0.0.2) need a
/// proof and have no integrated time.
pub(crate) fn verify_entry(
    entry: &TransparencyLogEntry,
    trust: &TrustedRoot,
) -> Result<VerifiedEntry, String> {
    let log_id = entry
        .log_id
        .as_ref()
        .map(|id| id.key_id.as_slice())
        .unwrap_or_default();
    let logs: Vec<&TransparencyLog> = trust.tlogs_by_id(log_id).collect();
    if logs.is_empty() {
        return Err(
            "transparency log entry is from a log the trusted root does not list".to_owned(),
        );
    }
    let version = entry
        .kind_version
        .as_ref()
        .map(|kv| kv.version.as_str())
        .unwrap_or_default();
    let rekor_v2 = version == "0.0.2"
        && entry
            .kind_version
            .as_ref()
            .is_some_and(|kv| kv.kind == "hashedrekord" || kv.kind == "dsse");
    if entry.inclusion_promise.is_none() && entry.inclusion_proof.is_none() {
        return Err(
            "transparency log entry has neither an inclusion promise nor an inclusion proof"
                .to_owned(),
        );
    }
    if rekor_v2 && entry.inclusion_proof.is_none() {
        return Err("Rekor v2 entry has no inclusion proof".to_owned());
    }
    let mut last_error = String::new();
    for log in logs {
        let Some(key) = log.key() else {
            last_error = "the log's key algorithm is not supported".to_owned();
            continue;
        };
        let mut integrated_time = None;
        if let Some(promise) = &entry.inclusion_promise {
            if rekor_v2 {
                last_error = "Rekor v2 entry carries an inclusion promise".to_owned();
                continue;
            }
            let payload = RekorPayload::new(
                &entry.canonicalized_body,
                entry.integrated_time,
                entry.log_index,
                hex(log_id),
            );
            if key
                .verify(&payload.canonical_bytes(), &promise.signed_entry_timestamp)
                .is_err()
            {
                last_error = "the signed entry timestamp (SET) does not verify with the log's key"
                    .to_owned();
                continue;
            }
            let at = time::from_unix(entry.integrated_time);
            if !log.validity().contains_nanos(at) {
                last_error = "the integrated time is outside the log key's validity".to_owned();
                continue;
            }
            integrated_time = Some(at);
        }
        if let Some(proof) = &entry.inclusion_proof
            && let Err(e) = verify_inclusion(entry, proof, log)
        {
            last_error = e;
            continue;
        }
        return Ok(VerifiedEntry { integrated_time });
    }
    Err(last_error)
}

fn verify_inclusion(
    entry: &TransparencyLogEntry,
    proof: &boltseal_envelope::bundle::InclusionProof,
    log: &TransparencyLog,
) -> Result<(), String> {
    let (Ok(index), Ok(size)) = (
        u64::try_from(proof.log_index),
        u64::try_from(proof.tree_size),
    ) else {
        return Err("inclusion proof has a negative index or size".to_owned());
    };
    let hashes: Vec<merkle::Hash> = proof
        .hashes
        .iter()
        .map(|h| h.as_slice().try_into())
        .collect::<Result<_, _>>()
        .map_err(|_| "inclusion proof hash is not 32 bytes".to_owned())?;
    let root: merkle::Hash = proof
        .root_hash
        .as_slice()
        .try_into()
        .map_err(|_| "inclusion proof root hash is not 32 bytes".to_owned())?;
    let leaf = merkle::leaf_hash(&entry.canonicalized_body);
    match merkle::root_from_inclusion_proof(index, size, leaf, &hashes) {
        Some(computed) if computed == root => {}
        _ => return Err("the inclusion proof does not lead to its root hash".to_owned()),
    }
    let envelope = proof
        .checkpoint
        .as_ref()
        .map(|c| c.envelope.as_str())
        .filter(|e| !e.is_empty())
        .ok_or("the inclusion proof has no checkpoint")?;
    let checkpoint = Checkpoint::parse(envelope).map_err(|e| e.to_string())?;
    verify_checkpoint(&checkpoint, log)?;
    if checkpoint.root_hash() != root || checkpoint.size() != size {
        return Err("the checkpoint is not for the inclusion proof's tree".to_owned());
    }
    Ok(())
}

/// The signed-note key hints that may name `log`'s key: the first four bytes of its
/// checkpoint key id (trusted root v0.2), else of its log id; for Ed25519 keys also the
/// signed-note key id computed from the signer name (`SHA-256(name ‖ "\n" ‖ 0x01 ‖ key)`).
fn key_hints(log: &TransparencyLog, name: &str) -> Vec<[u8; 4]> {
    let mut hints = Vec::new();
    let first4 = |bytes: &[u8]| -> Option<[u8; 4]> { bytes.get(..4)?.try_into().ok() };
    if let Some(id) = log.checkpoint_key_id().and_then(first4) {
        hints.push(id);
    }
    if let Some(id) = first4(log.log_id()) {
        hints.push(id);
    }
    if let Some(raw) = log.key().and_then(|k| k.ed25519_bytes()) {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(name.as_bytes());
        hasher.update(b"\n\x01");
        hasher.update(raw);
        let digest = hasher.finalize();
        if let Some(id) = first4(&digest) {
            hints.push(id);
        }
    }
    hints
}

/// A checkpoint is signed by `log` when at least one signature line names the log's key and
/// verifies; a line that names the key but does not verify fails the checkpoint. Lines by
/// other signers (witness cosignatures) are ignored.
pub(crate) fn verify_checkpoint(
    checkpoint: &Checkpoint,
    log: &TransparencyLog,
) -> Result<(), String> {
    let key = log
        .key()
        .ok_or("the log's key algorithm is not supported")?;
    let mut verified = false;
    for line in checkpoint.signatures() {
        if !key_hints(log, line.name()).contains(&line.key_hint()) {
            continue;
        }
        // Ed25519 signs the text itself; ECDSA (Rekor v1) its SHA-256.
        if key
            .verify(checkpoint.signed_text().as_bytes(), line.signature())
            .is_err()
        {
            return Err("a checkpoint signature by the log does not verify".to_owned());
        }
        verified = true;
    }
    if verified {
        Ok(())
    } else {
        Err("the checkpoint has no signature by the log".to_owned())
    }
}
