//! Key-based image verification against a real registry, both layouts; the refusals the issue
//! names (unsigned, wrong key, replayed signature manifest, tampered annotation, unmet `-a`,
//! payload for another digest); the containers/image fixtures; and the verify /
//! verify-attestation examples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::private_sigstore;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use base64::Engine as _;
use boltseal::envelope::intoto::Statement;
use boltseal::envelope::predicate;
use boltseal::evidence::{ImageVerifier, RegistryVerifier, verify};
use boltseal::keys::{PrivateKey, PublicKey};
use boltseal::oci::{Manifest, ManifestRef, RegistryOptions, RegistryStore, Store};
use boltseal::reference::{Digest, Reference, media_type};
use boltseal::sign::{AttestOptions, SignOptions, SignatureFormat, signature_tag};
use boltseal::verify::bundle::{Identity, Matcher};
use boltseal::verify::{
    Attestor, AttestorSet, Authority, Claim, IdentityCheck, KeyPolicy, KeylessPolicy, Layout,
    SignatureLayer, Signer, Verification, VerifyError,
};
use boltseal_test_support::images::{
    attest_v1, check_layers, push_att, push_bundle_referrer, push_signature_manifest, read_blob,
    sign_v1, spdx_bundle, tag,
};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Verifies that `policy` vouched for `claim` about `reference` in `store`.
async fn verify_in<P: Clone + Into<Authority>>(
    store: &RegistryStore,
    reference: &ManifestRef,
    policy: &P,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    verify(store, reference, &policy.clone().into(), claim).await
}

/// `v1` in `store` verified for `claim` under `policy`.
async fn verify_v1<P: Clone + Into<Authority>>(
    store: &RegistryStore,
    policy: &P,
    claim: &Claim,
) -> Result<Verification, VerifyError> {
    verify_in(store, &tag("v1"), policy, claim).await
}

/// Under `policy`, the SPDX attestation of `v1` is the bundle one and no CycloneDX one
/// verifies.
async fn spdx_bundle_and_no_cyclonedx<P: Clone + Into<Authority>>(
    store: &RegistryStore,
    policy: &P,
) {
    let spdx = verify_v1(store, policy, &Claim::attestation(SPDX)).await;
    assert_eq!(spdx.unwrap().verified[0].layout, Layout::Bundle);
    let err = verify_v1(store, policy, &Claim::attestation(CDX))
        .await
        .unwrap_err();
    assert!(
        err.reason().contains("is not https://cyclonedx.org/bom"),
        "{err}"
    );
}

/// The refusal of `v1` in `store` under `policy`, one line.
async fn refusal(store: &RegistryStore, policy: &KeyPolicy) -> String {
    let err = verify_v1(store, policy, &Claim::Signature)
        .await
        .unwrap_err();
    err.reason().to_owned()
}

/// An image signed with `key` in the given layouts, annotated `env=prod`.
async fn signed_image(
    registry: &support::Registry,
    repo: &str,
    key: &PrivateKey,
    formats: &[SignatureFormat],
) -> (RegistryStore, String, Digest) {
    let (store, text, digest) = registry.push_image(repo, repo).await;
    for format in formats {
        let options = SignOptions::new().format(*format).annotation("env", "prod");
        sign_v1(&store, &text, key, &options).await;
    }
    (store, text, digest)
}

const BOTH: &[SignatureFormat] = &[SignatureFormat::Legacy, SignatureFormat::Bundle];

#[tokio::test]
async fn legacy_and_bundle_signatures_verify() {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let (store, text, digest) = signed_image(&registry, "verify/app", &key, BOTH).await;
    let policy = KeyPolicy::new(key.public_key());
    let ok = verify_v1(
        &store,
        &policy.clone().annotation("env", "prod"),
        &Claim::Signature,
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
    let exact = IdentityCheck::Exact(text.parse().unwrap());
    let by_identity = verify_v1(&store, &policy.identity(exact), &Claim::Signature).await;
    assert!(by_identity.is_ok(), "{by_identity:?}");
}

#[tokio::test]
async fn unsigned_image_is_refused() {
    let registry = support::Registry::start();
    let (store, _, _) = registry.push_image("verify/unsigned", "u").await;
    let policy = KeyPolicy::new(PrivateKey::generate().unwrap().public_key());
    let reason = refusal(&store, &policy).await;
    assert!(reason.contains("no signatures found"), "{reason}");
}

/// The refusal of an image signed with a fresh key (both layouts) under `policy(key, registry)`.
async fn refusal_of_signed(
    repo: &str,
    policy: impl FnOnce(&PrivateKey, &support::Registry) -> KeyPolicy,
) -> String {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let (store, _, _) = signed_image(&registry, repo, &key, BOTH).await;
    refusal(&store, &policy(&key, &registry)).await
}

#[tokio::test]
async fn signature_for_another_identity_is_refused() {
    let reason = refusal_of_signed("verify/identity", |key, registry| {
        let elsewhere = registry.repo("verify/identity:v2").parse().unwrap();
        KeyPolicy::new(key.public_key()).identity(IdentityCheck::Exact(elsewhere))
    })
    .await;
    assert!(reason.contains("identity"), "{reason}");
}

#[tokio::test]
async fn signature_by_another_key_is_refused() {
    let other = PrivateKey::generate().unwrap().public_key();
    let reason = refusal_of_signed("verify/key", |_, _| KeyPolicy::new(other)).await;
    assert!(reason.contains("does not verify"), "{reason}");
}

#[tokio::test]
async fn unmet_annotation_is_refused() {
    let reason = refusal_of_signed("verify/annotation", |key, _| {
        KeyPolicy::new(key.public_key()).annotation("env", "dev")
    })
    .await;
    assert!(reason.contains("env=dev"), "{reason}");
}

/// Image B's `.sig` tag holds image A's (genuine) signature manifest.
#[tokio::test]
async fn signature_manifest_replayed_from_another_image_is_refused() {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let legacy = &[SignatureFormat::Legacy];
    let (store, _, digest_a) = signed_image(&registry, "verify/replay", &key, legacy).await;
    let (_, _, digest_b) = registry.push_image("verify/replay", "b-content").await;
    let sig_a = store
        .get_manifest(&tag(&signature_tag(&digest_a, "sig")))
        .await
        .unwrap();
    store
        .put_manifest(&sig_a, Some(&signature_tag(&digest_b, "sig")))
        .await
        .unwrap();
    let policy = KeyPolicy::new(key.public_key());
    let err = verify_in(
        &store,
        &ManifestRef::Digest(digest_b),
        &policy,
        &Claim::Signature,
    )
    .await
    .unwrap_err();
    assert!(err.reason().contains("not the image"), "{err}");
}

/// The `.sig` layer's signature annotation with one bit of its signature flipped.
#[tokio::test]
async fn tampered_signature_annotation_is_refused() {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let legacy = &[SignatureFormat::Legacy];
    let (store, _, digest) = signed_image(&registry, "verify/tampered", &key, legacy).await;
    let raw = store
        .get_manifest(&tag(&signature_tag(&digest, "sig")))
        .await
        .unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("not an image manifest")
    };
    let mut layers = Vec::new();
    for d in &m.layers {
        layers.push((read_blob(&store, d).await, d.annotations.clone()));
    }
    let sig = layers[0]
        .1
        .get_mut("dev.cosignproject.cosign/signature")
        .unwrap();
    let mut bytes = B64.decode(&*sig).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    *sig = B64.encode(bytes);
    push_signature_manifest(&store, &digest, layers).await;
    let reason = refusal(&store, &KeyPolicy::new(key.public_key())).await;
    assert!(reason.contains("does not verify"), "{reason}");
}

/// A payload about another digest, correctly signed, under this image's `.sig` tag.
#[tokio::test]
async fn signed_payload_for_another_digest_is_refused() {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let (store, text, digest) = registry.push_image("verify/other", "d").await;
    let another = Digest::sha256_of(b"another image");
    let forged = boltseal::envelope::simple_signing::SimpleSigning::new(&text, another).to_bytes();
    let signature = B64.encode(key.sign_der(&forged));
    let annotations =
        BTreeMap::from([("dev.cosignproject.cosign/signature".to_owned(), signature)]);
    push_signature_manifest(&store, &digest, vec![(forged, annotations)]).await;
    let reason = refusal(&store, &KeyPolicy::new(key.public_key())).await;
    assert!(reason.contains("not the image"), "{reason}");
}

/// Key attestations in both layouts, chosen by predicate type; a signature is not one, and
/// another key's policy accepts none.
#[tokio::test]
async fn attestations_are_filtered_by_type_and_subject() {
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let (store, text, digest) = registry.push_image("verify/attested", "x").await;
    let policy = KeyPolicy::new(key.public_key());
    let none = verify_v1(&store, &policy, &Claim::Attestation(None)).await;
    assert!(none.is_err_and(|e| e.reason().contains("no attestations")));
    let slsa =
        json!({"buildDefinition": {"buildType": "b"}, "runDetails": {"builder": {"id": "i"}}});
    attest_v1(&store, &text, &key, &AttestOptions::new(SLSA, slsa.clone())).await;
    attest_v1(&store, &text, &key, &spdx_bundle()).await;
    // A signature is not an attestation.
    sign_v1(
        &store,
        &text,
        &key,
        &SignOptions::new().format(SignatureFormat::Bundle),
    )
    .await;
    let all = verify_v1(&store, &policy, &Claim::Attestation(None))
        .await
        .unwrap();
    assert_eq!(all.verified.len(), 2);
    let slsa_only = verify_v1(&store, &policy, &Claim::attestation(SLSA))
        .await
        .unwrap();
    assert_eq!(slsa_only.verified.len(), 1);
    assert_eq!(
        slsa_only.verified[0].statement.as_ref().unwrap().predicate,
        slsa
    );
    assert!(
        slsa_only.verified[0]
            .statement
            .as_ref()
            .unwrap()
            .matches_digest(&digest)
    );
    spdx_bundle_and_no_cyclonedx(&store, &policy).await;
    let err = verify_v1(
        &store,
        &KeyPolicy::new(PrivateKey::generate().unwrap().public_key()),
        &Claim::Attestation(None),
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
    let cosign = || key("cosign.pub");
    let cosign2 = || key("cosign2.pub");
    let rekor = || key("rekor.pub");
    let repo = |r: &str| IdentityCheck::SameRepository(r.to_owned());
    let exact = |r: &str| IdentityCheck::Exact(r.parse().unwrap());
    let sample = "192.168.64.2:5000/cosign-signed-single-sample";
    // (case, policy, accept)
    let (c1, c2) = (|| KeyPolicy::new(cosign()), || KeyPolicy::new(cosign2()));
    let (valid, tagged, logged) = (
        "dir-img-cosign-valid",
        "dir-img-cosign-valid-with-tag",
        "dir-img-cosign-key-rekor-valid",
    );
    let skopeo = "192.168.64.2:5000/skopeo-signed";
    let cases: Vec<(&str, KeyPolicy, bool)> = vec![
        (valid, c1().identity(repo(sample)), true),
        (valid, c1(), true),
        (valid, c1().identity(repo("testing/manifest")), false),
        (
            valid,
            c1().identity(exact(&format!("{sample}:latest"))),
            false,
        ),
        (valid, c2(), false),
        (valid, c1().rekor_key(rekor()), false),
        ("dir-img-cosign-valid-2", c1().identity(repo(sample)), true),
        (
            "dir-img-cosign-valid-2",
            c1().identity(repo("this/does-not")),
            false,
        ),
        ("dir-img-cosign-mixed", c1().identity(repo(sample)), true),
        (tagged, c1().identity(exact(&format!("{skopeo}:tag"))), true),
        (
            tagged,
            c1().identity(exact(&format!("{skopeo}:othertag"))),
            false,
        ),
        (logged, c2().rekor_key(rekor()), true),
        (logged, c1().or_key(cosign2()).rekor_key(rekor()), true),
        (logged, c2().rekor_key(cosign()), false),
        ("dir-img-cosign-other-attachment", c1(), false),
        ("dir-img-cosign-manifest-digest-error", c1(), false),
        ("dir-img-cosign-modified-manifest", c1(), false),
        (
            "dir-img-cosign-no-manifest",
            c1().identity(repo(sample)),
            false,
        ),
    ];
    let mut checked = 0;
    for (case, policy, accept) in cases {
        let (digest, layers) = dir_image(&f.join(case));
        let result = match digest {
            Some(d) => check_layers(&d, &layers, &policy, &Claim::Signature).map(|_| ()),
            None => Err(VerifyError::refused(format!("{case}: no manifest.json"))),
        };
        assert_eq!(result.is_ok(), accept, "{case}: {result:?}");
        checked += 1;
    }
    // The key-rekor case with its bundle annotation removed is refused when a Rekor key is set.
    let (digest, mut layers) = dir_image(&f.join(logged));
    for l in &mut layers {
        l.annotations.remove("dev.sigstore.cosign/bundle");
    }
    let err = check_layers(
        &digest.unwrap(),
        &layers,
        &c2().rekor_key(rekor()),
        &Claim::Signature,
    )
    .unwrap_err();
    assert!(err.reason().contains("no Rekor bundle"), "{err}");
    assert_eq!(checked, 18);
}

/// Runs `line` (an example's name and its arguments, split at whitespace) in `dir`.
fn run(line: &str, dir: &Path) -> Output {
    let words: Vec<&str> = line.split_whitespace().collect();
    support::run_in(words[0], &words[1..], dir)
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
    let (store, text, digest) = registry.push_image("verify/cli", "cli").await;
    sign_v1(
        &store,
        &text,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await;
    attest_v1(
        &store,
        &text,
        &key,
        &AttestOptions::new(SLSA, json!({"x": 1})),
    )
    .await;

    let out = run(&format!("verify --key k.pub -a env=prod {text}"), d);
    support::assert_success(&out);
    let payloads: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(payloads.as_array().unwrap().len(), 1);
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    for (args, code) in [
        ("--key other.pub", 1),
        ("--key k.pub -a env=dev", 1),
        ("--key missing.pub", 2),
        ("", 2),
    ] {
        eprintln!("verify {args}");
        support::assert_error(&run(&format!("verify {args} {text}"), d), code);
    }

    let attestations = |ty: &str| {
        run(
            &format!("verify-attestation --key k.pub --type {ty} {text}"),
            d,
        )
    };
    let out = attestations("slsaprovenance1");
    support::assert_success(&out);
    let statements: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        statements[0]["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(statements[0]["predicate"], json!({"x": 1}));
    assert_eq!(attestations("cyclonedx").status.code(), Some(1));
}

#[tokio::test]
async fn image_verifier_counts_attestors_and_caches() {
    let registry = support::Registry::start();
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    let c = PrivateKey::generate().unwrap();
    let (store, text, digest) = registry.push_image("verify/policy", "p").await;
    for key in [&a, &b] {
        sign_v1(&store, &text, key, &SignOptions::new()).await;
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
        .verify(
            &image,
            &AttestorSet::all(keys(&[&a, &b])).into(),
            &Claim::Signature,
        )
        .await
        .unwrap();
    assert_eq!(ok.digest, digest);
    assert_eq!(ok.verified_by, vec![0, 1]);
    let err = verifier
        .verify(
            &image,
            &AttestorSet::all(keys(&[&a, &b, &c])).into(),
            &Claim::Signature,
        )
        .await
        .unwrap_err();
    assert!(err.reason().contains("2 of 3 required"), "{err}");
    let two = verifier
        .verify(
            &image,
            &AttestorSet::at_least(2, keys(&[&c, &a, &b])).into(),
            &Claim::Signature,
        )
        .await
        .unwrap();
    assert_eq!(two.verified_by, vec![1, 2]);
    let err = verifier
        .verify(
            &image,
            &AttestorSet::at_least(1, keys(&[&c])).into(),
            &Claim::Signature,
        )
        .await
        .unwrap_err();
    assert!(err.reason().contains("0 of 1"), "{err}");
    // Successes are cached per (digest, attestor set); failures are not.
    assert_eq!(verifier.cached().await, 2);
    // Concurrent verifications of the same image are safe and agree.
    let set: Authority = AttestorSet::all(keys(&[&a])).into();
    let (x, y) = tokio::join!(
        verifier.verify(&image, &set, &Claim::Signature),
        verifier.verify(&image, &set, &Claim::Signature)
    );
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
        .verify(
            &image,
            &AttestorSet::at_least(1, vec![keyless.clone()]).into(),
            &Claim::Signature,
        )
        .await
        .unwrap_err();
    assert!(err.reason().contains("not a keyless signature"), "{err}");
    let mixed = verifier
        .verify(
            &image,
            &AttestorSet::at_least(1, vec![keyless, Attestor::Key(a.public_key())]).into(),
            &Claim::Signature,
        )
        .await
        .unwrap();
    assert_eq!(mixed.verified_by, vec![1]);
    // No attestors is a refusal, not a pass.
    assert!(
        verifier
            .verify(
                &image,
                &AttestorSet::all(Vec::new()).into(),
                &Claim::Signature
            )
            .await
            .is_err()
    );
}

#[test]
fn keyless_legacy_signatures_from_the_containers_image_fixtures() {
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
    let ok = check_layers(
        &digest,
        &layers,
        &policy("mitr@redhat.com"),
        &Claim::Signature,
    )
    .unwrap();
    assert!(matches!(
        &ok.verified[0].signer,
        Signer::Certificate { subject_alternative_names, .. } if subject_alternative_names.contains(&"mitr@redhat.com".to_owned())
    ));
    let err = check_layers(
        &digest,
        &layers,
        &policy("someone@example.com"),
        &Claim::Signature,
    )
    .unwrap_err();
    assert!(err.reason().contains("signature 0"), "{err}");
    // Another image's digest, an empty trust root, a key-signed layer: refused.
    let other = Digest::sha256_of(b"another manifest");
    assert!(
        check_layers(
            &other,
            &layers,
            &policy("mitr@redhat.com"),
            &Claim::Signature
        )
        .is_err()
    );
    let empty = KeylessPolicy::new(
        Identity::exact("mitr@redhat.com", "https://github.com/login/oauth"),
        TrustedRoot::empty(),
    );
    assert!(check_layers(&digest, &layers, &empty, &Claim::Signature).is_err());
    let (d2, key_layers) = dir_image(&f.join("dir-img-cosign-valid"));
    let err = check_layers(
        &d2.unwrap(),
        &key_layers,
        &policy("mitr@redhat.com"),
        &Claim::Signature,
    )
    .unwrap_err();
    assert!(err.reason().contains("not a keyless signature"), "{err}");
}

const SLSA: &str = "https://slsa.dev/provenance/v1";
const SPDX: &str = "https://spdx.dev/Document";
const CDX: &str = "https://cyclonedx.org/bom";
const ID: &str = "dev@example.com";
const ISSUER: &str = "https://issuer.example";

/// Keyless evidence about one image made by a private Sigstore instance (Fulcio-like CA, CT
/// log, Rekor v1 log, all offline): SLSA and SPDX statements naming `repo`, and the legacy
/// `.att` layer of the SLSA one, signed by a certificate for [`ID`] from [`ISSUER`].
struct Keyless {
    sigstore: private_sigstore::Instance,
    leaf: private_sigstore::Leaf,
    digest: Digest,
    slsa: Vec<u8>,
    spdx: Vec<u8>,
    legacy: (Vec<u8>, BTreeMap<String, String>),
}

impl Keyless {
    fn new(repo: &str, digest: Digest) -> Keyless {
        let sigstore = private_sigstore::Instance::new();
        let leaf = sigstore.leaf(ID, ISSUER);
        let statement = |predicate_type: &str, predicate: serde_json::Value| {
            Statement::for_image(&digest, predicate_type, predicate)
                .with_subject_name(repo)
                .to_bytes()
        };
        let slsa = statement(SLSA, json!({"buildDefinition": {"buildType": "b"}}));
        let spdx = statement(SPDX, json!({"spdxVersion": "SPDX-2.3"}));
        let legacy = sigstore.legacy_attestation(&leaf, &slsa, SLSA);
        Keyless {
            sigstore,
            leaf,
            digest,
            slsa,
            spdx,
            legacy,
        }
    }

    /// A policy for `identity` trusting this instance.
    fn policy(&self, identity: Identity) -> KeylessPolicy {
        KeylessPolicy::new(identity, self.sigstore.trusted_root())
    }

    /// The policy the evidence meets.
    fn good(&self) -> KeylessPolicy {
        self.policy(Identity::exact(ID, ISSUER))
    }

    /// The legacy `.att` layer with `annotation` set to `value` (`None`: as signed).
    fn legacy_layer(&self, changed: Option<(&str, String)>) -> SignatureLayer {
        let mut annotations = self.legacy.1.clone();
        if let Some((key, value)) = changed {
            annotations.insert(key.to_owned(), value);
        }
        SignatureLayer::new(
            media_type::DSSE_ENVELOPE,
            self.legacy.0.clone(),
            annotations,
        )
    }
}

/// The image `verify/keyless` in `registry` with keyless evidence in both layouts: the legacy
/// `.att` layer (SLSA) and bundle referrers (an SPDX attestation and a signature).
async fn keyless_image(registry: &support::Registry) -> (RegistryStore, String, Keyless) {
    let (store, text, digest) = registry.push_image("verify/keyless", "k").await;
    let k = Keyless::new(&registry.repo("verify/keyless"), digest);
    let signature = Statement::for_image(&digest, predicate::COSIGN_SIGN_V1, json!({})).to_bytes();
    push_att(&store, &digest, vec![k.legacy.clone()]).await;
    push_bundle_referrer(&store, &k.sigstore.dsse_bundle(&k.leaf, &k.spdx), SPDX).await;
    let signature = k.sigstore.dsse_bundle(&k.leaf, &signature);
    push_bundle_referrer(&store, &signature, predicate::COSIGN_SIGN_V1).await;
    (store, text, k)
}

/// Keyless attestations in both layouts are accepted for the right identity and issuer (exact
/// or by pattern), by predicate type; the keyless signature referrer verifies too.
#[tokio::test]
async fn keyless_attestations_verify_end_to_end() {
    let registry = support::Registry::start();
    let (store, _, k) = keyless_image(&registry).await;
    let digest = k.digest;
    let good = k.good();
    let all = verify_v1(&store, &good, &Claim::Attestation(None))
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
        assert!(a.statement.as_ref().unwrap().matches_digest(&digest));
    }
    let only = verify_v1(&store, &good, &Claim::attestation(SLSA))
        .await
        .unwrap();
    assert_eq!(only.verified.len(), 1);
    assert_eq!(only.verified[0].layout, Layout::Legacy);
    assert_eq!(only.verified[0].payload, private_sigstore::json_of(&k.slsa));
    spdx_bundle_and_no_cyclonedx(&store, &good).await;
    // Regular expressions for identity and issuer.
    let pattern = k.policy(Identity::new(
        Matcher::regex("^dev@example\\.(com|org)$").unwrap(),
        Matcher::regex("^https://issuer\\.").unwrap(),
    ));
    assert!(
        verify_v1(&store, &pattern, &Claim::attestation(SLSA))
            .await
            .is_ok()
    );
    // The keyless image signature (bundle referrer) verifies too.
    let signed = verify_v1(&store, &good, &Claim::Signature).await.unwrap();
    assert_eq!(signed.verified.len(), 1);
    assert_eq!(signed.verified[0].layout, Layout::Bundle);
}

/// Keyless attestations for another identity, another issuer, or under another instance's
/// trust root are refused, each reason naming the attestation and its bundle.
#[tokio::test]
async fn keyless_attestations_for_another_identity_issuer_or_root_are_refused() {
    let registry = support::Registry::start();
    let (store, _, k) = keyless_image(&registry).await;
    for (what, bad) in [
        (
            "identity",
            k.policy(Identity::exact("someone@example.com", ISSUER)),
        ),
        (
            "issuer",
            k.policy(Identity::exact(ID, "https://other.example")),
        ),
        (
            "trust root",
            KeylessPolicy::new(
                Identity::exact(ID, ISSUER),
                private_sigstore::Instance::new().trusted_root(),
            ),
        ),
    ] {
        let err = verify_v1(&store, &bad, &Claim::Attestation(None))
            .await
            .unwrap_err();
        assert!(
            err.reason().contains("no valid attestations"),
            "{what}: {err}"
        );
        assert!(err.reason().contains("attestation 0"), "{what}: {err}");
        assert!(err.reason().contains("bundle sha256:"), "{what}: {err}");
    }
    let err = verify_v1(
        &store,
        &k.policy(Identity::exact("someone@example.com", ISSUER)),
        &Claim::Attestation(None),
    )
    .await
    .unwrap_err();
    assert!(err.reason().contains("does not match the policy"), "{err}");
}

/// A key policy does not accept keyless attestations.
#[tokio::test]
async fn keyless_attestations_do_not_satisfy_a_key_policy() {
    let registry = support::Registry::start();
    let (store, _, _) = keyless_image(&registry).await;
    let err = verify_v1(
        &store,
        &KeyPolicy::new(PrivateKey::generate().unwrap().public_key()),
        &Claim::Attestation(None),
    )
    .await
    .unwrap_err();
    assert!(err.reason().contains("keyless"), "{err}");
}

/// A genuine keyless attestation layer presented for another image is refused.
#[test]
fn keyless_attestation_replayed_for_another_image_is_refused() {
    let k = Keyless::new("img", Digest::sha256_of(b"image"));
    let other = Digest::sha256_of(b"another image");
    let err = check_layers(
        &other,
        &[k.legacy_layer(None)],
        &k.good(),
        &Claim::Attestation(None),
    )
    .unwrap_err();
    assert!(err.reason().contains("not about the image"), "{err}");
}

/// The Rekor bundle of another attestation (same signer, same log) under this layer is refused.
#[test]
fn rekor_bundle_of_another_attestation_is_refused() {
    let k = Keyless::new("img", Digest::sha256_of(b"image"));
    let (_, spdx) = k.sigstore.legacy_attestation(&k.leaf, &k.spdx, SPDX);
    let bundle = spdx["dev.sigstore.cosign/bundle"].clone();
    let swapped = k.legacy_layer(Some(("dev.sigstore.cosign/bundle", bundle)));
    let err =
        check_layers(&k.digest, &[swapped], &k.good(), &Claim::Attestation(None)).unwrap_err();
    assert!(err.reason().contains("Rekor entry"), "{err}");
}

/// A certificate from another instance, with this instance's Rekor bundle, is refused.
#[test]
fn certificate_from_another_instance_is_refused() {
    let k = Keyless::new("img", Digest::sha256_of(b"image"));
    let stranger = private_sigstore::Instance::new().leaf(ID, ISSUER);
    let foreign = k.legacy_layer(Some(("dev.sigstore.cosign/certificate", stranger.pem())));
    assert!(check_layers(&k.digest, &[foreign], &k.good(), &Claim::Attestation(None)).is_err());
}

/// The `verify-attestation` and `verify` examples with keyless flags: outputs and exit codes.
#[tokio::test]
async fn keyless_examples_follow_their_contracts() {
    let registry = support::Registry::start();
    let (_, text, k) = keyless_image(&registry).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("root.json"), k.sigstore.trusted_root_json()).unwrap();
    std::fs::write(d.join("k.pub"), k.leaf.key.public_key().to_pem()).unwrap();
    let run = |line: String| run(&line, d);
    let keyless = |identity: &str, issuer: &str, ty: &str| {
        run(format!(
            "verify-attestation --certificate-identity {identity} --certificate-oidc-issuer \
             {issuer} --trusted-root root.json --type {ty} {text}"
        ))
    };
    let out = keyless(ID, ISSUER, "slsaprovenance1");
    support::assert_success(&out);
    let statements: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statements, json!([private_sigstore::json_of(&k.slsa)]));
    support::assert_success(&keyless(ID, ISSUER, "spdxjson"));
    for (identity, issuer) in [
        ("someone@example.com", ISSUER),
        (ID, "https://other.example"),
    ] {
        let out = keyless(identity, issuer, "slsaprovenance1");
        support::assert_error(&out, 1);
    }
    support::assert_success(&run(format!(
        "verify-attestation --certificate-identity-regexp ^dev@ --certificate-oidc-issuer \
         {ISSUER} --trusted-root root.json --type {SLSA} {text}"
    )));
    // The embedded public-good root does not trust the private instance.
    let out = run(format!(
        "verify-attestation --certificate-identity {ID} --certificate-oidc-issuer {ISSUER} \
         --type slsaprovenance1 {text}"
    ));
    assert_eq!(out.status.code(), Some(1));
    for args in [
        format!("--key k.pub --certificate-identity {ID} {text}"),
        format!("--certificate-identity {ID} {text}"),
        format!(
            "--certificate-identity {ID} --certificate-oidc-issuer {ISSUER} \
             --trusted-root missing.json {text}"
        ),
    ] {
        eprintln!("verify-attestation {args}");
        support::assert_error(&run(format!("verify-attestation {args}")), 2);
    }
    // `verify` accepts the keyless signature referrer.
    support::assert_success(&run(format!(
        "verify --certificate-identity {ID} --certificate-oidc-issuer {ISSUER} \
         --trusted-root root.json {text}"
    )));
}

/// The `ImageVerifier` with keyless attestors for attestations (what Kyverno `attestations`
/// with keyless attestors evaluate): N of M, cached per (digest, attestors, type).
#[tokio::test]
async fn image_verifier_counts_keyless_attestors() {
    let registry = support::Registry::start();
    let (_, text, k) = keyless_image(&registry).await;
    let verifier =
        RegistryVerifier::new(RegistryOptions::new(), std::time::Duration::from_secs(60));
    let image_ref: Reference = text.parse().unwrap();
    let trust = std::sync::Arc::new(k.sigstore.trusted_root());
    let keyless_attestor = |identity: &str| Attestor::Keyless {
        identity: Identity::exact(identity, ISSUER),
        trust: std::sync::Arc::clone(&trust),
    };
    let ok = verifier
        .verify(
            &image_ref,
            &AttestorSet::all(vec![keyless_attestor(ID)]).into(),
            &Claim::attestation(SLSA),
        )
        .await
        .unwrap();
    assert_eq!(ok.digest, k.digest);
    assert_eq!(ok.verified_by, vec![0]);
    assert_eq!(
        ok.payloads().cloned().collect::<Vec<_>>(),
        vec![private_sigstore::json_of(&k.slsa)]
    );
    let err = verifier
        .verify(
            &image_ref,
            &AttestorSet::all(vec![keyless_attestor("someone@example.com")]).into(),
            &Claim::attestation(SLSA),
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
        .verify(&image_ref, &mixed.clone().into(), &Claim::attestation(SPDX))
        .await
        .unwrap();
    assert_eq!(ok.verified_by, vec![1]);
    assert_eq!(
        ok.payloads().cloned().collect::<Vec<_>>(),
        vec![private_sigstore::json_of(&k.spdx)]
    );
    // Signatures and attestations are cached apart.
    let signed = verifier
        .verify(
            &image_ref,
            &AttestorSet::all(vec![keyless_attestor(ID)]).into(),
            &Claim::Signature,
        )
        .await
        .unwrap();
    assert_eq!(signed.verified.len(), 1);
    assert_eq!(
        signed.verified[0].payload["predicateType"],
        predicate::COSIGN_SIGN_V1
    );
    assert_eq!(verifier.cached().await, 3);
}

/// Key attestors for attestations through the `ImageVerifier`, and the same layers verified
/// with every ECDSA backend compiled in (p256 always; AWS-LC with the `aws-lc` feature).
#[tokio::test]
async fn key_attestations_through_the_image_verifier_and_every_backend() {
    use boltseal::keys::Backend;
    let (registry, key) = (support::Registry::start(), PrivateKey::generate().unwrap());
    let (store, text, digest) = registry.push_image("verify/backends", "b").await;
    attest_v1(
        &store,
        &text,
        &key,
        &AttestOptions::new(SLSA, json!({"x": 1})),
    )
    .await;
    sign_v1(
        &store,
        &text,
        &key,
        &SignOptions::new().annotation("a", "b"),
    )
    .await;
    let verifier =
        RegistryVerifier::new(RegistryOptions::new(), std::time::Duration::from_secs(60));
    let image_ref: Reference = text.parse().unwrap();
    let ok = verifier
        .verify(
            &image_ref,
            &AttestorSet::all(vec![Attestor::Key(key.public_key())]).into(),
            &Claim::attestation(SLSA),
        )
        .await
        .unwrap();
    assert_eq!(ok.verified[0].payload["predicate"], json!({"x": 1}));
    let err = verifier
        .verify(
            &image_ref,
            &AttestorSet::all(vec![Attestor::Key(key.public_key())]).into(),
            &Claim::attestation(CDX),
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
        let ok = check_layers(
            &digest,
            &layers,
            &policy.clone().annotation("a", "b"),
            &Claim::Signature,
        )
        .unwrap();
        assert_eq!(ok.verified.len(), 1, "{backend}");
        assert!(
            check_layers(
                &digest,
                &layers,
                &policy.clone().annotation("a", "c"),
                &Claim::Signature
            )
            .is_err()
        );
        assert!(
            check_layers(
                &digest,
                std::slice::from_ref(&tampered),
                &policy,
                &Claim::Signature
            )
            .is_err()
        );
        let wrong = KeyPolicy::new(PrivateKey::generate().unwrap().public_key()).backend(*backend);
        assert!(check_layers(&digest, &layers, &wrong, &Claim::Signature).is_err());
        let ok = verify_v1(&store, &policy, &Claim::Signature).await.unwrap();
        assert_eq!(ok.verified.len(), 1, "{backend}");
    }
}

/// A key-signed legacy attestation logged in a private Rekor log: its signer, the log, and
/// the layer's blob and annotations (`dev.sigstore.cosign/bundle`: SET and entry).
struct LoggedAttestation {
    sigstore: private_sigstore::Instance,
    signer: PrivateKey,
    digest: Digest,
    blob: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

impl LoggedAttestation {
    fn new() -> Self {
        let sigstore = private_sigstore::Instance::new();
        let signer = PrivateKey::generate().unwrap();
        let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        let (blob, annotations) =
            sigstore.legacy_key_attestation(&signer, &Self::statement(1), SLSA);
        LoggedAttestation {
            sigstore,
            signer,
            digest,
            blob,
            annotations,
        }
    }

    /// The `n`th SLSA statement about the image.
    fn statement(n: u32) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "img", "digest": {"sha256": "ab".repeat(32)}}],
            "predicateType": SLSA,
            "predicate": {"n": n}
        }))
        .unwrap()
    }

    /// The policy requiring this log.
    fn logged(&self) -> KeyPolicy {
        KeyPolicy::new(self.signer.public_key()).rekor_key(self.sigstore.rekor_public_key())
    }

    /// The attestation's layer with `annotations` under `policy`.
    fn check(
        &self,
        annotations: BTreeMap<String, String>,
        policy: &KeyPolicy,
    ) -> Result<Verification, VerifyError> {
        let layer = SignatureLayer::new(media_type::DSSE_ENVELOPE, self.blob.clone(), annotations);
        check_layers(&self.digest, &[layer], policy, &Claim::attestation(SLSA))
    }
}

/// A key-signed legacy attestation under a transparency-log requirement is accepted when its
/// Rekor SET verifies with the required log key and the entry records this envelope and key;
/// without the requirement, the same layer unlogged verifies too.
#[test]
fn key_attestations_with_a_required_transparency_log() {
    let a = LoggedAttestation::new();
    let ok = a.check(a.annotations.clone(), &a.logged()).unwrap();
    assert_eq!(ok.verified.len(), 1);
    let plain = KeyPolicy::new(a.signer.public_key());
    assert!(a.check(BTreeMap::new(), &plain).is_ok());
}

#[test]
fn unlogged_attestation_is_refused_when_a_log_is_required() {
    let a = LoggedAttestation::new();
    let err = a.check(BTreeMap::new(), &a.logged()).unwrap_err();
    assert!(
        err.reason().contains("transparency-log entry is required"),
        "{err}"
    );
}

#[test]
fn attestation_logged_in_another_log_is_refused() {
    let a = LoggedAttestation::new();
    let another_log = PrivateKey::generate().unwrap().public_key();
    let other = KeyPolicy::new(a.signer.public_key()).rekor_key(another_log);
    let err = a.check(a.annotations.clone(), &other).unwrap_err();
    assert!(err.reason().contains("Rekor SET does not verify"), "{err}");
}

/// A genuine log entry, but for another envelope by the same key.
#[test]
fn log_entry_of_another_attestation_is_refused() {
    let a = LoggedAttestation::new();
    let statement = LoggedAttestation::statement(2);
    let (_, other_entry) = a
        .sigstore
        .legacy_key_attestation(&a.signer, &statement, SLSA);
    let err = a.check(other_entry, &a.logged()).unwrap_err();
    assert!(err.reason().contains("Rekor entry"), "{err}");
}

/// An image with a key-signed bundle (cosign v3 `sign --key` with a log) whose `dsse` entry is
/// in a private Rekor log; the store, the digest, the signer and the log.
async fn logged_bundle_image(
    registry: &support::Registry,
) -> (
    RegistryStore,
    Digest,
    PrivateKey,
    private_sigstore::Instance,
) {
    let sigstore = private_sigstore::Instance::new();
    let signer = PrivateKey::generate().unwrap();
    let (store, text, digest) = registry.push_image("tlog/app", "logged bundle").await;
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": text, "digest": {"sha256": digest.encoded()}}],
        "predicateType": predicate::COSIGN_SIGN_V1,
        "predicate": {}
    }))
    .unwrap();
    let bundle = sigstore.key_dsse_bundle(&signer, &statement);
    push_bundle_referrer(&store, &bundle, predicate::COSIGN_SIGN_V1).await;
    (store, digest, signer, sigstore)
}

/// A key-signed bundle whose `dsse` entry is in the required log verifies.
#[tokio::test]
async fn key_bundles_with_a_required_transparency_log() {
    let registry = support::Registry::start();
    let (store, digest, signer, sigstore) = logged_bundle_image(&registry).await;
    let logged = KeyPolicy::new(signer.public_key()).rekor_key(sigstore.rekor_public_key());
    let v = verify_in(
        &store,
        &ManifestRef::Digest(digest),
        &logged,
        &Claim::Signature,
    )
    .await;
    let v = v.unwrap();
    assert_eq!(v.verified.len(), 1);
    assert_eq!(v.verified[0].layout, Layout::Bundle);
}

#[tokio::test]
async fn bundle_logged_in_another_log_is_refused() {
    let registry = support::Registry::start();
    let (store, digest, signer, _) = logged_bundle_image(&registry).await;
    let another_log = PrivateKey::generate().unwrap().public_key();
    let elsewhere = KeyPolicy::new(signer.public_key()).rekor_key(another_log);
    let err = verify_in(
        &store,
        &ManifestRef::Digest(digest),
        &elsewhere,
        &Claim::Signature,
    )
    .await
    .unwrap_err();
    assert!(
        err.reason().contains("transparency-log entry is required"),
        "{err}"
    );
}

/// Signed offline (boltseal signs without a log): no entry, refused under the requirement,
/// accepted without it.
#[tokio::test]
async fn offline_bundle_is_refused_when_a_log_is_required() {
    let registry = support::Registry::start();
    let sigstore = private_sigstore::Instance::new();
    let signer = PrivateKey::generate().unwrap();
    let (store, text, _) = registry.push_image("tlog/offline", "offline bundle").await;
    let bundle = SignOptions::new().format(SignatureFormat::Bundle);
    sign_v1(&store, &text, &signer, &bundle).await;
    let logged = KeyPolicy::new(signer.public_key()).rekor_key(sigstore.rekor_public_key());
    let err = verify_v1(&store, &logged, &Claim::Signature)
        .await
        .unwrap_err();
    assert!(err.reason().contains("no transparency-log entry"), "{err}");
    let plain = KeyPolicy::new(signer.public_key());
    assert!(verify_v1(&store, &plain, &Claim::Signature).await.is_ok());
}
