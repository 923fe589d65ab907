//! Every offline case of the Kyverno conformance corpus (`../shared/corpus/kyverno`, outside
//! `_online/`) reproduces its expected results, through the library and through the
//! `policy-test` example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use boltseal::policy::Offline;
use boltseal::policy::testing::{discover, run_test_file};

fn cases() -> Option<Vec<PathBuf>> {
    let root = support::shared_corpus()?.join("kyverno");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("corpus/kyverno")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir() && !p.ends_with("_online"))
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 13,
        "expected the 13 offline cases, found {}",
        dirs.len()
    );
    Some(dirs)
}

#[tokio::test]
async fn every_offline_case_matches_through_the_library() {
    let Some(dirs) = cases() else { return };
    let mut total = 0;
    for dir in dirs {
        let files = discover(&dir).expect("discover");
        assert_eq!(files.len(), 1, "{}: one kyverno-test.yaml", dir.display());
        for file in files {
            let report = run_test_file(&file, Arc::new(Offline))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(!report.cases.is_empty(), "{}: no results", file.display());
            for c in &report.cases {
                assert!(
                    c.ok,
                    "{}: policy {} rule {} resource {}: expected {}, got {:?} ({})",
                    file.display(),
                    c.policy,
                    c.rule,
                    c.resource,
                    c.expected,
                    c.actual,
                    c.reason
                );
                total += 1;
            }
        }
    }
    // expected-results.json lists 47 result entries outside _online; with several resources
    // per entry they expand to 61 checks.
    assert_eq!(total, 61);
}

#[test]
fn policy_test_example_passes_each_case_and_flags_a_wrong_expectation() {
    let Some(dirs) = cases() else { return };
    let bin = support::example("policy-test");
    for dir in &dirs {
        let out = Command::new(&bin)
            .arg("--offline")
            .arg(dir)
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {stdout}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let last = stdout.lines().last().unwrap_or("");
        assert!(
            last.ends_with(" passed, 0 failed"),
            "{}: {last}",
            dir.display()
        );
    }
    // A copy of one case with a flipped expectation must fail with exit 1.
    let src = dirs
        .iter()
        .find(|d| d.ends_with("cli-verifyimages-verifydigest-only"))
        .expect("case");
    let tmp = tempfile::tempdir().expect("tempdir");
    for f in ["policies.yaml", "resources.yaml", "kyverno-test.yaml"] {
        let text = std::fs::read_to_string(src.join(f)).expect("read");
        let text = if f == "kyverno-test.yaml" {
            text.replacen("result: fail", "result: pass", 1)
        } else {
            text
        };
        std::fs::write(tmp.path().join(f), text).expect("write");
    }
    let out = Command::new(&bin)
        .arg("--offline")
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL "), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn online_cases_load_or_are_refused_as_unsupported() {
    let Some(root) = support::shared_corpus() else {
        return;
    };
    let online = root.join("kyverno/_online");
    // The static-key policy is ordinary Kyverno YAML: it loads, with autogen switched off by
    // its annotation.
    let set = boltseal::policy::PolicySet::from_paths(&[
        online.join("cli-verifyimages-static-key/policies.yaml")
    ])
    .expect("static-key policy loads");
    let policy = &set.policies()[0];
    assert_eq!(
        policy.rule_names().collect::<Vec<_>>(),
        ["check-static-key"]
    );
    assert!(policy.has_verify_images());
    // imageExtractors are not implemented: refused by name, not ignored.
    let err = boltseal::policy::PolicySet::from_paths(&[
        online.join("cli-verifyimages-static-key-imageextractor/policies.yaml")
    ])
    .expect_err("imageExtractors are unsupported")
    .to_string();
    assert!(
        err.contains("imageExtractors") && err.contains("not supported"),
        "{err}"
    );
}
