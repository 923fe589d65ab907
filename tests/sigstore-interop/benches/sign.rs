//! Signing and verifying, boltseal against sigstore-rs (the `sigstore` crate) in the same run:
//! key decryption (scrypt N = 2^15, what both read), raw ECDSA P-256 signing throughput, the
//! latency of signing an image in a real loopback registry (legacy `.sig` layout), the
//! in-process verification of one legacy signature layer (boltseal's full check with each ECDSA
//! backend — `p256` and AWS-LC — against the raw verify of that backend, and sigstore-rs's
//! `verify_constraints` on the same layer), and the in-process verification of Sigstore bundles
//! (a message-signature and a DSSE bundle of the sigstore-conformance corpus, public-good
//! trust root) by boltseal and by sigstore-rs's bundle verifier.
//!
//! `cargo bench -p boltseal-sigstore-interop --bench sign`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use boltseal_test_support as support;

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

/// A sigstore-rs client speaking plain HTTP (the loopback registry).
fn sigstore_client() -> sigstore::cosign::Client {
    ClientBuilder::default()
        .with_oci_client_config(ClientConfig {
            protocol: ClientProtocol::Http,
            ..Default::default()
        })
        .build()
        .unwrap()
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
            let mut client = sigstore_client();
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

struct VerifyFixture {
    digest: boltseal::reference::Digest,
    layer: boltseal::verify::SignatureLayer,
    policy: boltseal::verify::KeyPolicy,
    signature: Vec<u8>,
    sigstore_layers: Vec<SignatureLayer>,
}

fn verify_fixture() -> &'static VerifyFixture {
    static F: OnceLock<VerifyFixture> = OnceLock::new();
    F.get_or_init(|| {
        let f = fixture();
        let digest = rt().block_on(async {
            use boltseal::oci::Store;
            f.store
                .resolve(&ManifestRef::Tag("v1".into()))
                .await
                .unwrap()
                .digest
        });
        let payload =
            boltseal::envelope::simple_signing::SimpleSigning::new(f.image.as_str(), digest)
                .with_annotation("env", "prod")
                .to_bytes();
        let signature = f.key.sign_der(&payload);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
        let layer = boltseal::verify::SignatureLayer::new(
            boltseal::reference::media_type::COSIGN_SIMPLE_SIGNING,
            payload.clone(),
            [("dev.cosignproject.cosign/signature".to_owned(), b64)].into(),
        );
        let policy = boltseal::verify::KeyPolicy::new(f.key.public_key()).annotation("env", "prod");
        // The same kind of layer as sigstore-rs sees it after fetching (signed here first, so
        // this does not depend on the order the benchmarks run in).
        let sigstore_layers = rt().block_on(async {
            sign_image(
                &f.store,
                &ManifestRef::Tag("v1".into()),
                &f.image,
                &f.key,
                &SignOptions::new(),
            )
            .await
            .unwrap();
            let mut client = sigstore_client();
            let image: OciReference = f.image.parse().unwrap();
            client
                .trusted_signature_layers(&Auth::Anonymous, &image)
                .await
                .unwrap()
        });
        VerifyFixture {
            digest,
            layer,
            policy,
            signature,
            sigstore_layers,
        }
    })
}

fn verify_layer(bencher: divan::Bencher<'_, '_>, backend: boltseal::keys::Backend) {
    let v = verify_fixture();
    use boltseal::verify::{Claim, Evidence, EvidenceLimits, check};
    let authority = v.policy.clone().backend(backend).into();
    let limits = EvidenceLimits::default();
    let evidence = Evidence::new(v.digest, vec![v.layer.clone()], vec![], vec![], limits, 0);
    bencher.bench(|| check(divan::black_box(&evidence), &authority, &Claim::Signature).unwrap());
}

/// The whole layer check (signature, payload, digest, annotation) with the `p256` backend.
#[divan::bench]
fn verify_layer_boltseal_p256(bencher: divan::Bencher<'_, '_>) {
    verify_layer(bencher, boltseal::keys::Backend::RustCrypto);
}

/// The whole layer check with the AWS-LC backend.
#[divan::bench]
fn verify_layer_boltseal_aws_lc(bencher: divan::Bencher<'_, '_>) {
    verify_layer(bencher, boltseal::keys::Backend::AwsLc);
}

/// The raw ECDSA P-256 verify of the `p256` crate: DER signature parse, SHA-256, verify.
#[divan::bench]
fn verify_raw_ecdsa_p256(bencher: divan::Bencher<'_, '_>) {
    use p256::ecdsa::signature::Verifier as _;
    let v = verify_fixture();
    let spki = fixture().key.public_key().to_spki_der();
    let key =
        <p256::ecdsa::VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_der(&spki)
            .unwrap();
    bencher.bench(|| {
        let der = p256::ecdsa::DerSignature::try_from(v.signature.as_slice()).unwrap();
        let sig = p256::ecdsa::Signature::try_from(der).unwrap();
        key.verify(divan::black_box(&v.layer.blob), &sig).unwrap()
    });
}

/// The raw ECDSA P-256 verify of AWS-LC (`aws-lc-rs`), as rustls calls it.
#[divan::bench]
fn verify_raw_ecdsa_aws_lc(bencher: divan::Bencher<'_, '_>) {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    let v = verify_fixture();
    let spki = fixture().key.public_key().to_spki_der();
    // The uncompressed point is the last 65 bytes of a P-256 SPKI.
    let point = spki[spki.len() - 65..].to_vec();
    bencher.bench(|| {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point)
            .verify(divan::black_box(&v.layer.blob), &v.signature)
            .unwrap()
    });
}

#[divan::bench]
fn verify_layers_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    let v = verify_fixture();
    // Layers signed by boltseal_sign in the sign benchmarks carry other annotations; verify
    // with the key constraint only, as sigstore-rs users do.
    let constraints: sigstore::cosign::verification_constraint::VerificationConstraintVec =
        vec![Box::new(
            sigstore::cosign::verification_constraint::PublicKeyVerifier::try_from(
                fixture().key.public_key().to_pem().as_bytes(),
            )
            .unwrap(),
        )];
    let layers: Vec<SignatureLayer> = v.sigstore_layers.iter().take(1).cloned().collect();
    // The constraint objects are not `Sync`: measure on this thread.
    bencher.bench_local(|| {
        sigstore::cosign::verify_constraints(divan::black_box(&layers), constraints.iter()).unwrap()
    });
}

/// `verify` end to end against the loopback registry: resolve the tag, fetch the `.sig`
/// manifest and its layers (and look for bundle referrers), verify.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn verify_image_registry_boltseal(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let _ = verify_fixture();
    let authority = boltseal::verify::KeyPolicy::new(f.key.public_key()).into();
    let (reference, claim) = (
        ManifestRef::Tag("v1".into()),
        boltseal::verify::Claim::Signature,
    );
    bencher.bench(|| {
        rt().block_on(async {
            boltseal::evidence::verify(&f.store, &reference, &authority, &claim)
                .await
                .unwrap()
        })
    });
}

/// The same with sigstore-rs: a client, `triangulate`, `trusted_signature_layers`,
/// `verify_constraints`.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn verify_image_registry_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let _ = verify_fixture();
    let pem = f.key.public_key().to_pem();
    bencher.bench_local(|| {
        rt().block_on(async {
            let mut client = sigstore_client();
            let image: OciReference = f.image.parse().unwrap();
            let layers = client
                .trusted_signature_layers(&Auth::Anonymous, &image)
                .await
                .unwrap();
            let constraints: sigstore::cosign::verification_constraint::VerificationConstraintVec =
                vec![Box::new(
                    sigstore::cosign::verification_constraint::PublicKeyVerifier::try_from(
                        pem.as_bytes(),
                    )
                    .unwrap(),
                )];
            sigstore::cosign::verify_constraints(&layers, constraints.iter()).unwrap();
        })
    });
}

// --- Sigstore bundles --------------------------------------------------------------------------

const CONFORMANCE_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const CONFORMANCE_ISSUER: &str = "https://token.actions.githubusercontent.com";

struct BundleCase {
    json: Vec<u8>,
    artifact: Vec<u8>,
}

struct BundleFixture {
    root_json: Vec<u8>,
    message: BundleCase,
    dsse: BundleCase,
}

/// The corpus bundles (`None`, with a note, when `../shared` is not there).
fn bundle_fixture() -> Option<&'static BundleFixture> {
    static F: OnceLock<Option<BundleFixture>> = OnceLock::new();
    F.get_or_init(|| {
        let corpus = support::shared_corpus()?;
        let cases = corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify");
        let artifact = std::fs::read(cases.join("a.txt")).unwrap();
        let case = |name: &str| BundleCase {
            json: std::fs::read(cases.join(name).join("bundle.sigstore.json")).unwrap(),
            artifact: artifact.clone(),
        };
        Some(BundleFixture {
            root_json: std::fs::read(corpus.join("sigstore/production/trusted_root.json")).unwrap(),
            message: case("happy-path-v0.3-new-mediaType"),
            dsse: case("happy-path-intoto-in-dsse-v3"),
        })
    })
    .as_ref()
}

fn verify_bundle_boltseal(
    bencher: divan::Bencher<'_, '_>,
    pick: fn(&BundleFixture) -> &BundleCase,
) {
    use boltseal::verify::bundle::{Artifact, Identity, Policy, Verifier};
    let Some(f) = bundle_fixture() else { return };
    let case = pick(f);
    let trust = boltseal::verify::trust::TrustedRoot::from_json(&f.root_json).unwrap();
    let policy = Policy::identity(Identity::exact(CONFORMANCE_IDENTITY, CONFORMANCE_ISSUER));
    let verifier = Verifier::new(&trust);
    // Parsing is part of the work, as for sigstore-rs below.
    let verify = |json: &[u8]| {
        verifier
            .verify_json(json, &Artifact::Bytes(&case.artifact), &policy)
            .unwrap()
    };
    verify(&case.json);
    bencher.bench(|| verify(divan::black_box(&case.json)));
}

/// sigstore-rs's blocking bundle verifier, offline, on the same bundle and trust material
/// (Fulcio certificates and CT log keys of the same trusted root). It checks the chain, the SCT,
/// the identity, the signature and the log entry body; not the SET, the inclusion proof or the
/// checkpoint (its `TODO … sigstore-rs#285`).
fn verify_bundle_sigstore_rs(
    bencher: divan::Bencher<'_, '_>,
    pick: fn(&BundleFixture) -> &BundleCase,
) {
    use base64::Engine as _;
    use sigstore::bundle::verify::blocking::Verifier;
    use sigstore::bundle::verify::policy::Identity;
    let Some(f) = bundle_fixture() else { return };
    let case = pick(f);
    let root: serde_json::Value = serde_json::from_slice(&f.root_json).unwrap();
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let mut fulcio_certs = Vec::new();
    for ca in root["certificateAuthorities"].as_array().unwrap() {
        for cert in ca["certChain"]["certificates"].as_array().unwrap() {
            fulcio_certs.push(rustls_pki_types::CertificateDer::from(b64(
                &cert["rawBytes"],
            )));
        }
    }
    let mut ctfe_keys = std::collections::BTreeMap::new();
    for (i, log) in root["ctlogs"].as_array().unwrap().iter().enumerate() {
        ctfe_keys.insert(i.to_string(), b64(&log["publicKey"]["rawBytes"]));
    }
    let trust = sigstore::trust::ManualTrustRoot {
        fulcio_certs,
        rekor_keys: std::collections::BTreeMap::new(),
        ctfe_keys,
    };
    let verifier = Verifier::new(Default::default(), trust).unwrap();
    let policy = Identity::new(CONFORMANCE_IDENTITY, CONFORMANCE_ISSUER);
    let parse = |json: &[u8]| -> sigstore::bundle::Bundle { serde_json::from_slice(json).unwrap() };
    let verify =
        |json: &[u8]| verifier.verify(case.artifact.as_slice(), parse(json), &policy, true);
    if let Err(e) = verify(&case.json) {
        eprintln!("sigstore-rs does not verify this bundle ({e}); not timed");
        return;
    }
    // The verifier owns a Tokio runtime and is not `Sync`: measure on this thread.
    bencher.bench_local(|| verify(divan::black_box(&case.json)).unwrap());
}

/// A v0.3 message-signature bundle (`hashedrekord` entry with SET, inclusion proof and
/// checkpoint): boltseal checks all of them.
#[divan::bench]
fn verify_bundle_message_boltseal(bencher: divan::Bencher<'_, '_>) {
    verify_bundle_boltseal(bencher, |f| &f.message);
}

#[divan::bench]
fn verify_bundle_message_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    verify_bundle_sigstore_rs(bencher, |f| &f.message);
}

/// A v0.3 DSSE bundle (in-toto statement, `dsse` entry).
#[divan::bench]
fn verify_bundle_dsse_boltseal(bencher: divan::Bencher<'_, '_>) {
    verify_bundle_boltseal(bencher, |f| &f.dsse);
}

#[divan::bench]
fn verify_bundle_dsse_sigstore_rs(bencher: divan::Bencher<'_, '_>) {
    verify_bundle_sigstore_rs(bencher, |f| &f.dsse);
}
