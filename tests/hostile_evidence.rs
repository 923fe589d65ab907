//! Hostile signature evidence: what one crafted `.sig` manifest, envelope or bundle can make a
//! verifier do. Each test is named after the attack, asserts the refusal, and bounds time and
//! peak memory (of the example process, or in-process for the sync checks).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::admission as admission_support;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use boltseal::keys::PrivateKey;
use boltseal::reference::{Digest, media_type};
use boltseal::verify::{Claim, KeyPolicy, SignatureLayer};
use boltseal_test_support::images::{check_layers, push_signature_manifest};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn signature_annotation(sig: &[u8]) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "dev.cosignproject.cosign/signature".to_owned(),
        B64.encode(sig),
    )])
}

/// A thousand payloads about the image (they pass the cheap checks), each signed by a key no
/// policy trusts: every one costs signature arithmetic.
fn forged_layers(text: &str, digest: &Digest) -> Vec<(Vec<u8>, BTreeMap<String, String>)> {
    let other = PrivateKey::generate().unwrap();
    (0..1000)
        .map(|i| {
            let payload = json!({
                "critical": {
                    "identity": {"docker-reference": text},
                    "image": {"docker-manifest-digest": digest.to_string()},
                    "type": "cosign container image signature"
                },
                "optional": {"n": i}
            });
            let sig = other.sign_der(payload.to_string().as_bytes());
            (payload.to_string().into_bytes(), signature_annotation(&sig))
        })
        .collect()
}

/// The `verify` example on `image` with a fresh key's public half (`--key`), measured.
fn verify_with_a_key(image: &str) -> support::Cost {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("cosign.pub");
    std::fs::write(&key, PrivateKey::generate().unwrap().public_key().to_pem()).unwrap();
    let verify = support::Example::new("verify").args([OsStr::new("--key"), key.as_os_str()]);
    support::run_measured(&mut verify.args([image]).command(), Duration::from_secs(60))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_megabyte_blob_listed_a_thousand_times_is_refused_before_it_is_read() {
    let registry = support::Registry::start();
    let (store, text, digest) = registry.push_image("hostile/duplicated", "hostile").await;
    let blob = vec![b' '; 1 << 20];
    let layers = (0..1000)
        .map(|i| (blob.clone(), signature_annotation(&[i as u8; 64])))
        .collect();
    push_signature_manifest(&store, &digest, layers).await;

    // Through a counting proxy: no blob is fetched once the declared sizes exceed the budget.
    let proxy = support::CountingProxy::start(registry.addr.clone(), Duration::ZERO);
    let through_proxy = text.replacen(&registry.addr, &proxy.addr, 1);
    let cost = verify_with_a_key(&through_proxy);
    let stderr = String::from_utf8_lossy(&cost.output.stderr);
    assert_eq!(cost.output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("8388608-byte limit"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(proxy.count() <= 6, "{} registry requests", proxy.count());
    cost.assert_within(20, 300);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_forged_signatures_make_one_short_refusal() {
    let registry = support::Registry::start();
    let (store, text, digest) = registry.push_image("hostile/forged", "hostile").await;
    push_signature_manifest(&store, &digest, forged_layers(&text, &digest)).await;
    let cost = verify_with_a_key(&text);
    let stderr = String::from_utf8_lossy(&cost.output.stderr);
    assert_eq!(cost.output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("and 997 more"), "{stderr}");
    assert!(stderr.len() < 1024, "{} bytes: {stderr}", stderr.len());
    cost.assert_within(20, 300);
}

#[test]
fn envelope_with_forty_five_thousand_signatures_is_refused_unchecked() {
    let digest = Digest::sha256_of(b"image");
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "image", "digest": {"sha256": digest.encoded()}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {}
    });
    let signature = json!({"sig": B64.encode([0x30u8; 8])});
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": B64.encode(statement.to_string()),
        "signatures": vec![signature; 45_000],
    });
    let blob = serde_json::to_vec(&envelope).unwrap();
    let layer = SignatureLayer::new(media_type::DSSE_ENVELOPE, blob, BTreeMap::new());
    let policy = KeyPolicy::new(PrivateKey::generate().unwrap().public_key());
    let start = Instant::now();
    let err = check_layers(&digest, &[layer], &policy, &Claim::Attestation(None)).unwrap_err();
    assert!(
        err.reason()
            .contains("45000 signatures, more than the limit of 8"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_denies_signature_bombs_within_its_deadline_and_admits_a_signed_pod_after() {
    use admission_support::{ExampleProcess, TestCa, create_review, pod, signature_policy};
    use boltseal_test_support::images::sign;
    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let (store, dup_text, dup_digest) = registry.push_image("bomb/duplicated", "hostile").await;
    let blob = vec![b' '; 1 << 20];
    let layers = (0..1000)
        .map(|i| (blob.clone(), signature_annotation(&[i as u8; 64])))
        .collect();
    push_signature_manifest(&store, &dup_digest, layers).await;
    let (store, cpu_text, cpu_digest) = registry.push_image("bomb/forged", "hostile").await;
    push_signature_manifest(&store, &cpu_digest, forged_layers(&cpu_text, &cpu_digest)).await;
    let (_, signed_text, _) = registry.push_image("bomb/signed", "hostile").await;
    sign(&signed_text, &key, boltseal::sign::SignatureFormat::Legacy).await;

    let ca = TestCa::new();
    let pattern = format!("{}/*", registry.addr);
    let policy = signature_policy("verify", &[&pattern], &key, "Enforce", "Fail");
    let webhook = ExampleProcess::start(&support::example("admission"), &ca, &policy);
    let pid = webhook.child.id();
    let client = ca.client();
    let url = webhook.url("/mutate?timeout=10s");
    let review = |uid: &str, image: &str| {
        let body = create_review(uid, pod(uid, &[image], &[]));
        let (client, url) = (client.clone(), url.clone());
        async move {
            let started = Instant::now();
            let response = admission_support::post_review(&client, &url, body).await;
            (response, started.elapsed())
        }
    };

    // The memory bomb: refused from the declared sizes, within the deadline.
    let (response, took) = review("dup", &dup_text).await;
    assert_eq!(response["allowed"], false, "{response}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("limit"), "{message}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // The CPU bomb: while its thousand signatures are checked, the health check answers.
    let bomb = tokio::spawn(review("cpu", &cpu_text));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let health = client.get(webhook.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    let health_answered = Instant::now();
    let (response, took) = bomb.await.unwrap();
    assert_eq!(response["allowed"], false, "{response}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(message.len() < 2048, "{} bytes: {message}", message.len());
    assert!(took < Duration::from_secs(10), "{took:?}");
    eprintln!(
        "CPU bomb review took {took:?}; /healthz answered {:?} before it",
        Instant::now() - health_answered
    );

    // A signed Pod right after is admitted.
    let (response, _) = review("signed", &signed_text).await;
    assert_eq!(response["allowed"], true, "{response}");

    let peak = support::peak_rss_of(pid).unwrap();
    assert!(peak < 256 << 20, "peak RSS {} MiB", peak >> 20);
}

/// A key-signed bundle of `data` as JSON, for the bundle-limit tests to inflate.
fn signed_bundle_json(data: &[u8], key: &PrivateKey) -> serde_json::Value {
    serde_json::from_slice(&boltseal::sign::sign_blob(data, key).unwrap()).unwrap()
}

#[test]
fn bundle_with_forty_timestamps_or_chain_certificates_is_refused_before_any_signature() {
    use boltseal::verify::bundle::{Artifact, Identity, Policy, Verifier};
    use boltseal::verify::trust::{PublicKey as TrustKey, TrustedRoot};
    let key = PrivateKey::generate().unwrap();
    let data = b"artifact";
    let trust = TrustedRoot::public_good();
    let verifier = Verifier::new(&trust);

    let mut timestamps = signed_bundle_json(data, &key);
    timestamps["verificationMaterial"]["timestampVerificationData"] =
        json!({"rfc3161Timestamps": vec![json!({"signedTimestamp": "MAA="}); 40]});
    let public = TrustKey::from_pem(key.public_key().to_pem().as_bytes()).unwrap();
    let err = verifier
        .verify_json(
            &serde_json::to_vec(&timestamps).unwrap(),
            &Artifact::Bytes(data),
            &Policy::key(public),
        )
        .unwrap_err();
    assert!(
        err.reason()
            .contains("40 RFC 3161 timestamps, more than the limit of 32"),
        "{err}"
    );

    let mut chain = signed_bundle_json(data, &key);
    chain["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.2");
    let material = &mut chain["verificationMaterial"];
    material.as_object_mut().unwrap().remove("publicKey");
    material["x509CertificateChain"] =
        json!({"certificates": vec![json!({"rawBytes": "MAA="}); 40]});
    let identity = Policy::any_identity(vec![Identity::exact(
        "dev@example.com",
        "https://issuer.example",
    )]);
    let err = verifier
        .verify_json(
            &serde_json::to_vec(&chain).unwrap(),
            &Artifact::Bytes(data),
            &identity,
        )
        .unwrap_err();
    assert!(
        err.reason()
            .contains("40 chain certificates, more than the limit of 32"),
        "{err}"
    );
}
