//! The `conformance` example (sigstore-conformance client protocol) against every case of
//! sigstore-conformance's `bundle-verify` assets and the private-Sigstore fixtures, in
//! `../shared/corpus` (upstream data, read at run time; CI has it, elsewhere it is skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

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

fn check_outcome(name: &str, output: &Output, wrong: &mut Vec<String>) {
    let expect_pass = !name.ends_with("_fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() != expect_pass {
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

/// The harness of the corpus README: each case's own trusted root, else the production
/// snapshot in the corpus.
#[test]
fn every_bundle_verify_case() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let production = corpus.join("sigstore/production/trusted_root.json");
    let cases = cases(&corpus);
    assert_eq!(cases.len(), 70);
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = case_command(case, Some(&production), false)
            .output()
            .unwrap();
        check_outcome(&name, &output, &mut wrong);
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

/// Without `--trusted-root` the embedded public-good root must give the same answers.
#[test]
fn embedded_public_good_root() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let mut wrong = Vec::new();
    for case in &cases(&corpus) {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = case_command(case, None, false).output().unwrap();
        check_outcome(&name, &output, &mut wrong);
    }
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

/// The `sha256:<hex>` artifact form: message signatures over P-256 keys and DSSE subjects
/// verify from the digest alone.
#[test]
fn artifact_by_digest() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let production = corpus.join("sigstore/production/trusted_root.json");
    let mut wrong = Vec::new();
    for case in &cases(&corpus) {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = case_command(case, Some(&production), true)
            .output()
            .unwrap();
        check_outcome(&name, &output, &mut wrong);
    }
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn private_sigstore_fixtures() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let dir = corpus.join("fixtures/private-sigstore");
    let run = |bundle: &str| {
        Command::new(support::example("conformance"))
            .args(["verify-bundle", "--bundle"])
            .arg(dir.join(bundle))
            .args(["--certificate-identity", "dev@example.com"])
            .args(["--certificate-oidc-issuer", "https://issuer.example"])
            .arg("--trusted-root")
            .arg(dir.join("trust_config.json"))
            .arg(dir.join("artifact.txt"))
            .output()
            .unwrap()
    };
    assert!(run("artifact.txt.sigstore.json").status.success());
    for bad in ["bad-set", "bad-checkpoint", "other-instance"] {
        let output = run(&format!("artifact.txt.{bad}.sigstore.json"));
        assert_eq!(output.status.code(), Some(1), "{bad} must fail");
    }
}

#[test]
fn usage_errors_and_unsupported_commands() {
    let exe = support::example("conformance");
    let out = Command::new(&exe)
        .args([
            "sign-bundle",
            "--identity-token",
            "x",
            "--bundle",
            "b.json",
            "file",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: signing is not supported"));
    let out = Command::new(&exe)
        .args(["verify-bundle", "--bundle", "b.json", "file"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
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
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let verify = |identity: &str, root: &str, file: &Path| {
        Command::new(support::example("conformance"))
            .args(["verify-bundle", "--bundle"])
            .arg(out.join("artifact.bin.sigstore.json"))
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", "https://ci.example"])
            .arg("--trusted-root")
            .arg(out.join(root))
            .arg(file)
            .output()
            .unwrap()
    };
    for root in ["trusted_root.json", "trust_config.json"] {
        let ok = verify("ci@example.org", root, &artifact);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
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
