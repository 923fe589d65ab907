//! The `verify-blob` example (cosign's `verify-blob --bundle`): a key-signed bundle without a
//! log entry verifies only with `--insecure-ignore-tlog` (cosign 3's default requires one), a
//! tampered file or another key is refused, usage errors exit 2, and every case of
//! sigstore-conformance's `bundle-verify` assets verifies or fails as its name says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use boltseal::keys::PrivateKey;
use boltseal_test_support as support;

/// `verify-blob` with `args`.
fn verify_blob<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    support::Example::new("verify-blob")
        .args(args)
        .password(None)
        .run()
}

/// `sign-blob --key k.pem --bundle a.json [extra...] a.txt` in `dir` (password `pw`).
fn sign_blob(dir: &Path, extra: &[&str]) -> Output {
    let args = [&["--key", "k.pem", "--bundle", "a.json"], extra, &["a.txt"]].concat();
    support::Example::new("sign-blob")
        .args(&args)
        .dir(dir)
        .password(Some("pw"))
        .run()
}

/// A file, a key pair's public half and a bundle of the file signed with no log entry (by
/// `sign-blob --tlog-upload=false`), in `dir`.
fn unlogged_bundle(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let key = PrivateKey::generate().unwrap();
    let pem = key
        .to_encrypted_pem(b"pw", boltseal::keys::KeyFormat::default())
        .unwrap();
    std::fs::write(dir.join("k.pem"), pem).unwrap();
    let (file, public, bundle) = (dir.join("a.txt"), dir.join("k.pub"), dir.join("a.json"));
    std::fs::write(&file, b"hello, verify-blob\n").unwrap();
    std::fs::write(&public, key.public_key().to_pem()).unwrap();
    support::assert_success(&sign_blob(dir, &["--tlog-upload=false"]));
    (file, public, bundle)
}

/// cosign 3's whole key flow against a private Sigstore instance (the Sigstore project's own
/// service mocks): `sign-blob` logs the signature, and `verify-blob --key --trusted-root`
/// accepts the bundle without `--insecure-ignore-tlog`; the public-good root (which does not
/// know that log) and another key refuse it.
#[test]
fn a_logged_key_signature_verifies_against_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let (file, public, bundle) = unlogged_bundle(dir.path());
    let Some(services) = support::sigstore_services::SigstoreServices::start() else {
        return;
    };
    let (config, root) = (
        services.signing_config.as_path(),
        services.trusted_root.as_path(),
    );
    let logged = [
        "--signing-config",
        config.to_str().unwrap(),
        "--trusted-root",
        root.to_str().unwrap(),
    ];
    support::assert_success(&sign_blob(dir.path(), &logged));
    let key_args = [Path::new("--bundle"), &bundle, Path::new("--key"), &public];
    let with_root = [Path::new("--trusted-root"), root, &file];
    let ok = verify_blob(key_args.iter().chain(with_root.iter()));
    assert_eq!(support::stderr(&ok).trim(), "Verified OK");
    let err = support::assert_error(&verify_blob(key_args.iter().chain([&&*file])), 1);
    assert!(err.contains("log"), "{err}");
    let other = dir.path().join("other.pub");
    std::fs::write(
        &other,
        PrivateKey::generate().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let other_key = [Path::new("--bundle"), &bundle, Path::new("--key"), &other];
    support::assert_error(&verify_blob(other_key.iter().chain(with_root.iter())), 1);
}

#[test]
fn a_key_signature_without_a_log_entry_needs_insecure_ignore_tlog() {
    let dir = tempfile::tempdir().unwrap();
    let (file, public, bundle) = unlogged_bundle(dir.path());
    let key_args = [Path::new("--bundle"), &bundle, Path::new("--key"), &public];
    let ok = verify_blob(
        key_args
            .iter()
            .chain([&Path::new("--insecure-ignore-tlog"), &&*file]),
    );
    assert_eq!(support::assert_success(&ok), "");
    assert_eq!(support::stderr(&ok).trim(), "Verified OK");
    // cosign 3's default: a key's signature must be in the log.
    let refused = verify_blob(key_args.iter().chain([&&*file]));
    let err = support::assert_error(&refused, 1);
    assert!(err.contains("transparency log"), "{err}");
    // Another file, another key: refused even without the log.
    std::fs::write(dir.path().join("b.txt"), b"hello, verify-blob!\n").unwrap();
    let tampered = [
        Path::new("--insecure-ignore-tlog"),
        &dir.path().join("b.txt"),
    ];
    support::assert_error(&verify_blob(key_args.iter().chain(tampered.iter())), 1);
    let other = dir.path().join("other.pub");
    std::fs::write(
        &other,
        PrivateKey::generate().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let other_key = [
        &bundle,
        Path::new("--key"),
        &other,
        Path::new("--insecure-ignore-tlog"),
        &file,
    ];
    support::assert_error(
        &verify_blob([Path::new("--bundle")].iter().chain(other_key.iter())),
        1,
    );
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (file, public, bundle) = unlogged_bundle(dir.path());
    let (file, public, bundle) = (
        file.to_str().unwrap(),
        public.to_str().unwrap(),
        bundle.to_str().unwrap(),
    );
    let cases: [&[&str]; 6] = [
        &["--bundle", bundle, file],
        &[
            "--bundle",
            bundle,
            "--key",
            public,
            "--certificate-identity",
            "x",
            file,
        ],
        &["--bundle", bundle, "--certificate-identity", "x", file],
        &[
            "--bundle",
            bundle,
            "--certificate-identity",
            "x",
            "--certificate-oidc-issuer-regexp",
            "(",
            file,
        ],
        &["--bundle", "missing.json", "--key", public, file],
        &["--bundle", bundle, "--key", file, file],
    ];
    for args in cases {
        let err = support::assert_error(&verify_blob(args), 2);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

/// The command line of one conformance case: its key or the identity the corpus README
/// gives, its trusted root or the production snapshot, its artifact or `a.txt`.
fn conformance_args(case: &Path, production_root: &Path) -> Vec<std::ffi::OsString> {
    let own = |name: &str| Some(case.join(name)).filter(|p| p.exists());
    let text = |name: &str, default: &str| {
        own(name).map_or(default.to_owned(), |p| {
            std::fs::read_to_string(p).unwrap().trim().to_owned()
        })
    };
    let mut args: Vec<std::ffi::OsString> =
        vec!["--bundle".into(), case.join("bundle.sigstore.json").into()];
    match own("key.pub") {
        Some(key) => args.extend(["--key".into(), key.into()]),
        None => args.extend([
            "--certificate-identity".into(),
            text("identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main").into(),
            "--certificate-oidc-issuer".into(),
            text("issuer", "https://token.actions.githubusercontent.com").into(),
        ]),
    }
    let root = own("trusted_root.json").unwrap_or_else(|| production_root.to_owned());
    args.extend(["--trusted-root".into(), root.into()]);
    args.push(
        own("artifact")
            .unwrap_or_else(|| case.parent().unwrap().join("a.txt"))
            .into(),
    );
    args
}

#[test]
fn every_conformance_case_verifies_or_fails_as_named() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let root = corpus.join("sigstore/production/trusted_root.json");
    let dir = corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify");
    // Sorted, so a failure list reads in the corpus's order.
    let cases: std::collections::BTreeSet<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(cases.len(), 70);
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = verify_blob(conformance_args(case, &root));
        let stderr = support::stderr(&output);
        let expected = if name.ends_with("_fail") {
            "error: "
        } else {
            "Verified OK"
        };
        if output.status.success() == name.ends_with("_fail")
            || stderr.lines().count() != 1
            || !stderr.starts_with(expected)
        {
            wrong.push(format!("{name}: {} {}", output.status, stderr.trim()));
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

/// The regular-expression forms of the identity flags, on a keyless conformance bundle.
#[test]
fn identity_patterns_select_the_signer() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let dir = corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify");
    let root = corpus.join("sigstore/production/trusted_root.json");
    let base = conformance_args(&dir.join("happy-path-v0.3"), &root);
    let with = |identity: &str, issuer: &str| {
        let mut args = base.clone();
        args.splice(
            2..6,
            [
                "--certificate-identity-regexp",
                identity,
                "--certificate-oidc-issuer-regexp",
                issuer,
            ]
            .map(Into::into),
        );
        verify_blob(args)
    };
    let github = r"^https://token\.actions\.githubusercontent\.com$";
    support::assert_success(&with("^https://github.com/sigstore-conformance/", github));
    support::assert_error(&with("^https://github.com/someone-else/", github), 1);
    support::assert_error(&with("sigstore-conformance", "accounts.google.com"), 1);
}

/// Every key type cosign verifies, through `--key`: a bundle around an OpenSSL signature (the
/// key crate's vectors) verifies with its OpenSSL public key; an `rsaEncryption` key means
/// PKCS #1 v1.5 (cosign's default), so a PSS signature under it is refused, while an
/// `id-RSASSA-PSS` key verifies PSS.
#[test]
fn openssl_keys_of_every_type_verify_their_bundles() {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let data = support::workspace_root().join("crates/boltseal-keys/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let (_, _, template) = unlogged_bundle(dir.path());
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(template).unwrap()).unwrap();
    let payload = data.join("payload.txt");
    let digest = boltseal::reference::Digest::sha256_of(&std::fs::read(&payload).unwrap());
    let cases = [
        ("p256.pub.pem", "p256.sha256.sig", 0),
        ("p384.pub.pem", "p384.sha384.sig", 0),
        ("p521.pub.pem", "p521.sha512.sig", 0),
        ("ed25519.pub.pem", "ed25519.sig", 0),
        ("rsa.pub.pem", "rsa.sha256.sig", 0),
        ("rsa.pkcs1.pub.pem", "rsa.sha256.sig", 0),
        ("rsapss.pub.pem", "rsapss.sha256.sig", 0),
        ("rsa.pub.pem", "rsa.pss.sha256.sig", 1),
        ("p521.pub.pem", "p521.sha256.sig", 1),
    ];
    for (key, signature, expected) in cases {
        let public =
            boltseal::keys::PublicKey::from_pem(&std::fs::read(data.join(key)).unwrap()).unwrap();
        let mut bundle = template.clone();
        bundle["verificationMaterial"]["publicKey"]["hint"] = public.hint().into();
        bundle["messageSignature"]["messageDigest"]["digest"] =
            b64(&boltseal::core::hex::decode(digest.encoded()).unwrap()).into();
        bundle["messageSignature"]["signature"] =
            b64(&std::fs::read(data.join(signature)).unwrap()).into();
        let path = dir.path().join(format!("{signature}.json"));
        std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
        let args = [
            Path::new("--bundle"),
            &path,
            Path::new("--key"),
            &data.join(key),
            Path::new("--insecure-ignore-tlog"),
            &payload,
        ];
        let output = verify_blob(args);
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{key} {signature}: {}",
            support::stderr(&output)
        );
    }
}
