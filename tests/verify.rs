//! Key-based image verification against a real registry, both layouts; the refusals the issue
//! names (unsigned, wrong key, replayed signature manifest, tampered annotation, unmet `-a`,
//! payload for another digest); the containers/image fixtures; and the verify /
//! verify-attestation examples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod private_sigstore;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use boltseal::evidence::{verify_image, verify_image_attestations};
use boltseal::keys::{PrivateKey, PublicKey};
use boltseal::oci::{
    BlobReader, Descriptor, ImageBuilder, ImageManifest, Manifest, ManifestRef, RegistryOptions,
    RegistryStore, Store,
};
use boltseal::reference::{Digest, Reference, media_type};
use boltseal::sign::{
    AttestOptions, SignOptions, SignatureFormat, attest_image, sign_image, signature_tag,
};
use boltseal::verify::image::{
    IdentityCheck, KeyPolicy, Layout, SignatureLayer, verify_signature_layers,
};
use serde_json::json;

fn tag(t: &str) -> ManifestRef {
    ManifestRef::Tag(t.to_owned())
}

async fn image(
    registry: &support::Registry,
    repo: &str,
    content: &str,
) -> (RegistryStore, String, Digest) {
    let text = registry.repo(&format!("{repo}:v1"));
    let reference: Reference = text.parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let desc = ImageBuilder::new()
        .file("etc/motd", content.as_bytes(), 0o644)
        .build()
        .unwrap()
        .write_to(&store, Some("v1"))
        .await
        .unwrap();
    (store, text, desc.digest)
}

#[tokio::test]
async fn verification_accepts_good_signatures_and_refuses_the_rest() {
    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let other = PrivateKey::generate().unwrap();
    let policy = KeyPolicy::new(key.public_key());
    let (store, text, digest) = image(&registry, "verify/app", "a").await;

    // Unsigned.
    let err = verify_image(&store, &tag("v1"), &policy).await.unwrap_err();
    assert!(err.reason().contains("no signatures found"), "{err}");

    // Legacy and bundle signatures verify; the payload names the digest.
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await
    .unwrap();
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &SignOptions::new()
            .format(SignatureFormat::Bundle)
            .annotation("env", "prod"),
    )
    .await
    .unwrap();
    let ok = verify_image(
        &store,
        &tag("v1"),
        &policy.clone().annotation("env", "prod"),
    )
    .await
    .unwrap();
    assert_eq!(ok.digest, digest);
    assert_eq!(ok.verified.len(), 2);
    assert_eq!(ok.verified[0].layout, Layout::Legacy);
    assert_eq!(ok.verified[1].layout, Layout::Bundle);
    assert_eq!(
        ok.verified[0].payload["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    // Identity checks.
    let exact = IdentityCheck::Exact(text.parse().unwrap());
    assert!(
        verify_image(&store, &tag("v1"), &policy.clone().identity(exact))
            .await
            .is_ok()
    );
    let elsewhere = IdentityCheck::Exact(registry.repo("verify/app:v2").parse().unwrap());
    let err = verify_image(&store, &tag("v1"), &policy.clone().identity(elsewhere))
        .await
        .unwrap_err();
    assert!(err.reason().contains("identity"), "{err}");

    // Wrong key.
    let err = verify_image(&store, &tag("v1"), &KeyPolicy::new(other.public_key()))
        .await
        .unwrap_err();
    assert!(err.reason().contains("does not verify"), "{err}");
    // Unmet annotation.
    let err = verify_image(&store, &tag("v1"), &policy.clone().annotation("env", "dev"))
        .await
        .unwrap_err();
    assert!(err.reason().contains("env=dev"), "{err}");

    // Replay: image B's .sig tag holds image A's signature manifest.
    let (store_b, _, digest_b) = image(&registry, "verify/app", "b-content").await;
    let sig_a = store
        .get_manifest(&tag(&signature_tag(&digest, "sig")))
        .await
        .unwrap();
    store_b
        .put_manifest(&sig_a, Some(&signature_tag(&digest_b, "sig")))
        .await
        .unwrap();
    let err = verify_image(&store_b, &ManifestRef::Digest(digest_b), &policy)
        .await
        .unwrap_err();
    assert!(err.reason().contains("not the image"), "{err}");

    // Tampered signature annotation: one base64 character changed.
    let Manifest::Image(mut m) = sig_a.parse().unwrap() else {
        panic!()
    };
    let sig = m.layers[0]
        .annotations
        .get_mut("dev.cosignproject.cosign/signature")
        .unwrap();
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode(&*sig)
        .unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    *sig = base64::engine::general_purpose::STANDARD.encode(bytes);
    let (store_c, _, digest_c) = image(&registry, "verify/tampered", "a").await;
    assert_eq!(digest_c, digest, "same content, same digest");
    // Copy the config and payload blobs, then the tampered manifest.
    for d in std::iter::once(&m.config).chain(&m.layers) {
        let r = store.get_blob(d).await.unwrap();
        store_c.put_blob(d, r).await.unwrap();
    }
    let tampered = m.to_raw().unwrap();
    store_c
        .put_manifest(&tampered, Some(&signature_tag(&digest, "sig")))
        .await
        .unwrap();
    let err = verify_image(&store_c, &tag("v1"), &policy)
        .await
        .unwrap_err();
    assert!(err.reason().contains("does not verify"), "{err}");

    // A payload for another digest, correctly signed, under this image's tag.
    let (store_d, text_d, digest_d) = image(&registry, "verify/other", "d").await;
    let forged = boltseal::envelope::simple_signing::SimpleSigning::new(&text_d, digest).to_bytes();
    let sig = key.sign_der(&forged);
    let layer = Descriptor::of_bytes(media_type::COSIGN_SIMPLE_SIGNING, &forged).with_annotation(
        "dev.cosignproject.cosign/signature",
        base64::engine::general_purpose::STANDARD.encode(sig),
    );
    let config = Descriptor::of_bytes(media_type::OCI_CONFIG, b"{}");
    for (d, b) in [(&layer, forged.clone()), (&config, b"{}".to_vec())] {
        let r = BlobReader::new("blob", d, Box::pin(std::io::Cursor::new(b)));
        store_d.put_blob(d, r).await.unwrap();
    }
    let manifest = ImageManifest::new(config, vec![layer]).to_raw().unwrap();
    store_d
        .put_manifest(&manifest, Some(&signature_tag(&digest_d, "sig")))
        .await
        .unwrap();
    let err = verify_image(&store_d, &tag("v1"), &policy)
        .await
        .unwrap_err();
    assert!(err.reason().contains("not the image"), "{err}");
}

#[tokio::test]
async fn attestations_are_filtered_by_type_and_subject() {
    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let (store, text, digest) = image(&registry, "verify/attested", "x").await;
    let policy = KeyPolicy::new(key.public_key());
    let err = verify_image_attestations(&store, &tag("v1"), &policy, None)
        .await
        .unwrap_err();
    assert!(err.reason().contains("no attestations"), "{err}");
    let slsa =
        json!({"buildDefinition": {"buildType": "b"}, "runDetails": {"builder": {"id": "i"}}});
    attest_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", slsa.clone()),
    )
    .await
    .unwrap();
    attest_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &AttestOptions::new(
            "https://spdx.dev/Document",
            json!({"spdxVersion": "SPDX-2.3"}),
        )
        .format(SignatureFormat::Bundle),
    )
    .await
    .unwrap();
    // A signature is not an attestation.
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &SignOptions::new().format(SignatureFormat::Bundle),
    )
    .await
    .unwrap();
    let all = verify_image_attestations(&store, &tag("v1"), &policy, None)
        .await
        .unwrap();
    assert_eq!(all.verified.len(), 2);
    let slsa_only = verify_image_attestations(
        &store,
        &tag("v1"),
        &policy,
        Some("https://slsa.dev/provenance/v1"),
    )
    .await
    .unwrap();
    assert_eq!(slsa_only.verified.len(), 1);
    assert_eq!(slsa_only.verified[0].statement.predicate, slsa);
    assert!(slsa_only.verified[0].statement.matches_digest(&digest));
    let spdx = verify_image_attestations(
        &store,
        &tag("v1"),
        &policy,
        Some("https://spdx.dev/Document"),
    )
    .await
    .unwrap();
    assert_eq!(spdx.verified[0].layout, Layout::Bundle);
    let err = verify_image_attestations(
        &store,
        &tag("v1"),
        &policy,
        Some("https://cyclonedx.org/bom"),
    )
    .await
    .unwrap_err();
    assert!(
        err.reason().contains("is not https://cyclonedx.org/bom"),
        "{err}"
    );
    let err = verify_image_attestations(
        &store,
        &tag("v1"),
        &KeyPolicy::new(PrivateKey::generate().unwrap().public_key()),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        err.reason().contains("does not verify") || err.reason().contains("another key"),
        "{err}"
    );
}

/// A containers/image `dir:` image: `manifest.json` and `signature-N` files, each a
/// `\0sigstore-json\n` header and `{"mimeType","payload","annotations"}`.
fn dir_image(dir: &Path) -> (Option<Digest>, Vec<SignatureLayer>) {
    let digest = std::fs::read(dir.join("manifest.json"))
        .ok()
        .map(|m| Digest::sha256_of(&m));
    let mut layers = Vec::new();
    for n in 1.. {
        let Ok(bytes) = std::fs::read(dir.join(format!("signature-{n}"))) else {
            break;
        };
        let header = b"\0sigstore-json\n";
        assert!(bytes.starts_with(header), "{}", dir.display());
        let v: serde_json::Value = serde_json::from_slice(&bytes[header.len()..]).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(v["payload"].as_str().unwrap())
            .unwrap();
        let annotations: BTreeMap<String, String> = v["annotations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        layers.push(SignatureLayer::new(
            v["mimeType"].as_str().unwrap(),
            payload,
            annotations,
        ));
    }
    (digest, layers)
}

#[test]
fn containers_image_fixtures_get_the_expected_answers() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let f = corpus.join("sigstore/containers-image/signature/fixtures");
    let key = |name: &str| PublicKey::from_pem(&std::fs::read(f.join(name)).unwrap()).unwrap();
    let cosign = key("cosign.pub");
    let cosign2 = key("cosign2.pub");
    let rekor = key("rekor.pub");
    let repo = |r: &str| IdentityCheck::SameRepository(r.to_owned());
    let exact = |r: &str| IdentityCheck::Exact(r.parse().unwrap());
    let sample = "192.168.64.2:5000/cosign-signed-single-sample";
    // (case, policy, accept)
    let cases: Vec<(&str, KeyPolicy, bool)> = vec![
        (
            "dir-img-cosign-valid",
            KeyPolicy::new(cosign).identity(repo(sample)),
            true,
        ),
        ("dir-img-cosign-valid", KeyPolicy::new(cosign), true),
        (
            "dir-img-cosign-valid",
            KeyPolicy::new(cosign).identity(repo("testing/manifest")),
            false,
        ),
        (
            "dir-img-cosign-valid",
            KeyPolicy::new(cosign).identity(exact(&format!("{sample}:latest"))),
            false,
        ),
        ("dir-img-cosign-valid", KeyPolicy::new(cosign2), false),
        (
            "dir-img-cosign-valid",
            KeyPolicy::new(cosign).rekor_key(rekor),
            false,
        ),
        (
            "dir-img-cosign-valid-2",
            KeyPolicy::new(cosign).identity(repo(sample)),
            true,
        ),
        (
            "dir-img-cosign-valid-2",
            KeyPolicy::new(cosign).identity(repo("this/does-not")),
            false,
        ),
        (
            "dir-img-cosign-mixed",
            KeyPolicy::new(cosign).identity(repo(sample)),
            true,
        ),
        (
            "dir-img-cosign-valid-with-tag",
            KeyPolicy::new(cosign).identity(exact("192.168.64.2:5000/skopeo-signed:tag")),
            true,
        ),
        (
            "dir-img-cosign-valid-with-tag",
            KeyPolicy::new(cosign).identity(exact("192.168.64.2:5000/skopeo-signed:othertag")),
            false,
        ),
        (
            "dir-img-cosign-key-rekor-valid",
            KeyPolicy::new(cosign2).rekor_key(rekor),
            true,
        ),
        (
            "dir-img-cosign-key-rekor-valid",
            KeyPolicy::new(cosign).or_key(cosign2).rekor_key(rekor),
            true,
        ),
        (
            "dir-img-cosign-key-rekor-valid",
            KeyPolicy::new(cosign2).rekor_key(cosign),
            false,
        ),
        (
            "dir-img-cosign-other-attachment",
            KeyPolicy::new(cosign),
            false,
        ),
        (
            "dir-img-cosign-manifest-digest-error",
            KeyPolicy::new(cosign),
            false,
        ),
        (
            "dir-img-cosign-modified-manifest",
            KeyPolicy::new(cosign),
            false,
        ),
        (
            "dir-img-cosign-no-manifest",
            KeyPolicy::new(cosign).identity(repo(sample)),
            false,
        ),
    ];
    let mut checked = 0;
    for (case, policy, accept) in cases {
        let (digest, layers) = dir_image(&f.join(case));
        let result = match digest {
            Some(d) => verify_signature_layers(&d, &layers, &policy).map(|_| ()),
            None => Err(boltseal::verify::image::VerifyError::refused(format!(
                "{case}: no manifest.json"
            ))),
        };
        assert_eq!(result.is_ok(), accept, "{case}: {result:?}");
        checked += 1;
    }
    // The key-rekor case with its bundle annotation removed is refused when a Rekor key is set.
    let (digest, mut layers) = dir_image(&f.join("dir-img-cosign-key-rekor-valid"));
    for l in &mut layers {
        l.annotations.remove("dev.sigstore.cosign/bundle");
    }
    let err = verify_signature_layers(
        &digest.unwrap(),
        &layers,
        &KeyPolicy::new(cosign2).rekor_key(rekor),
    )
    .unwrap_err();
    assert!(err.reason().contains("no Rekor bundle"), "{err}");
    assert_eq!(checked, 18);
}

fn run(bin: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(support::example(bin))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[tokio::test]
async fn verify_examples_follow_their_contracts() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = PrivateKey::generate().unwrap();
    std::fs::write(d.join("k.pub"), key.public_key().to_pem()).unwrap();
    std::fs::write(
        d.join("other.pub"),
        PrivateKey::generate().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let (store, text, digest) = image(&registry, "verify/cli", "cli").await;
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await
    .unwrap();
    attest_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", json!({"x": 1})),
    )
    .await
    .unwrap();

    let out = run("verify", &["--key", "k.pub", "-a", "env=prod", &text], d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payloads: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(payloads.as_array().unwrap().len(), 1);
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );

    for (args, code) in [
        (vec!["--key", "other.pub", text.as_str()], 1),
        (vec!["--key", "k.pub", "-a", "env=dev", text.as_str()], 1),
        (vec!["--key", "missing.pub", text.as_str()], 2),
        (vec![text.as_str()], 2),
    ] {
        let out = run("verify", &args, d);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().last().unwrap_or_default();
        assert!(line.starts_with("error: "), "{err}");
        assert!(out.stdout.is_empty());
    }

    let out = run(
        "verify-attestation",
        &["--key", "k.pub", "--type", "slsaprovenance1", &text],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statements: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        statements[0]["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(statements[0]["predicate"], json!({"x": 1}));
    let out = run(
        "verify-attestation",
        &["--key", "k.pub", "--type", "cyclonedx", &text],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn image_verifier_counts_attestors_and_caches() {
    use boltseal::evidence::{ImageVerifier, RegistryVerifier};
    use boltseal::verify::verifier::{Attestor, AttestorSet};
    let registry = support::Registry::start();
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    let c = PrivateKey::generate().unwrap();
    let (store, text, digest) = image(&registry, "verify/policy", "p").await;
    for key in [&a, &b] {
        sign_image(&store, &tag("v1"), &text, key, &SignOptions::new())
            .await
            .unwrap();
    }
    let verifier =
        RegistryVerifier::new(RegistryOptions::new(), std::time::Duration::from_secs(60));
    let image: Reference = text.parse().unwrap();
    let keys = |ks: &[&PrivateKey]| {
        ks.iter()
            .map(|k| Attestor::Key(k.public_key()))
            .collect::<Vec<_>>()
    };

    // All of two signers: ok. All of three: refused. Two of three: ok.
    let ok = verifier
        .verify(&image, &AttestorSet::all(keys(&[&a, &b])))
        .await
        .unwrap();
    assert_eq!(ok.digest, digest);
    assert_eq!(ok.verified_by, vec![0, 1]);
    let err = verifier
        .verify(&image, &AttestorSet::all(keys(&[&a, &b, &c])))
        .await
        .unwrap_err();
    assert!(err.reason().contains("2 of 3 required"), "{err}");
    let two = verifier
        .verify(&image, &AttestorSet::at_least(2, keys(&[&c, &a, &b])))
        .await
        .unwrap();
    assert_eq!(two.verified_by, vec![1, 2]);
    let err = verifier
        .verify(&image, &AttestorSet::at_least(1, keys(&[&c])))
        .await
        .unwrap_err();
    assert!(err.reason().contains("0 of 1"), "{err}");
    // Successes are cached per (digest, attestor set); failures are not.
    assert_eq!(verifier.cached().await, 2);
    // Concurrent verifications of the same image are safe and agree.
    let set = AttestorSet::all(keys(&[&a]));
    let (x, y) = tokio::join!(verifier.verify(&image, &set), verifier.verify(&image, &set));
    assert_eq!(x.unwrap().digest, y.unwrap().digest);
    // A keyless attestor does not vouch for key signatures; with a key attestor, 1 of 2 passes.
    let keyless = Attestor::Keyless {
        identity: boltseal::verify::bundle::Identity::exact(
            "dev@example.com",
            "https://issuer.example",
        ),
        trust: std::sync::Arc::new(boltseal::verify::trust::TrustedRoot::public_good()),
    };
    let err = verifier
        .verify(&image, &AttestorSet::at_least(1, vec![keyless.clone()]))
        .await
        .unwrap_err();
    assert!(err.reason().contains("not a keyless signature"), "{err}");
    let mixed = verifier
        .verify(
            &image,
            &AttestorSet::at_least(1, vec![keyless, Attestor::Key(a.public_key())]),
        )
        .await
        .unwrap();
    assert_eq!(mixed.verified_by, vec![1]);
    // No attestors is a refusal, not a pass.
    assert!(
        verifier
            .verify(&image, &AttestorSet::all(Vec::new()))
            .await
            .is_err()
    );
}

#[test]
fn keyless_legacy_signatures_from_the_containers_image_fixtures() {
    use boltseal::verify::bundle::Identity;
    use boltseal::verify::image::{KeylessPolicy, Signer, verify_keyless_layers};
    use boltseal::verify::trust::TrustedRoot;
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let f = corpus.join("sigstore/containers-image/signature/fixtures");
    let policy = |san: &str| {
        KeylessPolicy::new(
            Identity::exact(san, "https://github.com/login/oauth"),
            TrustedRoot::public_good(),
        )
    };
    let (digest, layers) = dir_image(&f.join("dir-img-cosign-fulcio-rekor-valid"));
    let digest = digest.unwrap();
    let ok = verify_keyless_layers(&digest, &layers, &policy("mitr@redhat.com")).unwrap();
    assert!(matches!(
        &ok.verified[0].signer,
        Signer::Certificate { subject_alternative_names, .. } if subject_alternative_names.contains(&"mitr@redhat.com".to_owned())
    ));
    let err = verify_keyless_layers(&digest, &layers, &policy("someone@example.com")).unwrap_err();
    assert!(err.reason().contains("signature 0"), "{err}");
    // Another image's digest, an empty trust root, a key-signed layer: refused.
    let other = Digest::sha256_of(b"another manifest");
    assert!(verify_keyless_layers(&other, &layers, &policy("mitr@redhat.com")).is_err());
    let empty = KeylessPolicy::new(
        Identity::exact("mitr@redhat.com", "https://github.com/login/oauth"),
        TrustedRoot::empty(),
    );
    assert!(verify_keyless_layers(&digest, &layers, &empty).is_err());
    let (d2, key_layers) = dir_image(&f.join("dir-img-cosign-valid"));
    let err =
        verify_keyless_layers(&d2.unwrap(), &key_layers, &policy("mitr@redhat.com")).unwrap_err();
    assert!(err.reason().contains("not a keyless signature"), "{err}");
}

async fn put_blob(store: &RegistryStore, desc: &Descriptor, bytes: &[u8]) {
    let r = BlobReader::new("blob", desc, Box::pin(std::io::Cursor::new(bytes.to_vec())));
    store.put_blob(desc, r).await.unwrap();
}

/// Pushes a legacy `.att` manifest for `digest` holding `layers` (DSSE blob, annotations).
async fn push_att(
    store: &RegistryStore,
    digest: &Digest,
    layers: &[(Vec<u8>, BTreeMap<String, String>)],
) {
    let mut descriptors = Vec::new();
    for (blob, annotations) in layers {
        let mut d = Descriptor::of_bytes(media_type::DSSE_ENVELOPE, blob);
        for (k, v) in annotations {
            d = d.with_annotation(k, v.clone());
        }
        put_blob(store, &d, blob).await;
        descriptors.push(d);
    }
    let config = Descriptor::of_bytes(media_type::OCI_CONFIG, b"{}");
    put_blob(store, &config, b"{}").await;
    let manifest = ImageManifest::new(config, descriptors).to_raw().unwrap();
    store
        .put_manifest(&manifest, Some(&signature_tag(digest, "att")))
        .await
        .unwrap();
}

/// Pushes a Sigstore bundle as an OCI referrer of the image `v1` (cosign v3's layout).
async fn push_bundle_referrer(store: &RegistryStore, bundle: &[u8], predicate_type: &str) {
    let image = store.resolve(&tag("v1")).await.unwrap();
    let empty = Descriptor::of_bytes(media_type::OCI_EMPTY, b"{}");
    put_blob(store, &empty, b"{}").await;
    let layer = Descriptor::of_bytes(media_type::SIGSTORE_BUNDLE_V03, bundle);
    put_blob(store, &layer, bundle).await;
    let mut manifest = ImageManifest::new(empty, vec![layer]);
    manifest.artifact_type = Some(media_type::SIGSTORE_BUNDLE_V03.to_owned());
    manifest.subject = Some(Descriptor::new(
        image.media_type.clone(),
        image.digest,
        image.size,
    ));
    manifest.annotations.insert(
        "dev.sigstore.bundle.predicateType".to_owned(),
        predicate_type.to_owned(),
    );
    store
        .put_manifest(&manifest.to_raw().unwrap(), None)
        .await
        .unwrap();
}

/// Keyless attestations made by a private Sigstore instance (Fulcio-like CA, CT log, Rekor v1
/// log, all offline) and pushed to a real registry in both layouts: accepted for the right
/// identity and issuer through the library, the `verify-attestation` example and the
/// `ImageVerifier`; refused for a wrong identity or issuer, another instance's trust root, a key,
/// a statement about another image, and a Rekor bundle of another attestation.
#[tokio::test]
async fn keyless_attestations_verify_end_to_end() {
    use boltseal::envelope::intoto::Statement;
    use boltseal::envelope::predicate;
    use boltseal::evidence::{ImageVerifier, RegistryVerifier};
    use boltseal::evidence::{verify_image_attestations_keyless, verify_image_keyless};
    use boltseal::verify::bundle::{Identity, Matcher};
    use boltseal::verify::image::{KeylessPolicy, Signer, verify_keyless_attestation_layers};
    use boltseal::verify::verifier::{Attestor, AttestorSet};

    const SLSA: &str = "https://slsa.dev/provenance/v1";
    const SPDX: &str = "https://spdx.dev/Document";
    const ID: &str = "dev@example.com";
    const ISSUER: &str = "https://issuer.example";
    let registry = support::Registry::start();
    let sigstore = private_sigstore::Instance::new();
    let leaf = sigstore.leaf(ID, ISSUER);
    let (store, text, digest) = image(&registry, "verify/keyless", "k").await;
    let repo = registry.repo("verify/keyless");
    let slsa = Statement::for_image(
        &digest,
        SLSA,
        json!({"buildDefinition": {"buildType": "b"}}),
    )
    .with_subject_name(&repo)
    .to_bytes();
    let spdx = Statement::for_image(&digest, SPDX, json!({"spdxVersion": "SPDX-2.3"}))
        .with_subject_name(&repo)
        .to_bytes();
    let signature = Statement::for_image(&digest, predicate::COSIGN_SIGN_V1, json!({})).to_bytes();

    // Legacy .att layer (SLSA) and bundle referrers: an SPDX attestation and a signature.
    let legacy = sigstore.legacy_attestation(&leaf, &slsa, SLSA);
    push_att(&store, &digest, std::slice::from_ref(&legacy)).await;
    push_bundle_referrer(&store, &sigstore.dsse_bundle(&leaf, &spdx), SPDX).await;
    push_bundle_referrer(
        &store,
        &sigstore.dsse_bundle(&leaf, &signature),
        predicate::COSIGN_SIGN_V1,
    )
    .await;

    let policy = |identity: Identity| KeylessPolicy::new(identity, sigstore.trusted_root());
    let good = policy(Identity::exact(ID, ISSUER));
    let all = verify_image_attestations_keyless(&store, &tag("v1"), &good, None)
        .await
        .unwrap();
    assert_eq!(all.digest, digest);
    assert_eq!(all.verified.len(), 2, "{:?}", all.rejected);
    assert!(
        all.rejected
            .iter()
            .any(|r| r.contains("a signature, not an attestation")),
        "{:?}",
        all.rejected
    );
    for a in &all.verified {
        assert!(
            matches!(&a.signer, Signer::Certificate { subject_alternative_names, issuer }
                if subject_alternative_names == &[ID.to_owned()] && issuer.as_deref() == Some(ISSUER)),
            "{:?}",
            a.signer
        );
        assert!(a.statement.matches_digest(&digest));
    }
    let only = verify_image_attestations_keyless(&store, &tag("v1"), &good, Some(SLSA))
        .await
        .unwrap();
    assert_eq!(only.verified.len(), 1);
    assert_eq!(only.verified[0].layout, Layout::Legacy);
    assert_eq!(
        only.verified[0].statement_json,
        private_sigstore::json_of(&slsa)
    );
    let only = verify_image_attestations_keyless(&store, &tag("v1"), &good, Some(SPDX))
        .await
        .unwrap();
    assert_eq!(only.verified[0].layout, Layout::Bundle);
    let err = verify_image_attestations_keyless(
        &store,
        &tag("v1"),
        &good,
        Some("https://cyclonedx.org/bom"),
    )
    .await
    .unwrap_err();
    assert!(
        err.reason().contains("is not https://cyclonedx.org/bom"),
        "{err}"
    );
    // Regular expressions for identity and issuer.
    let pattern = policy(Identity::new(
        Matcher::regex("^dev@example\\.(com|org)$").unwrap(),
        Matcher::regex("^https://issuer\\.").unwrap(),
    ));
    assert!(
        verify_image_attestations_keyless(&store, &tag("v1"), &pattern, Some(SLSA))
            .await
            .is_ok()
    );
    // The keyless image signature (bundle referrer) verifies too.
    let signed = verify_image_keyless(&store, &tag("v1"), &good)
        .await
        .unwrap();
    assert_eq!(signed.verified.len(), 1);
    assert_eq!(signed.verified[0].layout, Layout::Bundle);

    // Refused: wrong identity, wrong issuer, another instance's trust root, a key.
    for (what, bad) in [
        (
            "identity",
            policy(Identity::exact("someone@example.com", ISSUER)),
        ),
        (
            "issuer",
            policy(Identity::exact(ID, "https://other.example")),
        ),
        (
            "trust root",
            KeylessPolicy::new(
                Identity::exact(ID, ISSUER),
                private_sigstore::Instance::new().trusted_root(),
            ),
        ),
    ] {
        let err = verify_image_attestations_keyless(&store, &tag("v1"), &bad, None)
            .await
            .unwrap_err();
        assert!(
            err.reason().contains("no valid attestations"),
            "{what}: {err}"
        );
        assert!(err.reason().contains("attestation 0"), "{what}: {err}");
        assert!(err.reason().contains("bundle sha256:"), "{what}: {err}");
    }
    let err = verify_image_attestations_keyless(
        &store,
        &tag("v1"),
        &policy(Identity::exact("someone@example.com", ISSUER)),
        None,
    )
    .await
    .unwrap_err();
    assert!(err.reason().contains("does not match the policy"), "{err}");
    let err = verify_image_attestations(
        &store,
        &tag("v1"),
        &KeyPolicy::new(PrivateKey::generate().unwrap().public_key()),
        None,
    )
    .await
    .unwrap_err();
    assert!(err.reason().contains("keyless"), "{err}");

    // The sync core: the same layer for another image, and a Rekor bundle of another
    // attestation (same signer, same log), are refused.
    let layer = SignatureLayer::new(
        media_type::DSSE_ENVELOPE,
        legacy.0.clone(),
        legacy.1.clone(),
    );
    let other = Digest::sha256_of(b"another image");
    let err = verify_keyless_attestation_layers(&other, std::slice::from_ref(&layer), &good, None)
        .unwrap_err();
    assert!(err.reason().contains("not about the image"), "{err}");
    let (_, spdx_annotations) = sigstore.legacy_attestation(&leaf, &spdx, SPDX);
    let mut swapped = legacy.1.clone();
    swapped.insert(
        "dev.sigstore.cosign/bundle".to_owned(),
        spdx_annotations["dev.sigstore.cosign/bundle"].clone(),
    );
    let forged = SignatureLayer::new(media_type::DSSE_ENVELOPE, legacy.0.clone(), swapped);
    let err = verify_keyless_attestation_layers(&digest, &[forged], &good, None).unwrap_err();
    assert!(err.reason().contains("Rekor entry"), "{err}");
    // A certificate from another instance, with this instance's Rekor bundle: refused.
    let stranger = private_sigstore::Instance::new().leaf(ID, ISSUER);
    let mut foreign = legacy.1.clone();
    foreign.insert("dev.sigstore.cosign/certificate".to_owned(), stranger.pem());
    let foreign = SignatureLayer::new(media_type::DSSE_ENVELOPE, legacy.0.clone(), foreign);
    assert!(verify_keyless_attestation_layers(&digest, &[foreign], &good, None).is_err());

    // The example: keyless flags, exit codes.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("root.json"), sigstore.trusted_root_json()).unwrap();
    std::fs::write(d.join("k.pub"), leaf.key.public_key().to_pem()).unwrap();
    let keyless = |identity: &str, issuer: &str, ty: &str| {
        run(
            "verify-attestation",
            &[
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                "root.json",
                "--type",
                ty,
                &text,
            ],
            d,
        )
    };
    let out = keyless(ID, ISSUER, "slsaprovenance1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statements: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statements, json!([private_sigstore::json_of(&slsa)]));
    let out = keyless(ID, ISSUER, "spdxjson");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (identity, issuer) in [
        ("someone@example.com", ISSUER),
        (ID, "https://other.example"),
    ] {
        let out = keyless(identity, issuer, "slsaprovenance1");
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    }
    let out = run(
        "verify-attestation",
        &[
            "--certificate-identity-regexp",
            "^dev@",
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            "root.json",
            "--type",
            SLSA,
            &text,
        ],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The embedded public-good root does not trust the private instance.
    let out = run(
        "verify-attestation",
        &[
            "--certificate-identity",
            ID,
            "--certificate-oidc-issuer",
            ISSUER,
            "--type",
            "slsaprovenance1",
            &text,
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    for args in [
        vec!["--key", "k.pub", "--certificate-identity", ID, &text],
        vec!["--certificate-identity", ID, &text],
        vec![
            "--certificate-identity",
            ID,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            "missing.json",
            &text,
        ],
    ] {
        let out = run("verify-attestation", &args, d);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    }
    // `verify` accepts the keyless signature referrer.
    let out = run(
        "verify",
        &[
            "--certificate-identity",
            ID,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            "root.json",
            &text,
        ],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The ImageVerifier: keyless attestors for attestations (what Kyverno `attestations`
    // with keyless attestors evaluate), N of M, cached per (digest, attestors, type).
    let verifier =
        RegistryVerifier::new(RegistryOptions::new(), std::time::Duration::from_secs(60));
    let image_ref: Reference = text.parse().unwrap();
    let trust = std::sync::Arc::new(sigstore.trusted_root());
    let keyless_attestor = |identity: &str| Attestor::Keyless {
        identity: Identity::exact(identity, ISSUER),
        trust: std::sync::Arc::clone(&trust),
    };
    let ok = verifier
        .verify_attestations(
            &image_ref,
            &AttestorSet::all(vec![keyless_attestor(ID)]),
            SLSA,
        )
        .await
        .unwrap();
    assert_eq!(ok.digest, digest);
    assert_eq!(ok.verified_by, vec![0]);
    assert_eq!(ok.payloads, vec![private_sigstore::json_of(&slsa)]);
    let err = verifier
        .verify_attestations(
            &image_ref,
            &AttestorSet::all(vec![keyless_attestor("someone@example.com")]),
            SLSA,
        )
        .await
        .unwrap_err();
    assert!(err.reason().contains("0 of 1 required"), "{err}");
    let mixed = AttestorSet::at_least(
        1,
        vec![
            Attestor::Key(PrivateKey::generate().unwrap().public_key()),
            keyless_attestor(ID),
        ],
    );
    let ok = verifier
        .verify_attestations(&image_ref, &mixed, SPDX)
        .await
        .unwrap();
    assert_eq!(ok.verified_by, vec![1]);
    assert_eq!(ok.payloads, vec![private_sigstore::json_of(&spdx)]);
    // Signatures and attestations are cached apart.
    let signed = verifier
        .verify(&image_ref, &AttestorSet::all(vec![keyless_attestor(ID)]))
        .await
        .unwrap();
    assert_eq!(signed.payloads.len(), 1);
    assert_eq!(
        signed.payloads[0]["predicateType"],
        predicate::COSIGN_SIGN_V1
    );
    assert_eq!(verifier.cached().await, 3);
}

/// Key attestors for attestations through the `ImageVerifier`, and the same layers verified
/// with every ECDSA backend compiled in (p256 always; AWS-LC with the `aws-lc` feature).
#[tokio::test]
async fn key_attestations_through_the_image_verifier_and_every_backend() {
    use boltseal::evidence::{ImageVerifier, RegistryVerifier};
    use boltseal::keys::Backend;
    use boltseal::verify::verifier::{Attestor, AttestorSet};
    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let (store, text, digest) = image(&registry, "verify/backends", "b").await;
    attest_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", json!({"x": 1})),
    )
    .await
    .unwrap();
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &key,
        &SignOptions::new().annotation("a", "b"),
    )
    .await
    .unwrap();
    let verifier =
        RegistryVerifier::new(RegistryOptions::new(), std::time::Duration::from_secs(60));
    let image_ref: Reference = text.parse().unwrap();
    let ok = verifier
        .verify_attestations(
            &image_ref,
            &AttestorSet::all(vec![Attestor::Key(key.public_key())]),
            "https://slsa.dev/provenance/v1",
        )
        .await
        .unwrap();
    assert_eq!(ok.payloads[0]["predicate"], json!({"x": 1}));
    let err = verifier
        .verify_attestations(
            &image_ref,
            &AttestorSet::all(vec![Attestor::Key(key.public_key())]),
            "https://cyclonedx.org/bom",
        )
        .await
        .unwrap_err();
    assert!(err.reason().contains("0 of 1"), "{err}");

    // The same signature layers under every backend: the same answers.
    let raw = store
        .get_manifest(&tag(&signature_tag(&digest, "sig")))
        .await
        .unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!()
    };
    let mut layers = Vec::new();
    for d in &m.layers {
        let blob = store
            .get_blob(d)
            .await
            .unwrap()
            .read_to_vec(1 << 20)
            .await
            .unwrap();
        layers.push(SignatureLayer::new(
            d.media_type.clone(),
            blob,
            d.annotations.clone(),
        ));
    }
    let mut tampered = layers[0].clone();
    let last = tampered.blob.len() - 2;
    tampered.blob[last] ^= 1;
    for backend in Backend::available() {
        let policy = KeyPolicy::new(key.public_key()).backend(*backend);
        let ok = verify_signature_layers(&digest, &layers, &policy.clone().annotation("a", "b"))
            .unwrap();
        assert_eq!(ok.verified.len(), 1, "{backend}");
        assert!(
            verify_signature_layers(&digest, &layers, &policy.clone().annotation("a", "c"))
                .is_err()
        );
        assert!(
            verify_signature_layers(&digest, std::slice::from_ref(&tampered), &policy).is_err()
        );
        let wrong = KeyPolicy::new(PrivateKey::generate().unwrap().public_key()).backend(*backend);
        assert!(verify_signature_layers(&digest, &layers, &wrong).is_err());
        let ok = verify_image(&store, &tag("v1"), &policy).await.unwrap();
        assert_eq!(ok.verified.len(), 1, "{backend}");
    }
}

/// A key-signed legacy attestation under a transparency-log requirement: accepted when its
/// Rekor SET verifies with the required log key and the entry records this envelope and key;
/// refused without a bundle, with another log's key, or when the entry is another envelope's.
#[test]
fn key_attestations_with_a_required_transparency_log() {
    use boltseal::verify::image::verify_attestation_layers;

    let sigstore = private_sigstore::Instance::new();
    let signer = PrivateKey::generate().unwrap();
    let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
    let statement = |n: u32| {
        serde_json::to_vec(&json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "img", "digest": {"sha256": "ab".repeat(32)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"n": n}
        }))
        .unwrap()
    };
    let predicate = "https://slsa.dev/provenance/v1";
    let layer = |blob: Vec<u8>, annotations: BTreeMap<String, String>| {
        SignatureLayer::new(media_type::DSSE_ENVELOPE.to_owned(), blob, annotations)
    };
    let (blob, annotations) = sigstore.legacy_key_attestation(&signer, &statement(1), predicate);
    let policy = KeyPolicy::new(signer.public_key()).rekor_key(sigstore.rekor_public_key());

    let ok = verify_attestation_layers(
        &digest,
        &[layer(blob.clone(), annotations.clone())],
        &policy,
        Some(predicate),
    )
    .unwrap();
    assert_eq!(ok.verified.len(), 1);
    // Without the requirement the same layer verifies too.
    let plain = KeyPolicy::new(signer.public_key());
    assert!(
        verify_attestation_layers(
            &digest,
            &[layer(blob.clone(), BTreeMap::new())],
            &plain,
            None
        )
        .is_ok()
    );
    // Not logged.
    let err = verify_attestation_layers(
        &digest,
        &[layer(blob.clone(), BTreeMap::new())],
        &policy,
        None,
    )
    .unwrap_err();
    assert!(
        err.reason().contains("transparency-log entry is required"),
        "{err}"
    );
    // Logged in another log than the one required.
    let other =
        KeyPolicy::new(signer.public_key()).rekor_key(PrivateKey::generate().unwrap().public_key());
    let err = verify_attestation_layers(
        &digest,
        &[layer(blob.clone(), annotations.clone())],
        &other,
        None,
    )
    .unwrap_err();
    assert!(err.reason().contains("Rekor SET does not verify"), "{err}");
    // A genuine log entry, but for another envelope by the same key.
    let (_, other_entry) = sigstore.legacy_key_attestation(&signer, &statement(2), predicate);
    let err =
        verify_attestation_layers(&digest, &[layer(blob, other_entry)], &policy, None).unwrap_err();
    assert!(err.reason().contains("Rekor entry"), "{err}");
}

/// Key-signed bundles (cosign v3) under a transparency-log requirement: a bundle whose `dsse`
/// entry is in the required log verifies; a bundle without an entry (boltseal signs offline),
/// or whose log is not the required one, is refused.
#[tokio::test]
async fn key_bundles_with_a_required_transparency_log() {
    use boltseal::envelope::predicate;

    let registry = support::Registry::start();
    let sigstore = private_sigstore::Instance::new();
    let signer = PrivateKey::generate().unwrap();
    let (store, text, digest) = image(&registry, "tlog/app", "logged bundle").await;
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": text, "digest": {"sha256": digest.encoded()}}],
        "predicateType": predicate::COSIGN_SIGN_V1,
        "predicate": {}
    }))
    .unwrap();
    push_bundle_referrer(
        &store,
        &sigstore.key_dsse_bundle(&signer, &statement),
        predicate::COSIGN_SIGN_V1,
    )
    .await;
    let by_digest = ManifestRef::Digest(digest);
    let logged = KeyPolicy::new(signer.public_key()).rekor_key(sigstore.rekor_public_key());
    let v = verify_image(&store, &by_digest, &logged).await.unwrap();
    assert_eq!(v.verified.len(), 1);
    assert_eq!(v.verified[0].layout, Layout::Bundle);
    let elsewhere =
        KeyPolicy::new(signer.public_key()).rekor_key(PrivateKey::generate().unwrap().public_key());
    let err = verify_image(&store, &by_digest, &elsewhere)
        .await
        .unwrap_err();
    assert!(
        err.reason().contains("transparency-log entry is required"),
        "{err}"
    );

    // Signed offline: no entry, refused under the requirement, accepted without it.
    let (store, text, _) = image(&registry, "tlog/offline", "offline bundle").await;
    sign_image(
        &store,
        &tag("v1"),
        &text,
        &signer,
        &SignOptions::new().format(SignatureFormat::Bundle),
    )
    .await
    .unwrap();
    let err = verify_image(&store, &tag("v1"), &logged).await.unwrap_err();
    assert!(err.reason().contains("no transparency-log entry"), "{err}");
    assert!(
        verify_image(&store, &tag("v1"), &KeyPolicy::new(signer.public_key()))
            .await
            .is_ok()
    );
}
