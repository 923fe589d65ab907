//! Signing and attesting on both stores, in both layouts, and the keygen / sign / attest /
//! sign-blob examples as users run them. The shapes are compared with what skopeo and
//! sigstore-rs write (captured in `../shared/corpus/fixtures`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::path::Path;
use std::process::Output;

use support::stderr;

use base64::Engine as _;
use boltseal::envelope::bundle::{Bundle, Content, VerificationContent};
use boltseal::envelope::dsse;
use boltseal::envelope::intoto::Statement;
use boltseal::envelope::simple_signing::SimpleSigning;
use boltseal::keys::{PrivateKey, PublicKey, read_public_key};
use boltseal::oci::{Descriptor, ImageBuilder, LayoutStore, Manifest, ManifestRef, Store};
use boltseal::reference::{Digest, Reference, media_type};
use boltseal::sign::{
    ANNOTATION_PREDICATE_TYPE, ANNOTATION_SIGNATURE, AttestOptions, SignOptions, SignatureFormat,
    sign_blob, sign_image, signature_tag,
};
use boltseal_test_support::images::{attest_v1, read_blob as blob, sign_v1, spdx_bundle, tag};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Reads the `.sig` manifest and checks every layer's signature with `public`.
async fn legacy_layers<S: Store>(store: &S, digest: &Digest) -> Vec<(SimpleSigning, Descriptor)> {
    let raw = store
        .get_manifest(&tag(&signature_tag(digest, "sig")))
        .await
        .unwrap();
    assert_eq!(raw.media_type(), media_type::OCI_MANIFEST);
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("index")
    };
    assert_eq!(m.config.media_type, media_type::OCI_CONFIG);
    let config: serde_json::Value = serde_json::from_slice(&blob(store, &m.config).await).unwrap();
    let diff_ids: Vec<String> = m.layers.iter().map(|l| l.digest.to_string()).collect();
    assert_eq!(config["rootfs"]["diff_ids"], json!(diff_ids));
    let mut out = Vec::new();
    for layer in &m.layers {
        assert_eq!(layer.media_type, media_type::COSIGN_SIMPLE_SIGNING);
        let payload = blob(store, layer).await;
        let parsed = SimpleSigning::parse(&payload).unwrap();
        assert_eq!(parsed.manifest_digest, *digest);
        out.push((parsed, layer.clone()));
    }
    out
}

fn verify_layer_payload(public: &PublicKey, payload: &[u8], layer: &Descriptor) -> bool {
    let sig = B64
        .decode(&layer.annotations[ANNOTATION_SIGNATURE])
        .unwrap();
    public.verify_der(payload, &sig).is_ok()
}

async fn sign_and_attest_suite<S: Store>(store: &S, identity: &str) {
    let image = ImageBuilder::new()
        .file("etc/motd", identity.as_bytes(), 0o644)
        .build()
        .unwrap();
    let desc = image.write_to(store, Some("v1")).await.unwrap();
    let key = PrivateKey::generate().unwrap();
    let other = PrivateKey::generate().unwrap();

    // Legacy: payload in cosign's layout, signature over its exact bytes.
    let signed = sign_v1(
        store,
        identity,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await;
    assert_eq!(signed.digest, desc.digest);
    assert!(signed.appended);
    let expected = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{identity}"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":{{"env":"prod"}}}}"#,
        desc.digest
    );
    assert_eq!(String::from_utf8(signed.payload.clone()).unwrap(), expected);
    key.public_key()
        .verify_der(&signed.payload, &signed.signature)
        .unwrap();
    // Signing again with the same key and payload adds nothing; another key appends a layer.
    let again = sign_v1(
        store,
        identity,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await;
    assert!(!again.appended);
    sign_v1(store, identity, &other, &SignOptions::new()).await;
    let layers = legacy_layers(store, &desc.digest).await;
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].0.annotation("env"), Some("prod"));
    let payload0 = blob(store, &layers[0].1).await;
    let payload1 = blob(store, &layers[1].1).await;
    assert!(verify_layer_payload(
        &key.public_key(),
        &payload0,
        &layers[0].1
    ));
    assert!(verify_layer_payload(
        &other.public_key(),
        &payload1,
        &layers[1].1
    ));
    assert!(!verify_layer_payload(
        &other.public_key(),
        &payload0,
        &layers[0].1
    ));

    // Bundle: a v0.3 referrer with a DSSE envelope over an in-toto statement for the digest.
    let signed = sign_v1(
        store,
        identity,
        &key,
        &SignOptions::new()
            .format(SignatureFormat::Bundle)
            .annotation("env", "prod"),
    )
    .await;
    let refs = store
        .referrers(&desc.digest, Some(media_type::SIGSTORE_BUNDLE_V03))
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].digest.to_string(), signed.location);
    let raw = store
        .get_manifest(&ManifestRef::Digest(refs[0].digest))
        .await
        .unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("index")
    };
    assert_eq!(m.config.media_type, media_type::OCI_EMPTY);
    assert_eq!(m.subject.as_ref().unwrap().digest, desc.digest);
    assert_eq!(m.layers.len(), 1);
    assert_eq!(
        m.annotations["dev.sigstore.bundle.predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    let bundle = Bundle::parse(&blob(store, &m.layers[0]).await).unwrap();
    match &bundle.verification_material.content {
        VerificationContent::PublicKey { hint } => assert_eq!(*hint, key.public_key().hint()),
        other => panic!("{other:?}"),
    }
    let Content::DsseEnvelope(env) = &bundle.content else {
        panic!("not DSSE")
    };
    assert_eq!(env.payload_type, dsse::PAYLOAD_TYPE_IN_TOTO);
    key.public_key()
        .verify_der(&env.pae(), &env.signatures[0].sig)
        .unwrap();
    let statement = Statement::parse(&env.payload).unwrap();
    assert!(statement.matches_digest(&desc.digest));

    // Attestations, both layouts.
    let provenance = json!({"buildDefinition": {"buildType": "https://example.invalid/build"}});
    let att = attest_v1(
        store,
        identity,
        &key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", provenance.clone()),
    )
    .await;
    assert_eq!(att.location, signature_tag(&desc.digest, "att"));
    let raw = store.get_manifest(&tag(&att.location)).await.unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("index")
    };
    let layer = &m.layers[0];
    assert_eq!(layer.media_type, media_type::DSSE_ENVELOPE);
    assert_eq!(
        layer.annotations[ANNOTATION_PREDICATE_TYPE],
        "https://slsa.dev/provenance/v1"
    );
    let env = dsse::Envelope::parse(&blob(store, layer).await).unwrap();
    key.public_key()
        .verify_der(&env.pae(), &env.signatures[0].sig)
        .unwrap();
    let statement = Statement::parse(&env.payload).unwrap();
    assert_eq!(statement.predicate, provenance);
    assert!(statement.matches_digest(&desc.digest));
    let name = identity.parse::<Reference>().unwrap().repository_name();
    assert_eq!(statement.subject[0].name, name);
    attest_v1(store, identity, &key, &spdx_bundle()).await;
    assert_eq!(store.referrers(&desc.digest, None).await.unwrap().len(), 2);

    // A bad identity is refused before anything is written.
    assert!(
        sign_image(store, &tag("v1"), "Not A Ref", &key, &SignOptions::new())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn sign_and_attest_in_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path().join("img")).await.unwrap();
    sign_and_attest_suite(&store, "localhost/img:v1").await;
}

#[tokio::test]
async fn sign_and_attest_in_a_registry() {
    let registry = support::Registry::start();
    let text = registry.repo("signed/app:v1");
    let store = boltseal_test_support::images::store(&text);
    sign_and_attest_suite(&store, &text).await;
}

#[tokio::test]
async fn signature_manifest_has_the_shape_skopeo_writes() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let skopeo: serde_json::Value = serde_json::from_slice(
        &std::fs::read(corpus.join("fixtures/skopeo193-sig-manifest.json")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path().join("img")).await.unwrap();
    let desc = ImageBuilder::new()
        .file("a", b"a", 0o644)
        .build()
        .unwrap()
        .write_to(&store, Some("v1"))
        .await
        .unwrap();
    let key = PrivateKey::generate().unwrap();
    sign_v1(
        &store,
        "127.0.0.1:5000/boltseal/tiny:signed",
        &key,
        &SignOptions::new(),
    )
    .await;
    let ours: serde_json::Value = serde_json::from_slice(
        store
            .get_manifest(&tag(&signature_tag(&desc.digest, "sig")))
            .await
            .unwrap()
            .bytes(),
    )
    .unwrap();
    let shape = |v: &serde_json::Value| {
        (
            v["schemaVersion"].clone(),
            v["mediaType"].clone(),
            v["config"]["mediaType"].clone(),
            v["layers"][0]["mediaType"].clone(),
            v["layers"][0]["annotations"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(shape(&ours), shape(&skopeo));
}

fn run(bin: &str, args: &[&str], dir: &Path, password: Option<&str>) -> Output {
    support::Example::new(bin)
        .args(args)
        .dir(dir)
        .password(password)
        .run()
}

#[tokio::test]
async fn keygen_sign_attest_sign_blob_examples() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // keygen: files, modes, no overwrite.
    let out = run(
        "keygen",
        &["--output-key-prefix", "release"],
        d,
        Some("s3cret"),
    );
    support::assert_success(&out);
    assert!(stderr(&out).contains("Private key written to release.key"));
    let private = std::fs::read_to_string(d.join("release.key")).unwrap();
    assert!(private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let public = read_public_key(&d.join("release.pub")).unwrap();
    let out = run("keygen", &["--output-key-prefix", "release"], d, Some("x"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: ") && stderr(&out).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(d.join("release.key")).unwrap(),
        private
    );
    let out = run(
        "keygen",
        &["--output-key-prefix", "old", "--legacy"],
        d,
        Some(""),
    );
    support::assert_success(&out);
    assert!(
        std::fs::read_to_string(d.join("old.key"))
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----")
    );

    // An image in the registry.
    let (store, text, digest) = registry.push_image("cli/app", "cli").await;

    // sign: wrong password is one error line, exit 2; then legacy and bundle.
    let out = run(
        "sign",
        &["--tlog-upload=false", "--key", "release.key", &text],
        d,
        Some("nope"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: release.key: wrong password");
    let out = run(
        "sign",
        &[
            "--tlog-upload=false",
            "--key",
            "release.key",
            "-a",
            "env=prod",
            "-a",
            "team=core",
            &text,
        ],
        d,
        Some("s3cret"),
    );
    support::assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        signature_tag(&digest, "sig")
    );
    let layers = legacy_layers(&store, &digest).await;
    assert_eq!(layers[0].0.docker_reference, text);
    assert_eq!(layers[0].0.annotation("team"), Some("core"));
    let payload = blob(&store, &layers[0].1).await;
    assert!(verify_layer_payload(&public, &payload, &layers[0].1));
    let out = run(
        "sign",
        &[
            "--tlog-upload=false",
            "--key",
            "release.key",
            "--format",
            "bundle",
            &text,
        ],
        d,
        Some("s3cret"),
    );
    support::assert_success(&out);
    assert_eq!(store.referrers(&digest, None).await.unwrap().len(), 1);
    let out = run(
        "sign",
        &[
            "--tlog-upload=false",
            "--key",
            "release.key",
            "-a",
            "novalue",
            &text,
        ],
        d,
        Some("s3cret"),
    );
    assert_eq!(out.status.code(), Some(2));

    // attest with a predicate file.
    std::fs::write(
        d.join("sbom.json"),
        br#"{"spdxVersion":"SPDX-2.3","name":"x"}"#,
    )
    .unwrap();
    let attest = |predicate: &str| {
        let args = [
            "--tlog-upload=false",
            "--key",
            "release.key",
            "--type",
            "spdxjson",
            "--predicate",
            predicate,
        ];
        run("attest", &[&args[..], &[&text]].concat(), d, Some("s3cret"))
    };
    let out = attest("sbom.json");
    support::assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        signature_tag(&digest, "att")
    );
    std::fs::write(d.join("bad.json"), b"{not json").unwrap();
    let out = attest("bad.json");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));

    // sign-blob: a v0.3 bundle whose signature verifies over the file.
    std::fs::write(d.join("artifact.txt"), b"release notes\n").unwrap();
    let out = run(
        "sign-blob",
        &[
            "--tlog-upload=false",
            "--key",
            "release.key",
            "--bundle",
            "artifact.sigstore.json",
            "artifact.txt",
        ],
        d,
        Some("s3cret"),
    );
    support::assert_success(&out);
    let bundle = Bundle::parse(&std::fs::read(d.join("artifact.sigstore.json")).unwrap()).unwrap();
    assert_eq!(
        bundle.media_type,
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let Content::MessageSignature(ms) = &bundle.content else {
        panic!("not a message signature")
    };
    public
        .verify_der(b"release notes\n", &ms.signature)
        .unwrap();
    assert_eq!(
        sign_blob(b"x", &PrivateKey::generate().unwrap())
            .unwrap()
            .first(),
        Some(&b'{')
    );
}
