//! Signing, boltseal against sigstore-rs (the `sigstore` crate) in the same run:
//! key decryption (scrypt N = 2^15, what both read), raw ECDSA P-256 signing throughput, and the
//! latency of signing an image in a real loopback registry (legacy `.sig` layout).
//!
//! `cargo bench -p boltseal-sigstore-interop --bench sign`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../support/mod.rs"]
mod support;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use boltseal::keys::{KeyFormat, PrivateKey};
use boltseal::oci::{ImageBuilder, ManifestRef, RegistryOptions, RegistryStore};
use boltseal::reference::Reference;
use boltseal::sign::{SignOptions, sign_image};
use sigstore::cosign::constraint::{AnnotationMarker, PrivateKeySigner};
use sigstore::cosign::{ClientBuilder, Constraint, CosignCapabilities, SignatureLayer};
use sigstore::crypto::SigningScheme;
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

fn main() {
    divan::main();
}

const PASSWORD: &[u8] = b"bench-password";
/// A 235-byte message, the size of a typical simple-signing payload.
const MESSAGE: &[u8] = &[b'x'; 235];

struct Fixture {
    key: PrivateKey,
    pem: String,
    _registry: support::Registry,
    image: String,
    store: RegistryStore,
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = PrivateKey::generate().unwrap();
        let pem = key.to_encrypted_pem(PASSWORD, KeyFormat::legacy()).unwrap();
        let registry = support::Registry::start();
        let image = registry.repo("bench/signed:v1");
        let reference: Reference = image.parse().unwrap();
        let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
        rt().block_on(async {
            ImageBuilder::new()
                .file("a", b"bench", 0o644)
                .build()
                .unwrap()
                .write_to(&store, Some("v1"))
                .await
                .unwrap();
        });
        Fixture {
            key,
            pem,
            _registry: registry,
            image,
            store,
        }
    })
}

static N: AtomicUsize = AtomicUsize::new(0);

#[divan::bench(sample_count = 10, sample_size = 1)]
fn decrypt_key_boltseal() -> PrivateKey {
    PrivateKey::from_pem(fixture().pem.as_bytes(), PASSWORD).unwrap()
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn decrypt_key_sigstore_rs() -> SigStoreKeyPair {
    SigStoreKeyPair::from_encrypted_pem(fixture().pem.as_bytes(), PASSWORD).unwrap()
}

#[divan::bench]
fn raw_sign_boltseal(bencher: divan::Bencher<'_, '_>) {
    let key = &fixture().key;
    bencher.bench(|| key.sign_der(divan::black_box(MESSAGE)));
}

#[divan::bench]
fn raw_sign_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    let pair = SigStoreKeyPair::from_encrypted_pem(fixture().pem.as_bytes(), PASSWORD).unwrap();
    let signer = pair
        .to_sigstore_signer(&SigningScheme::ECDSA_P256_SHA256_ASN1)
        .unwrap();
    bencher.bench(|| signer.sign(divan::black_box(MESSAGE)).unwrap());
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn sign_image_boltseal(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    bencher.bench(|| {
        let n = N.fetch_add(1, Ordering::Relaxed).to_string();
        rt().block_on(async {
            sign_image(
                &f.store,
                &ManifestRef::Tag("v1".into()),
                &f.image,
                &f.key,
                &SignOptions::new().annotation("n", &n),
            )
            .await
            .unwrap();
        });
    });
}

/// The key is decrypted once, outside the timed loop, as for boltseal.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn sign_image_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let signer = PrivateKeySigner::new_with_raw(
        zeroize::Zeroizing::new(f.pem.clone().into_bytes()),
        zeroize::Zeroizing::new(PASSWORD.to_vec()),
        &SigningScheme::ECDSA_P256_SHA256_ASN1,
    )
    .unwrap();
    bencher.bench(|| {
        let n = N.fetch_add(1, Ordering::Relaxed).to_string();
        rt().block_on(async {
            let mut client = ClientBuilder::default()
                .with_oci_client_config(ClientConfig {
                    protocol: ClientProtocol::Http,
                    ..Default::default()
                })
                .build()
                .unwrap();
            let image: OciReference = f.image.parse().unwrap();
            let (sig_image, digest) = client.triangulate(&image, &Auth::Anonymous).await.unwrap();
            let mut layer = SignatureLayer::new_unsigned(&image, &digest).unwrap();
            AnnotationMarker::new([("n".to_owned(), n)].into())
                .add_constraint(&mut layer)
                .unwrap();
            signer.add_constraint(&mut layer).unwrap();
            let mut layers = client
                .trusted_signature_layers(&Auth::Anonymous, &image)
                .await
                .unwrap_or_default();
            layers.push(layer);
            client
                .push_signature(None, &Auth::Anonymous, &sig_image, layers)
                .await
                .unwrap();
        });
    });
}
