//! The README's first command: `supply_chain` end to end, on the embedded default (layouts) and
//! against a real registry, with its outputs checked by the other examples as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::path::Path;
use std::process::Output;

use support::{stderr, stdout};

/// Runs an example with an empty signing password (the example's keys have none).
fn run(bin: &str, args: &[&str]) -> Output {
    support::Example::new(bin)
        .args(args)
        .password(Some(""))
        .run()
}

/// The `[n/9]` line of `text`.
fn step(text: &str, n: usize) -> &str {
    let prefix = format!("[{n}/9] ");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no step {n} in:\n{text}"))
}

fn first_digest(line: &str) -> String {
    line.split(|c: char| c.is_whitespace() || c == '@' || c == '(' || c == ')')
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in {line}"))
        .to_owned()
}

/// The SBOM the example wrote lists the sample's packages with syft's purls.
fn check_sbom(work: &Path) {
    let sbom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("sbom.spdx.json")).unwrap()).unwrap();
    assert_eq!(sbom["spdxVersion"], "SPDX-2.3");
    let purls: Vec<&str> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceType"] == "purl")
        .filter_map(|r| r["referenceLocator"].as_str())
        .collect();
    assert!(
        purls
            .iter()
            .any(|p| p.starts_with("pkg:deb/boltseal-demo/boltseal-demo-base@1.0.0?arch=all")),
        "{purls:?}"
    );
    assert!(purls.contains(&"pkg:pypi/demo-greeter@0.3.1"), "{purls:?}");
}

#[test]
fn supply_chain_runs_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("demo");
    let out = run("supply_chain", &["--workdir", work.to_str().unwrap()]);
    let text = support::assert_success(&out);
    assert!(step(&text, 1).contains("built sample image"), "{text}");
    assert!(step(&text, 2).contains("2 package(s)"), "{text}");
    assert!(
        step(&text, 5).contains("SLSA v1 provenance and the SPDX SBOM"),
        "{text}"
    );
    assert!(step(&text, 6).contains("digest unchanged"), "{text}");
    assert!(
        step(&text, 7).contains("https://spdx.dev/Document"),
        "{text}"
    );
    let built = first_digest(step(&text, 1));
    assert!(
        step(&text, 8).contains(&format!("localhost/boltseal-demo:v1@{built}")),
        "{text}"
    );
    assert!(
        step(&text, 9).contains("refused Pod demo/unsigned"),
        "{text}"
    );
    assert!(step(&text, 9).contains("no signatures found"), "{text}");
    check_sbom(&work);

    // What it published verifies with the `verify` and `verify-attestation` examples and the
    // public key it wrote.
    let key = work.join("keys/cosign.pub");
    let mirror = format!("oci:{}:v1", work.join("mirror").display());
    let out = run("verify", &["--key", key.to_str().unwrap(), &mirror]);
    support::assert_success(&out);
    let payloads: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        built.as_str()
    );
    let out = run(
        "verify-attestation",
        &[
            "--key",
            key.to_str().unwrap(),
            "--type",
            "spdxjson",
            &mirror,
        ],
    );
    support::assert_success(&out);
    assert!(stdout(&out).contains("demo-greeter"), "{}", stdout(&out));
    // The unsigned variant does not verify.
    let unsigned = format!("oci:{}:unsigned", work.join("mirror").display());
    let out = run("verify", &["--key", key.to_str().unwrap(), &unsigned]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));

    // Reproducible: a second run builds the same digest.
    let again = run("supply_chain", &["--workdir", work.to_str().unwrap()]);
    support::assert_success(&again);
    assert_eq!(built, first_digest(step(&stdout(&again), 1)));

    // It refuses to clear a directory that is not its own.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(foreign.join("build")).unwrap();
    std::fs::write(foreign.join("build/precious.txt"), b"keep me").unwrap();
    let out = run("supply_chain", &["--workdir", foreign.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(foreign.join("build/precious.txt").exists());
}

#[test]
fn supply_chain_publishes_verifies_and_admits_through_a_registry() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("demo");
    let repo = registry.repo("demo/app");
    let out = run(
        "supply_chain",
        &["--workdir", work.to_str().unwrap(), "--registry", &repo],
    );
    let text = support::assert_success(&out);
    let built = first_digest(step(&text, 1));
    assert!(step(&text, 6).contains(&format!("{repo}:v1")), "{text}");
    assert!(
        step(&text, 8).contains(&format!("{repo}:v1@{built}")),
        "{text}"
    );
    assert!(
        step(&text, 9).contains(&format!("{repo}:unsigned")),
        "{text}"
    );

    // The registry copy: verified by `verify`, and its SBOM regenerated by `sbom` from the
    // registry equals the one made from the build layout (same packages).
    let key = work.join("keys/cosign.pub");
    let image = format!("{repo}:v1");
    let out = run("verify", &["--key", key.to_str().unwrap(), &image]);
    support::assert_success(&out);
    let out = run("sbom", &["-q", "-o", "spdx-json", &image]);
    support::assert_success(&out);
    let from_registry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_build: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("sbom.spdx.json")).unwrap()).unwrap();
    let names = |doc: &serde_json::Value| {
        let mut v: Vec<String> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            // The image itself is named after where it was read from; its packages must agree.
            .filter(|p| {
                !p["versionInfo"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("sha256:")
            })
            .map(|p| format!("{} {}", p["name"], p["versionInfo"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&from_registry), names(&from_build));
    check_sbom(&work);
}
