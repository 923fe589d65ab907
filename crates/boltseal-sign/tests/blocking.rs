//! The `blocking` feature: signing and attesting a layout image without an async runtime, the
//! identity derived from the location, and the signatures verifying with the key.
#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_envelope::{dsse, simple_signing::SimpleSigning};
use boltseal_keys::PrivateKey;
use boltseal_oci::{ImageBuilder, ImageLocation, LayoutStore, RegistryOptions};
use boltseal_sign::{AttestOptions, SignOptions, blocking, signing_identity};

fn layout_image(dir: &std::path::Path) -> ImageLocation {
    let path = dir.join("Demo App");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = LayoutStore::create(path.clone()).await.unwrap();
            let image = ImageBuilder::new()
                .file("hello", b"hi", 0o644)
                .build()
                .unwrap();
            image.write_to(&store, Some("v1")).await.unwrap();
        });
    format!("oci:{}:v1", path.display()).parse().unwrap()
}

#[test]
fn blocking_sign_and_attest_a_layout_image() {
    let dir = tempfile::tempdir().unwrap();
    let location = layout_image(dir.path());
    assert_eq!(signing_identity(&location), "localhost/demo-app:v1");
    let key = PrivateKey::generate().unwrap();
    let registry = RegistryOptions::new();

    let signed = blocking::sign_image(&location, &registry, &key, &SignOptions::new()).unwrap();
    assert!(signed.appended);
    let payload = SimpleSigning::parse(&signed.payload).unwrap();
    assert_eq!(payload.docker_reference, "localhost/demo-app:v1");
    assert_eq!(payload.manifest_digest, signed.digest);
    key.public_key()
        .verify(&signed.payload, &signed.signature)
        .unwrap();
    // The same signature again is not appended twice; another identity is a new signature.
    let again = blocking::sign_image(&location, &registry, &key, &SignOptions::new()).unwrap();
    assert!(!again.appended);
    let other = SignOptions::new().identity("registry.example/demo:v1");
    let named = blocking::sign_image(&location, &registry, &key, &other).unwrap();
    assert!(named.appended);
    assert_eq!(
        SimpleSigning::parse(&named.payload)
            .unwrap()
            .docker_reference,
        "registry.example/demo:v1"
    );

    let options = AttestOptions::new(
        "https://example.com/predicate/v1",
        serde_json::json!({"ok": true}),
    );
    let attested = blocking::attest_image(&location, &registry, &key, &options).unwrap();
    assert_eq!(attested.digest, signed.digest);
    let envelope = dsse::Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, attested.payload.clone());
    key.public_key()
        .verify(&envelope.pae(), &attested.signature)
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&attested.payload).unwrap();
    assert_eq!(statement["subject"][0]["name"], "localhost/demo-app");
}

#[test]
fn a_missing_layout_is_a_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let location: ImageLocation = format!("oci:{}:v1", dir.path().join("absent").display())
        .parse()
        .unwrap();
    let key = PrivateKey::generate().unwrap();
    let err = blocking::sign_image(
        &location,
        &RegistryOptions::new(),
        &key,
        &SignOptions::new(),
    )
    .unwrap_err();
    let boltseal_sign::Error::Store(inner) = &err else {
        panic!("{err}");
    };
    assert_eq!(
        boltseal_core::Classify::kind(&err),
        boltseal_core::Classify::kind(inner)
    );
}
