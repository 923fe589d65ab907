//! The `conformance` example (sigstore-conformance client protocol) against every case of
//! sigstore-conformance's `bundle-verify` assets and the private-Sigstore fixtures, in
//! `../shared/corpus` (upstream data, read at run time; CI has it, elsewhere it is skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn read_trimmed(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

fn sha256_hex(data: &[u8]) -> String {
    boltseal::reference::Digest::sha256_of(data)
        .encoded()
        .to_owned()
}

/// The command line for one case; `trusted_root` overrides the case's own root (`None` =
/// the embedded public-good root for cases without one).
fn case_command(case: &Path, default_root: Option<&Path>, by_digest: bool) -> Command {
    let mut cmd = Command::new(support::example("conformance"));
    cmd.arg("verify-bundle")
        .arg("--bundle")
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").exists() {
        cmd.arg("--key").arg(case.join("key.pub"));
    } else {
        let identity = case.join("identity");
        let issuer = case.join("issuer");
        cmd.arg("--certificate-identity").arg(if identity.exists() {
            read_trimmed(&identity)
        } else {
            DEFAULT_IDENTITY.to_owned()
        });
        cmd.arg("--certificate-oidc-issuer")
            .arg(if issuer.exists() {
                read_trimmed(&issuer)
            } else {
                DEFAULT_ISSUER.to_owned()
            });
    }
    if case.join("trusted_root.json").exists() {
        cmd.arg("--trusted-root")
            .arg(case.join("trusted_root.json"));
    } else if let Some(root) = default_root {
        cmd.arg("--trusted-root").arg(root);
    }
    let artifact = if case.join("artifact").exists() {
        case.join("artifact")
    } else {
        case.parent().unwrap().join("a.txt")
    };
    if by_digest {
        cmd.arg(format!(
            "sha256:{}",
            sha256_hex(&std::fs::read(&artifact).unwrap())
        ));
    } else {
        cmd.arg(&artifact);
    }
    cmd
}

fn cases(corpus: &Path) -> Vec<PathBuf> {
    let dir = corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// Runs every case (each with its own trusted root, else `default_root`, else the embedded
/// public-good root; the artifact by file or by digest) and asserts each outcome: `_fail`
/// cases fail with one `error:` line, the others pass.
fn run_all_cases(default_root: Option<&str>, by_digest: bool) {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let default_root = default_root.map(|r| corpus.join(r));
    let cases = cases(&corpus);
    assert_eq!(cases.len(), 70);
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = case_command(case, default_root.as_deref(), by_digest)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() == name.ends_with("_fail") {
            wrong.push(format!("{name}: {} {}", output.status, stderr.trim()));
        }
        if !output.status.success() {
            let lines: Vec<&str> = stderr.lines().collect();
            assert!(
                lines.len() == 1 && lines[0].starts_with("error: "),
                "{name}: a failure is one error: line, got {stderr:?}"
            );
        }
    }
    println!(
        "{} of {} conformance cases as expected",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

const PRODUCTION_ROOT: &str = "sigstore/production/trusted_root.json";

/// The harness of the corpus README: each case's own trusted root, else the production
/// snapshot in the corpus.
#[test]
fn every_bundle_verify_case() {
    run_all_cases(Some(PRODUCTION_ROOT), false);
}

/// Without `--trusted-root` the embedded public-good root must give the same answers.
#[test]
fn embedded_public_good_root() {
    run_all_cases(None, false);
}

/// The `sha256:<hex>` artifact form: message signatures over P-256 keys and DSSE subjects
/// verify from the digest alone.
#[test]
fn artifact_by_digest() {
    run_all_cases(Some(PRODUCTION_ROOT), true);
}

/// `verify-bundle` of the conformance example over `bundle` for `identity` (issuer
/// `issuer`) with `root`, on `file`.
fn verify_bundle(bundle: &Path, identity: &str, issuer: &str, root: &Path, file: &Path) -> Output {
    support::Example::new("conformance")
        .args(["verify-bundle", "--bundle"])
        .args([bundle])
        .args(["--certificate-identity", identity])
        .args(["--certificate-oidc-issuer", issuer])
        .args([Path::new("--trusted-root"), root, file])
        .run()
}

#[test]
fn private_sigstore_fixtures() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let dir = corpus.join("fixtures/private-sigstore");
    let run = |bundle: &str| {
        verify_bundle(
            &dir.join(bundle),
            "dev@example.com",
            "https://issuer.example",
            &dir.join("trust_config.json"),
            &dir.join("artifact.txt"),
        )
    };
    assert!(run("artifact.txt.sigstore.json").status.success());
    for bad in ["bad-set", "bad-checkpoint", "other-instance"] {
        let output = run(&format!("artifact.txt.{bad}.sigstore.json"));
        assert_eq!(output.status.code(), Some(1), "{bad} must fail");
    }
}

#[test]
fn usage_errors_and_unsupported_commands() {
    let args = [
        "sign-bundle",
        "--identity-token",
        "x",
        "--bundle",
        "b.json",
        "file",
    ];
    let out = support::run("conformance", &args);
    let err = support::assert_error(&out, 2);
    assert!(err.starts_with("error: signing is not supported"), "{err}");
    let out = support::run(
        "conformance",
        &["verify-bundle", "--bundle", "b.json", "file"],
    );
    support::assert_error(&out, 2);
}

/// Fresh bundles from the shared private-Sigstore generator (a throwaway CA, CT log and Rekor
/// key per run), when python3 with `cryptography` and `rfc8785` is available.
#[test]
fn fresh_private_sigstore_bundles() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let tool = corpus.join("../tools/private-sigstore.py");
    let usable = tool.exists()
        && Command::new("python3")
            .args(["-c", "import cryptography, rfc8785"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !usable {
        eprintln!("SKIPPED: python3 with cryptography and rfc8785 is not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("artifact.bin");
    std::fs::write(&artifact, b"fresh bytes to sign\n").unwrap();
    let out = dir.path().join("instance");
    let generated = Command::new("python3")
        .arg(&tool)
        .arg(&out)
        .arg(&artifact)
        .args([
            "--identity",
            "ci@example.org",
            "--issuer",
            "https://ci.example",
        ])
        .output()
        .unwrap();
    support::assert_success(&generated);
    let verify = |identity: &str, root: &str, file: &Path| {
        verify_bundle(
            &out.join("artifact.bin.sigstore.json"),
            identity,
            "https://ci.example",
            &out.join(root),
            file,
        )
    };
    for root in ["trusted_root.json", "trust_config.json"] {
        let ok = verify("ci@example.org", root, &artifact);
        support::assert_success(&ok);
    }
    assert_eq!(
        verify("other@example.org", "trusted_root.json", &artifact)
            .status
            .code(),
        Some(1)
    );
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"other bytes\n").unwrap();
    assert_eq!(
        verify("ci@example.org", "trusted_root.json", &other)
            .status
            .code(),
        Some(1)
    );
}
