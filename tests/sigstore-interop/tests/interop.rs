//! boltseal ⇄ sigstore-rs (the `sigstore` crate) on a real registry:
//! - legacy signatures written by boltseal pass sigstore-rs's `verify_constraints` with a
//!   public-key and an annotation constraint, and fail with the wrong key or annotation;
//! - sigstore-rs reads boltseal's encrypted private keys (current and legacy formats) and signs
//!   with them; boltseal reads those signatures back and verifies them;
//! - boltseal reads keys sigstore-rs writes;
//! - the policy engine (a Kyverno `verifyImages` rule) admits and pins a Pod whose image
//!   sigstore-rs signed, and refuses one whose image is unsigned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use boltseal_test_support as support;

use base64::Engine as _;
use boltseal::envelope::simple_signing::SimpleSigning;
use boltseal::evidence::verify;
use boltseal::keys::{KeyFormat, PrivateKey, PublicKey};
use boltseal::oci::{Manifest, ManifestRef, RegistryOptions, Store};
use boltseal::reference::media_type;
use boltseal::sign::{ANNOTATION_SIGNATURE, SignOptions, sign_image, signature_tag};
use boltseal::verify::{Claim, KeyPolicy};
use sigstore::cosign::Constraint;
use sigstore::cosign::constraint::{AnnotationMarker, PrivateKeySigner};
use sigstore::cosign::verification_constraint::{
    AnnotationVerifier, PublicKeyVerifier, VerificationConstraintVec,
};
use sigstore::cosign::{ClientBuilder, CosignCapabilities, SignatureLayer};
use sigstore::crypto::SigningScheme;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

type Z = zeroize::Zeroizing<Vec<u8>>;

fn client() -> sigstore::cosign::Client {
    ClientBuilder::default()
        .with_oci_client_config(ClientConfig {
            protocol: ClientProtocol::Http,
            ..Default::default()
        })
        .build()
        .unwrap()
}

async fn sigstore_layers(image: &str) -> Vec<SignatureLayer> {
    let mut c = client();
    let image: OciReference = image.parse().unwrap();
    let (sig_image, digest) = c.triangulate(&image, &Auth::Anonymous).await.unwrap();
    assert!(sig_image.to_string().ends_with(".sig"), "{sig_image}");
    assert!(digest.starts_with("sha256:"));
    c.trusted_signature_layers(&Auth::Anonymous, &image)
        .await
        .unwrap()
}

fn constraints(public_pem: &str, annotations: &[(&str, &str)]) -> VerificationConstraintVec {
    let mut v: VerificationConstraintVec = vec![Box::new(
        PublicKeyVerifier::try_from(public_pem.as_bytes()).unwrap(),
    )];
    if !annotations.is_empty() {
        v.push(Box::new(AnnotationVerifier {
            annotations: annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }));
    }
    v
}

#[tokio::test]
async fn sigstore_rs_verifies_boltseal_legacy_signatures() {
    let registry = support::Registry::start();
    let (store, image, _) = registry.push_image("interop/signed", "signed").await;
    let key = PrivateKey::generate().unwrap();
    let other = PrivateKey::generate().unwrap();
    sign_image(
        &store,
        &ManifestRef::Tag("v1".into()),
        &image,
        &key,
        &SignOptions::new().annotation("env", "prod"),
    )
    .await
    .unwrap();

    let layers = sigstore_layers(&image).await;
    assert_eq!(layers.len(), 1);
    let pem = key.public_key().to_pem();
    sigstore::cosign::verify_constraints(&layers, constraints(&pem, &[("env", "prod")]).iter())
        .expect("sigstore-rs accepts boltseal's signature");
    assert!(
        sigstore::cosign::verify_constraints(&layers, constraints(&pem, &[("env", "dev")]).iter())
            .is_err()
    );
    let other_pem = other.public_key().to_pem();
    assert!(
        sigstore::cosign::verify_constraints(&layers, constraints(&other_pem, &[]).iter()).is_err()
    );

    // A second signature by another key is appended; each key verifies its own layer.
    sign_image(
        &store,
        &ManifestRef::Tag("v1".into()),
        &image,
        &other,
        &SignOptions::new(),
    )
    .await
    .unwrap();
    let layers = sigstore_layers(&image).await;
    assert_eq!(layers.len(), 2);
    for pem in [&pem, &other_pem] {
        sigstore::cosign::verify_constraints(&layers, constraints(pem, &[]).iter()).unwrap();
    }
}

#[tokio::test]
async fn sigstore_rs_signs_with_boltseal_keys_and_boltseal_reads_it() {
    let registry = support::Registry::start();
    for (n, format) in [KeyFormat::default(), KeyFormat::legacy()]
        .into_iter()
        .enumerate()
    {
        let repo = format!("interop/by-sigstore-rs-{n}");
        let (store, image, _) = registry.push_image(&repo, &repo).await;
        let key = PrivateKey::generate().unwrap();
        let pem = key.to_encrypted_pem(b"hunter2", format).unwrap();

        // sigstore-rs decrypts boltseal's key and signs the image (its own push).
        let mut c = client();
        let oci: OciReference = image.parse().unwrap();
        let (sig_image, digest) = c.triangulate(&oci, &Auth::Anonymous).await.unwrap();
        let mut layer = SignatureLayer::new_unsigned(&oci, &digest).unwrap();
        AnnotationMarker::new([("by".to_owned(), "sigstore-rs".to_owned())].into())
            .add_constraint(&mut layer)
            .unwrap();
        let signer = PrivateKeySigner::new_with_raw(
            Z::new(pem.into_bytes()),
            Z::new(b"hunter2".to_vec()),
            &SigningScheme::ECDSA_P256_SHA256_ASN1,
        )
        .expect("sigstore-rs reads boltseal's encrypted key");
        signer.add_constraint(&mut layer).unwrap();
        c.push_signature(None, &Auth::Anonymous, &sig_image, vec![layer])
            .await
            .unwrap();

        // boltseal reads sigstore-rs's .sig manifest and verifies the signature itself.
        let resolved = store.resolve(&ManifestRef::Tag("v1".into())).await.unwrap();
        assert_eq!(resolved.digest.to_string(), digest);
        let raw = store
            .get_manifest(&ManifestRef::Tag(signature_tag(&resolved.digest, "sig")))
            .await
            .unwrap();
        let Manifest::Image(m) = raw.parse().unwrap() else {
            panic!("not an image manifest")
        };
        assert_eq!(m.layers.len(), 1);
        let layer = &m.layers[0];
        assert_eq!(layer.media_type, media_type::COSIGN_SIMPLE_SIGNING);
        let payload = store
            .get_blob(layer)
            .await
            .unwrap()
            .read_to_vec(1 << 20)
            .await
            .unwrap();
        let sig = base64::engine::general_purpose::STANDARD
            .decode(&layer.annotations[ANNOTATION_SIGNATURE])
            .unwrap();
        key.public_key().verify_der(&payload, &sig).unwrap();
        let parsed = SimpleSigning::parse(&payload).unwrap();
        assert_eq!(parsed.manifest_digest, resolved.digest);
        assert_eq!(parsed.annotation("by"), Some("sigstore-rs"));

        // And boltseal-verify accepts it, with the annotation, and refuses other keys.
        let policy = KeyPolicy::new(key.public_key()).annotation("by", "sigstore-rs");
        let v1 = ManifestRef::Tag("v1".into());
        let verified = verify(&store, &v1, &policy.into(), &Claim::Signature)
            .await
            .unwrap();
        assert_eq!(verified.verified.len(), 1);
        let other = KeyPolicy::new(PrivateKey::generate().unwrap().public_key());
        assert!(
            verify(&store, &v1, &other.into(), &Claim::Signature)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn policy_engine_admits_images_sigstore_rs_signed() {
    use boltseal::policy::{AdmissionInput, Engine, Operation, Phase, PolicySet, RegistryVerifier};
    use std::sync::Arc;

    let registry = support::Registry::start();
    let (signed_store, signed, _) = registry.push_image("interop/admitted", "admitted").await;
    let (_, unsigned, _) = registry.push_image("interop/refused", "refused").await;
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(b"pw", KeyFormat::default()).unwrap();

    // sigstore-rs signs the first image (its own payload and push).
    let mut c = client();
    let oci: OciReference = signed.parse().unwrap();
    let (sig_image, digest) = c.triangulate(&oci, &Auth::Anonymous).await.unwrap();
    let mut layer = SignatureLayer::new_unsigned(&oci, &digest).unwrap();
    PrivateKeySigner::new_with_raw(
        Z::new(pem.into_bytes()),
        Z::new(b"pw".to_vec()),
        &SigningScheme::ECDSA_P256_SHA256_ASN1,
    )
    .unwrap()
    .add_constraint(&mut layer)
    .unwrap();
    c.push_signature(None, &Auth::Anonymous, &sig_image, vec![layer])
        .await
        .unwrap();

    let key_block: String = key
        .public_key()
        .to_pem()
        .lines()
        .map(|l| format!("                      {l}\n"))
        .collect();
    let host = registry.repo("interop");
    let policy = format!(
        r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-image-signatures
spec:
  rules:
    - name: check-image-signature
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["{host}/*"]
          failureAction: Enforce
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
{key_block}                    rekor:
                      ignoreTlog: true
"#
    );
    let engine = Engine::new(
        PolicySet::from_yaml_str("policy.yaml", &policy).unwrap(),
        Arc::new(RegistryVerifier::new(
            RegistryOptions::new(),
            std::time::Duration::from_secs(60),
        )),
    );
    let pod = |image: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "app", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": image}]}})
    };

    let admitted = engine
        .apply(&AdmissionInput::new(
            Phase::Mutate,
            Operation::Create,
            pod(&signed),
        ))
        .await;
    assert!(admitted.allowed(), "{:?}", admitted.blocked_message());
    let resolved = signed_store
        .resolve(&ManifestRef::Tag("v1".into()))
        .await
        .unwrap();
    assert_eq!(
        admitted.patched.as_ref().unwrap()["spec"]["containers"][0]["image"],
        format!("{signed}@{}", resolved.digest)
    );

    let refused = engine
        .apply(&AdmissionInput::new(
            Phase::Mutate,
            Operation::Create,
            pod(&unsigned),
        ))
        .await;
    assert!(!refused.allowed());
    let message = refused.blocked_message().unwrap();
    assert!(message.contains("check-image-signature"), "{message}");
}

#[test]
fn boltseal_reads_keys_sigstore_rs_writes() {
    use sigstore::crypto::signing_key::SigStoreKeyPair;
    use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
    let pair = SigStoreKeyPair::ECDSA(ECDSAKeys::new(EllipticCurve::P256).unwrap());
    let encrypted = pair.private_key_to_encrypted_pem(b"pw").unwrap();
    let public = pair.public_key_to_pem().unwrap();
    let key = PrivateKey::from_pem(encrypted.as_bytes(), b"pw").unwrap();
    assert_eq!(
        key.public_key(),
        PublicKey::from_pem(public.as_bytes()).unwrap()
    );
    // And a signature sigstore-rs verifies.
    let sig = key.sign_der(b"message");
    let verifier =
        sigstore::crypto::CosignVerificationKey::try_from_pem(public.as_bytes()).unwrap();
    verifier
        .verify_signature(sigstore::crypto::Signature::Raw(&sig), b"message")
        .unwrap();
}
