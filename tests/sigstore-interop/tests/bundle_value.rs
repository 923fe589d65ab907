//! boltseal-verify accepts and produces the sigstore crate's bundle values (feature `sigstore`):
//! the same bundle, whichever side read it, and the same verdicts.

use boltseal_envelope::bundle::{Bundle, Content, MessageSignature, VerificationMaterial};
use boltseal_verify::bundle::{Artifact, Policy, Verifier, from_sigstore, to_sigstore};
use boltseal_verify::trust::TrustedRoot;

#[test]
fn a_key_signed_bundle_round_trips_through_the_sigstore_value_and_verifies_the_same() {
    let signer = boltseal_keys::PrivateKey::generate().unwrap();
    let bundle = Bundle::new(
        VerificationMaterial::public_key(signer.public_key().hint()),
        Content::MessageSignature(MessageSignature::new(signer.sign_der(b"hello"))),
    );
    let value: sigstore::bundle::Bundle = to_sigstore(&bundle).unwrap();
    let back = from_sigstore(&value).unwrap();
    assert_eq!(back.to_bytes(), bundle.to_bytes());

    let key = signer.public_key();
    let trust = TrustedRoot::empty();
    let verifier = Verifier::new(&trust);
    let offline = Policy::key(key).with_tlog_threshold(0);
    assert!(
        verifier
            .verify_sigstore(&value, &Artifact::Bytes(b"hello"), &offline)
            .is_ok()
    );
    let refused = verifier
        .verify_sigstore(&value, &Artifact::Bytes(b"tampered"), &offline)
        .unwrap_err();
    assert!(
        verifier
            .verify(&bundle, &Artifact::Bytes(b"tampered"), &offline)
            .is_err_and(|e| e == refused)
    );
}

#[test]
fn every_conformance_bundle_reads_the_same_through_the_sigstore_value() {
    let Some(dir) = boltseal_test_support::shared_corpus()
        .map(|c| c.join("sigstore/sigstore-conformance/test/assets/bundle-verify"))
    else {
        return;
    };
    let mut compared = 0;
    for case in std::fs::read_dir(&dir).unwrap() {
        let path = case.unwrap().path().join("bundle.sigstore.json");
        let Ok(json) = std::fs::read(&path) else {
            continue;
        };
        // Both readers must agree on which bundles they can hold at all.
        let ours = Bundle::parse(&json);
        let Ok(value) = serde_json::from_slice::<sigstore::bundle::Bundle>(&json) else {
            continue;
        };
        if let Ok(ours) = ours {
            let via = from_sigstore(&value).unwrap();
            assert_eq!(via.to_bytes(), ours.to_bytes(), "{}", path.display());
            compared += 1;
        }
    }
    assert!(
        compared >= 40,
        "only {compared} conformance bundles compared"
    );
}
