//! Transparency-log upload against the Sigstore project's own service mocks (npm
//! `@sigstore/mock`, through `../shared/tools/sigstore-services.js`): what boltseal-sign logs
//! verifies with boltseal-verify against the instance's trusted root, and a log that answers
//! a wrong SET, a wrong body or garbage is refused at signing time (a hostile server here).
//!
//! What the mock cannot prove, and why: it logs Rekor v1 `dsse` requests verbatim (real Rekor
//! logs the payload hash and signatures, which verifiers compare), and its Rekor v2 answers
//! carry a body that is not a Rekor entry and an inclusion proof whose index lies outside its
//! tree. boltseal refuses both at signing time; the tests below pin that down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpListener;

use base64::Engine as _;
use boltseal::core::hex;
use boltseal::envelope::bundle::{Bundle, InclusionProof, TransparencyLogEntry};
use boltseal::evidence::verify;
use boltseal::keys::PrivateKey;
use boltseal::oci::{ImageBuilder, LayoutStore, ManifestRef, Store};
use boltseal::reference::Digest;
use boltseal::sign::{
    ANNOTATION_REKOR_BUNDLE, AttestOptions, Error, Log, RekorVersion, SignOptions, SignatureFormat,
    Signed, attest_image, sign_blob_logged, sign_image,
};
use boltseal::verify::bundle::{Artifact, Policy, Verifier};
use boltseal::verify::trust::TrustedRoot;
use boltseal::verify::{Claim, KeyPolicy};
use boltseal_test_support::private_sigstore::Instance;
use boltseal_test_support::sigstore_services::SigstoreServices;
use serde_json::{Value, json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn trust(services: &SigstoreServices) -> TrustedRoot {
    TrustedRoot::from_json(&std::fs::read(&services.trusted_root).unwrap()).unwrap()
}

/// The log the instance's signing configuration selects, with API `version`.
fn log(services: &SigstoreServices, version: u32) -> Log {
    let config = services.signing_config_for_rekor(version);
    Log::from_files(&config, &services.trusted_root).unwrap()
}

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(e @ Error::TransparencyLog { .. }) => e.to_string(),
        other => panic!("expected a transparency-log refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn key_signed_blob_bundle_carries_a_rekor_v1_entry_that_verifies_against_the_instance_root() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let log = log(&services, 1);
    assert_eq!(log.version(), RekorVersion::V1);
    assert_eq!(log.url(), services.url);
    let key = PrivateKey::generate().unwrap();
    let data = b"a release artifact\n";
    let bundle = sign_blob_logged(data, &key, &log).await.unwrap().to_bytes();
    let parsed = Bundle::parse(&bundle).unwrap();
    let entry = &parsed.verification_material.tlog_entries[0];
    let kind = entry.kind_version.as_ref().unwrap();
    assert_eq!(
        (kind.kind.as_str(), kind.version.as_str()),
        ("hashedrekord", "0.0.1")
    );
    assert!(entry.inclusion_promise.is_some() && entry.inclusion_proof.is_some());
    let verified = Verifier::new(&trust(&services))
        .verify_json(
            &bundle,
            &Artifact::Bytes(data),
            &Policy::key(key.public_key()),
        )
        .unwrap();
    assert_eq!(verified.tlog_entries, 1);
    assert_eq!(verified.integrated_times, vec![entry.integrated_time]);
    // The same bundle is refused for another artifact and by another instance's root.
    let other = Verifier::new(&trust(&services)).verify_json(
        &bundle,
        &Artifact::Bytes(b"other"),
        &Policy::key(key.public_key()),
    );
    assert!(other.is_err());
    let Some(elsewhere) = SigstoreServices::start() else {
        return;
    };
    let foreign = Verifier::new(&trust(&elsewhere)).verify_json(
        &bundle,
        &Artifact::Bytes(data),
        &Policy::key(key.public_key()),
    );
    assert!(foreign.unwrap_err().to_string().contains("does not list"));
}

#[tokio::test]
async fn mock_rekor_v2_takes_the_request_but_its_unverifiable_answer_is_refused() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let log = log(&services, 2);
    assert_eq!(log.version(), RekorVersion::V2);
    let key = PrivateKey::generate().unwrap();
    // The mock answers (201, no HTTP error); its answer fails verification.
    let reason = refusal(sign_blob_logged(b"data", &key, &log).await);
    assert!(
        reason.contains("does not verify") && !reason.contains("HTTP"),
        "{reason}"
    );
}

/// An image `v1` in a fresh OCI layout, and a key.
struct Fixture {
    _dir: tempfile::TempDir,
    store: LayoutStore,
    v1: ManifestRef,
    key: PrivateKey,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = LayoutStore::create(dir.path().join("app")).await.unwrap();
        let image = ImageBuilder::new().file("a", b"a", 0o644).build().unwrap();
        image.write_to(&store, Some("v1")).await.unwrap();
        let key = PrivateKey::generate().unwrap();
        let v1 = ManifestRef::Tag("v1".to_owned());
        Fixture {
            _dir: dir,
            store,
            v1,
            key,
        }
    }

    async fn sign(&self, options: SignOptions) -> Result<Signed, Error> {
        sign_image(
            &self.store,
            &self.v1,
            "localhost/app:v1",
            &self.key,
            &options,
        )
        .await
    }

    async fn verify(&self, policy: &KeyPolicy, claim: &Claim) -> Result<(), String> {
        let verified = verify(&self.store, &self.v1, &policy.clone().into(), claim).await;
        verified.map(|_| ()).map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn key_signed_legacy_image_carries_a_rekor_bundle_that_a_log_requiring_key_policy_accepts() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let f = Fixture::new().await;
    let options = SignOptions::new().transparency_log(log(&services, 1));
    let signed = f.sign(options).await.unwrap();
    let tag = ManifestRef::Tag(signed.location.clone());
    let manifest = f.store.get_manifest(&tag).await.unwrap();
    let text = String::from_utf8(manifest.bytes().to_vec()).unwrap();
    assert!(text.contains(ANNOTATION_REKOR_BUNDLE), "{text}");
    let rekor_key = trust(&services).tlogs()[0].key().unwrap().clone();
    let policy = KeyPolicy::new(f.key.public_key()).rekor_key(rekor_key);
    f.verify(&policy, &Claim::Signature).await.unwrap();
    // An unlogged signature by the same key is refused under that policy.
    let unlogged = Fixture {
        key: f.key.clone(),
        ..Fixture::new().await
    };
    unlogged.sign(SignOptions::new()).await.unwrap();
    assert!(unlogged.verify(&policy, &Claim::Signature).await.is_err());
}

#[tokio::test]
async fn bundle_image_signature_is_refused_when_the_mock_logs_its_dsse_request_verbatim() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let options = SignOptions::new()
        .format(SignatureFormat::Bundle)
        .transparency_log(log(&services, 1));
    let reason = refusal(Fixture::new().await.sign(options).await);
    assert!(reason.contains("does not match"), "{reason}");
}

/// A server answering every request with HTTP 201 and what `answer` makes of the request's
/// body; returns its URL.
fn serve(answer: impl Fn(&[u8]) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the headers and the announced body, then answer.
            let body_at = loop {
                let Ok(n) = stream.read(&mut buf) else {
                    break None;
                };
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break Some(end + 4);
                    }
                }
                if n == 0 {
                    break None;
                }
            };
            let body = answer(&request[body_at.unwrap_or(request.len())..]);
            let head = format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// A server answering every request with HTTP 201 and `body`; returns its URL.
fn hostile_log(body: Vec<u8>) -> String {
    serve(move |_| body.clone())
}

/// A Rekor v1 answer holding `bundle`'s entry (as the mock gave it), with its SET replaced by
/// `set`.
fn v1_answer(bundle: &Bundle, set: &[u8]) -> Vec<u8> {
    let entry = &bundle.verification_material.tlog_entries[0];
    let proof = entry.inclusion_proof.as_ref().unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let answer = serde_json::json!({"0123": {
        "body": B64.encode(&entry.canonicalized_body),
        "integratedTime": entry.integrated_time,
        "logID": hex(&entry.log_id.as_ref().unwrap().key_id),
        "logIndex": entry.log_index,
        "verification": {
            "signedEntryTimestamp": B64.encode(set),
            "inclusionProof": {
                "logIndex": proof.log_index, "treeSize": proof.tree_size,
                "rootHash": hex(&proof.root_hash), "hashes": [],
                "checkpoint": proof.checkpoint.as_ref().unwrap().envelope,
            },
        },
    }});
    serde_json::to_vec(&answer).unwrap()
}

#[tokio::test]
async fn log_answering_a_wrong_set_a_wrong_body_or_garbage_is_refused_at_signing_time() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let trust = trust(&services);
    let key = PrivateKey::generate().unwrap();
    let genuine = sign_blob_logged(b"first", &key, &log(&services, 1))
        .await
        .unwrap();
    let set = genuine.verification_material.tlog_entries[0]
        .inclusion_promise
        .as_ref()
        .unwrap()
        .signed_entry_timestamp
        .clone();
    let hostile = |answer: Vec<u8>| Log::new(hostile_log(answer), RekorVersion::V1, trust.clone());
    // The genuine answer, replayed for the signature it records, is accepted (the server works).
    let replayed = sign_blob_logged(b"first", &key, &hostile(v1_answer(&genuine, &set))).await;
    assert!(replayed.is_ok(), "{replayed:?}");
    // Replayed for another signature: a valid SET over a body that records something else.
    let reason =
        refusal(sign_blob_logged(b"second", &key, &hostile(v1_answer(&genuine, &set))).await);
    assert!(reason.contains("does not match"), "{reason}");
    // A SET the log's key did not make.
    let mut wrong_set = set.clone();
    let last = wrong_set.len() - 3;
    wrong_set[last] ^= 1;
    let reason =
        refusal(sign_blob_logged(b"first", &key, &hostile(v1_answer(&genuine, &wrong_set))).await);
    assert!(reason.contains("SET"), "{reason}");
    // Garbage, and an answer larger than the bound.
    for (answer, expected) in [
        (b"<html>hello</html>".to_vec(), "not an entry"),
        (b"{}".to_vec(), "not an entry"),
        (vec![b' '; 2 << 20], "larger than"),
    ] {
        let reason = refusal(sign_blob_logged(b"first", &key, &hostile(answer)).await);
        assert!(reason.contains(expected), "{reason}");
    }
}

#[test]
fn sign_blob_example_logs_by_default_and_says_how_to_opt_out_without_a_signing_config() {
    use boltseal_test_support::{Example, assert_error, assert_success};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(b"pw", boltseal::keys::KeyFormat::default());
    std::fs::write(d.join("k.pem"), pem.unwrap()).unwrap();
    std::fs::write(d.join("a.txt"), b"artifact\n").unwrap();
    let sign_blob = |extra: &[&str]| {
        let args = [&["--key", "k.pem", "--bundle", "a.json"], extra, &["a.txt"]].concat();
        Example::new("sign-blob")
            .args(&args)
            .dir(d)
            .password(Some("pw"))
            .run()
    };
    let err = assert_error(&sign_blob(&[]), 2);
    assert!(
        err.contains("--signing-config") && err.contains("--tlog-upload=false"),
        "{err}"
    );
    assert!(!d.join("a.json").exists());
    assert_success(&sign_blob(&["--tlog-upload=false"]));
    let unlogged = Bundle::parse(&std::fs::read(d.join("a.json")).unwrap()).unwrap();
    assert!(unlogged.verification_material.tlog_entries.is_empty());
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let (config, root) = (
        services.signing_config.to_str().unwrap(),
        services.trusted_root.to_str().unwrap(),
    );
    assert_success(&sign_blob(&[
        "--signing-config",
        config,
        "--trusted-root",
        root,
    ]));
    let bundle = std::fs::read(d.join("a.json")).unwrap();
    let verified = Verifier::new(&trust(&services))
        .verify_json(
            &bundle,
            &Artifact::Bytes(b"artifact\n"),
            &Policy::key(key.public_key()),
        )
        .unwrap();
    assert_eq!(verified.tlog_entries, 1);
}

/// A log written here from Rekor's API (NOT a peer: the mock above is the peer), for what the
/// mock cannot show: it records `dsse` entries as Rekor v1 does (payload hash and signatures,
/// not the request) and answers Rekor v2 requests with v2 entries (body, inclusion proof and
/// checkpoint, no SET). Each entry is logged by `private_sigstore::Instance::log`.
fn rekor_like(instance: std::sync::Arc<Instance>, version: u32) -> String {
    serve(move |request| {
        let request: Value = serde_json::from_slice(request).unwrap();
        let sha256_hex = |b: &[u8]| Digest::sha256_of(b).encoded().to_owned();
        let sha256_b64 =
            |b: &[u8]| B64.encode(hex::decode(Digest::sha256_of(b).encoded()).unwrap());
        let (kind, body) = if version == 1 && request["kind"] == "dsse" {
            let proposed = &request["spec"]["proposedContent"];
            let text = proposed["envelope"].as_str().unwrap();
            let envelope: Value = serde_json::from_str(text).unwrap();
            let payload = B64.decode(envelope["payload"].as_str().unwrap()).unwrap();
            let spec = json!({
                "envelopeHash": {"algorithm": "sha256", "value": sha256_hex(text.as_bytes())},
                "payloadHash": {"algorithm": "sha256", "value": sha256_hex(&payload)},
                "signatures": [{"signature": envelope["signatures"][0]["sig"], "verifier": proposed["verifiers"][0]}],
            });
            (
                "dsse",
                json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": spec}),
            )
        } else if version == 1 {
            ("hashedrekord", request)
        } else if let Some(r) = request.get("hashedRekordRequestV002") {
            let spec = json!({"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": r["digest"]}, "signature": r["signature"],
            }});
            (
                "hashedrekord",
                json!({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": spec}),
            )
        } else {
            let r = &request["dsseRequestV002"];
            let payload = B64
                .decode(r["envelope"]["payload"].as_str().unwrap())
                .unwrap();
            let spec = json!({"dsseV002": {
                "payloadHash": {"algorithm": "SHA2_256", "digest": sha256_b64(&payload)},
                "signatures": [{"content": r["envelope"]["signatures"][0]["sig"], "verifier": r["verifiers"][0]}],
            }});
            (
                "dsse",
                json!({"apiVersion": "0.0.2", "kind": "dsse", "spec": spec}),
            )
        };
        let logged = instance.log(serde_json::to_vec(&body).unwrap());
        let log_id = instance.trusted_root().tlogs()[0].log_id().to_vec();
        let answer = if version == 1 {
            json!({"0123": {
                "body": B64.encode(&logged.body), "integratedTime": logged.integrated_time,
                "logID": hex::encode(&log_id), "logIndex": logged.log_index,
                "verification": {
                    "signedEntryTimestamp": B64.encode(&logged.set),
                    "inclusionProof": {"logIndex": 0, "treeSize": 1, "rootHash": hex::encode(logged.root), "hashes": [], "checkpoint": logged.checkpoint},
                },
            }})
        } else {
            let proof =
                InclusionProof::new(0, logged.root.to_vec(), 1, vec![], Some(logged.checkpoint));
            let entry = TransparencyLogEntry::new(0, log_id, kind, "0.0.2", 0, logged.body);
            serde_json::to_value(entry.with_inclusion_proof(proof)).unwrap()
        };
        serde_json::to_vec(&answer).unwrap()
    })
}

/// A test log of `version`, its instance and the key policy requiring its entries.
fn api_log(version: u32, key: &PrivateKey) -> (Log, KeyPolicy, std::sync::Arc<Instance>) {
    let instance = std::sync::Arc::new(Instance::new());
    let rekor = if version == 1 {
        RekorVersion::V1
    } else {
        RekorVersion::V2
    };
    let log = Log::new(
        rekor_like(instance.clone(), version),
        rekor,
        instance.trusted_root(),
    );
    let policy = KeyPolicy::new(key.public_key()).rekor_key(instance.rekor_public_key());
    (log, policy, instance)
}

#[tokio::test]
async fn rekor_v2_entries_verify_when_the_log_follows_the_api() {
    let f = Fixture::new().await;
    let (log, policy, instance) = api_log(2, &f.key);
    let bundle = sign_blob_logged(b"data", &f.key, &log).await.unwrap();
    let entry = &bundle.verification_material.tlog_entries[0];
    assert!(entry.inclusion_promise.is_none() && entry.inclusion_proof.is_some());
    let verified = Verifier::new(&instance.trusted_root())
        .verify(
            &bundle,
            &Artifact::Bytes(b"data"),
            &Policy::key(f.key.public_key()),
        )
        .unwrap();
    assert_eq!(verified.tlog_entries, 1);
    let bundled = SignOptions::new()
        .format(SignatureFormat::Bundle)
        .transparency_log(log.clone());
    f.sign(bundled).await.unwrap();
    f.verify(&policy, &Claim::Signature).await.unwrap();
    // The legacy layout's annotation needs a SET, which v2 entries do not have.
    let reason = refusal(f.sign(SignOptions::new().transparency_log(log)).await);
    assert!(reason.contains("bundle format"), "{reason}");
}

#[tokio::test]
async fn dsse_entries_verify_when_the_log_records_them_as_rekor_v1_does() {
    let f = Fixture::new().await;
    let (log, policy, _instance) = api_log(1, &f.key);
    let bundled = SignOptions::new()
        .format(SignatureFormat::Bundle)
        .transparency_log(log.clone());
    f.sign(bundled).await.unwrap();
    f.verify(&policy, &Claim::Signature).await.unwrap();
    let kind = "https://example.com/predicate/v1";
    let options = AttestOptions::new(kind, json!({"built": true})).transparency_log(log);
    attest_image(&f.store, &f.v1, "localhost/app:v1", &f.key, &options)
        .await
        .unwrap();
    f.verify(&policy, &Claim::attestation(kind)).await.unwrap();
}
