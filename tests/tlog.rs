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
use boltseal::envelope::bundle::Bundle;
use boltseal::evidence::verify;
use boltseal::keys::PrivateKey;
use boltseal::oci::{ImageBuilder, LayoutStore, ManifestRef, Store};
use boltseal::sign::{
    ANNOTATION_REKOR_BUNDLE, Error, Log, RekorVersion, SignOptions, SignatureFormat, Signed,
    sign_blob_logged, sign_image,
};
use boltseal::verify::bundle::{Artifact, Policy, Verifier};
use boltseal::verify::trust::TrustedRoot;
use boltseal::verify::{Claim, KeyPolicy};
use boltseal_test_support::sigstore_services::SigstoreServices;

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
    // A request the mock could not parse would be an HTTP 400; this is the answer's check.
    let reason = refusal(sign_blob_logged(b"data", &key, &log).await);
    assert!(reason.contains("does not verify"), "{reason}");
}

async fn image(dir: &std::path::Path) -> (LayoutStore, ManifestRef) {
    let store = LayoutStore::create(dir.join("app")).await.unwrap();
    let image = ImageBuilder::new().file("a", b"a", 0o644).build().unwrap();
    image.write_to(&store, Some("v1")).await.unwrap();
    (store, ManifestRef::Tag("v1".to_owned()))
}

async fn sign(
    store: &LayoutStore,
    at: &ManifestRef,
    key: &PrivateKey,
    options: SignOptions,
) -> Result<Signed, Error> {
    sign_image(store, at, "localhost/app:v1", key, &options).await
}

#[tokio::test]
async fn key_signed_legacy_image_carries_a_rekor_bundle_that_a_log_requiring_key_policy_accepts() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (store, v1) = image(dir.path()).await;
    let key = PrivateKey::generate().unwrap();
    let options = SignOptions::new().transparency_log(log(&services, 1));
    let signed = sign(&store, &v1, &key, options).await.unwrap();
    let manifest = store
        .get_manifest(&ManifestRef::Tag(signed.location.clone()))
        .await
        .unwrap();
    let text = String::from_utf8(manifest.bytes().to_vec()).unwrap();
    assert!(text.contains(ANNOTATION_REKOR_BUNDLE), "{text}");
    let rekor_key = trust(&services).tlogs()[0].key().unwrap().clone();
    let policy = KeyPolicy::new(key.public_key()).rekor_key(rekor_key);
    let ok = verify(&store, &v1, &policy.clone().into(), &Claim::Signature)
        .await
        .unwrap();
    assert_eq!(ok.digest, signed.digest);
    // An unlogged signature by the same key is refused under that policy.
    let other = tempfile::tempdir().unwrap();
    let (unlogged, v1) = image(other.path()).await;
    sign(&unlogged, &v1, &key, SignOptions::new())
        .await
        .unwrap();
    assert!(
        verify(&unlogged, &v1, &policy.into(), &Claim::Signature)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn bundle_image_signature_is_refused_when_the_mock_logs_its_dsse_request_verbatim() {
    let Some(services) = SigstoreServices::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (store, v1) = image(dir.path()).await;
    let key = PrivateKey::generate().unwrap();
    let options = SignOptions::new()
        .format(SignatureFormat::Bundle)
        .transparency_log(log(&services, 1));
    let reason = refusal(sign(&store, &v1, &key, options).await);
    assert!(reason.contains("does not match"), "{reason}");
}

/// A server answering every request with HTTP 201 and `body`; returns its URL.
fn hostile_log(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the headers and the announced body, then answer.
            while let Ok(n) = stream.read(&mut buf) {
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
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
