//! Key-based image verification against a real registry, both layouts; the refusals the issue
//! names (unsigned, wrong key, replayed signature manifest, tampered annotation, unmet `-a`,
//! payload for another digest); the containers/image fixtures; and the verify /
//! verify-attestation examples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
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
    IdentityCheck, KeyPolicy, Layout, SignatureLayer, verify_image, verify_image_attestations,
    verify_signature_layers,
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
            None => Err(boltseal::verify::image::VerifyError::from(
                boltseal::oci::Error::NotFound {
                    store: case.to_owned(),
                    what: "manifest.json".to_owned(),
                },
            )),
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
    use boltseal::verify::verifier::{Attestor, AttestorSet, ImageVerifier, RegistryVerifier};
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
