//! The sigstore-conformance bundle-verify cases and the private-Sigstore fixtures, through the
//! library. The corpus is upstream data in `../shared/corpus` (next to the repository), read at
//! run time; CI must have it, elsewhere the tests are skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use boltseal_verify::bundle::{Artifact, Identity, Policy, Verifier};
use boltseal_verify::trust::{PublicKey, TrustedRoot};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        if std::env::var_os("CI").is_some() {
            panic!("../shared/corpus is required in CI");
        }
        eprintln!("SKIPPED: ../shared/corpus is not present (only CI has it)");
        None
    }
}

fn read_trimmed(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

/// Runs one conformance case; `Ok` when it verified.
fn run_case(case: &Path, default_root: &Path) -> Result<(), String> {
    let artifact_path = if case.join("artifact").exists() {
        case.join("artifact")
    } else {
        case.parent().unwrap().join("a.txt")
    };
    let root_path = if case.join("trusted_root.json").exists() {
        case.join("trusted_root.json")
    } else {
        default_root.to_owned()
    };
    let trust =
        TrustedRoot::from_json(&std::fs::read(root_path).unwrap()).map_err(|e| e.to_string())?;
    let policy = if case.join("key.pub").exists() {
        let pem = std::fs::read(case.join("key.pub")).unwrap();
        Policy::key(PublicKey::from_pem(&pem).map_err(|e| format!("key.pub: {e}"))?)
    } else {
        let identity = if case.join("identity").exists() {
            read_trimmed(&case.join("identity"))
        } else {
            DEFAULT_IDENTITY.to_owned()
        };
        let issuer = if case.join("issuer").exists() {
            read_trimmed(&case.join("issuer"))
        } else {
            DEFAULT_ISSUER.to_owned()
        };
        Policy::identity(Identity::exact(identity, issuer))
    };
    let bundle = std::fs::read(case.join("bundle.sigstore.json")).unwrap();
    let artifact = std::fs::read(artifact_path).unwrap();
    Verifier::new(&trust)
        .verify_json(&bundle, &Artifact::Bytes(&artifact), &policy)
        .map(|_| ())
        .map_err(|e| e.reason().to_owned())
}

#[test]
fn sigstore_conformance_bundle_verify() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let dir = corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify");
    let default_root = corpus.join("sigstore/production/trusted_root.json");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect_pass = !name.ends_with("_fail");
        let outcome = run_case(case, &default_root);
        println!("{name}: {outcome:?}");
        if outcome.is_ok() != expect_pass {
            wrong.push(format!("{name}: {outcome:?}"));
        }
    }
    println!(
        "{} of {} cases as expected",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert_eq!(cases.len(), 70, "the corpus should hold 70 cases");
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn private_sigstore_fixtures() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let dir = corpus.join("fixtures/private-sigstore");
    let trust =
        TrustedRoot::from_json(&std::fs::read(dir.join("trust_config.json")).unwrap()).unwrap();
    let artifact = std::fs::read(dir.join("artifact.txt")).unwrap();
    let policy = Policy::identity(Identity::exact("dev@example.com", "https://issuer.example"));
    let verify = |name: &str| {
        let bundle = std::fs::read(dir.join(name)).unwrap();
        Verifier::new(&trust).verify_json(&bundle, &Artifact::Bytes(&artifact), &policy)
    };
    let verified = verify("artifact.txt.sigstore.json").unwrap();
    assert_eq!(verified.tlog_entries, 1);
    for bad in [
        "artifact.txt.bad-set.sigstore.json",
        "artifact.txt.bad-checkpoint.sigstore.json",
        "artifact.txt.other-instance.sigstore.json",
    ] {
        let error = verify(bad).unwrap_err();
        println!("{bad}: {}", error.reason());
    }
    // The trusted_root.json next to it is the same root.
    let root =
        TrustedRoot::from_json(&std::fs::read(dir.join("trusted_root.json")).unwrap()).unwrap();
    let bundle = std::fs::read(dir.join("artifact.txt.sigstore.json")).unwrap();
    Verifier::new(&root)
        .verify_json(&bundle, &Artifact::Bytes(&artifact), &policy)
        .unwrap();
}

/// cosign's legacy keyless signature layout (containers/image fixtures): the Rekor SET
/// annotation and the Fulcio certificate, against the embedded public-good root.
#[test]
fn legacy_keyless_annotations() {
    use boltseal_envelope::bundle::RekorBundle;
    use boltseal_verify::bundle::{VerifiedSigner, verify_certificate, verify_rekor_bundle};
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let dir = corpus.join("sigstore/containers-image/signature/fixtures");
    let trust = TrustedRoot::public_good();
    let set = RekorBundle::parse(&std::fs::read(dir.join("rekor-set")).unwrap()).unwrap();
    let integrated = verify_rekor_bundle(&set, &trust).unwrap();
    let cert = std::fs::read(dir.join("fulcio-cert")).unwrap();
    let policy = Policy::identity(Identity::exact(
        "mitr@redhat.com",
        "https://github.com/login/oauth",
    ));
    let (signer, key) = verify_certificate(&cert, &policy, &[integrated], &trust).unwrap();
    assert!(
        matches!(signer, VerifiedSigner::Certificate { ref issuer, .. } if issuer.as_deref() == Some("https://github.com/login/oauth"))
    );
    // The signature annotation verifies over the payload with the certificate's key.
    let payload = std::fs::read(dir.join("rekor-payload")).unwrap();
    let signature = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        std::fs::read_to_string(dir.join("rekor-sig"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    key.verify(&payload, &signature).unwrap();
    assert!(key.verify(b"other payload", &signature).is_err());

    // Another identity, no time, a time outside the certificate, a tampered SET: refused.
    let other = Policy::identity(Identity::exact(
        "someone@example.com",
        "https://github.com/login/oauth",
    ));
    assert!(verify_certificate(&cert, &other, &[integrated], &trust).is_err());
    assert!(verify_certificate(&cert, &policy, &[], &trust).is_err());
    assert!(verify_certificate(&cert, &policy, &[integrated + 3600], &trust).is_err());
    let mut tampered = set.clone();
    tampered.payload.integrated_time += 1;
    assert!(verify_rekor_bundle(&tampered, &trust).is_err());
    assert!(verify_rekor_bundle(&set, &TrustedRoot::empty()).is_err());
}
