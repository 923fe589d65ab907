//! The `pin` example as users run it, against a real registry: its output lines, `--check`,
//! `--write`, `--json`, and the exit statuses of the contract in ARCHITECTURE.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::path::Path;
use std::process::{Command, Output};

use boltseal::oci::{ImageBuilder, RegistryOptions, RegistryStore};
use boltseal::reference::{Digest, Reference};

fn pin(args: &[&str]) -> Output {
    Command::new(support::example("pin"))
        .args(args)
        .output()
        .expect("run the pin example")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn push(registry: &support::Registry, repo: &str, tag: &str, content: &str) -> Digest {
    let r = Reference::parse(&registry.repo(repo)).unwrap();
    let store = RegistryStore::new(&r, RegistryOptions::new()).unwrap();
    let image = ImageBuilder::new()
        .file("etc/content", content.as_bytes(), 0o644)
        .build()
        .unwrap();
    image.write_to(&store, Some(tag)).await.unwrap().digest
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn usage_and_input_errors_exit_2() {
    let o = pin(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error:"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1);

    let o = pin(&["/nonexistent/boltseal-pin-test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: /nonexistent/boltseal-pin-test:"));

    let o = pin(&["--offline", "--write", "."]);
    assert_eq!(o.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", "kind: Pod\nspec: [unclosed\n");
    let o = pin(&["--offline", &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("error: {bad}: invalid YAML at line 3, column 1: ")),
        "{err}"
    );
}

#[tokio::test]
async fn pin_example_follows_its_contract() {
    let registry = support::Registry::start();
    let r = registry.addr.clone();
    let app = push(&registry, "team/app", "v1", "app v1").await;
    let base = push(&registry, "team/base", "3", "base").await;
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = write(
        dir.path(),
        "Dockerfile",
        &format!("# base image\nFROM {r}/team/base:3 AS build\nCOPY --from=build /a /b\n"),
    );
    let manifest_text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: app\n    image: '{r}/team/app:v1'  # app\n"
    );
    let manifest = write(dir.path(), "pod.yaml", &manifest_text);
    let d = dir.path().display().to_string();

    // Listing: one line per reference, then findings; exit 0 without --check.
    let o = pin(&[&d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{dockerfile}:2: unpinned {r}/team/base:3 (tag now {base})\n\
             {dockerfile}:2: finding unpinned-from: FROM {r}/team/base:3 is not pinned to a digest; pin it (name:tag@sha256:…) so the build is reproducible\n\
             {manifest}:8: unpinned {r}/team/app:v1 (tag now {app})\n"
        )
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));

    // --check: unpinned is a failed check.
    let o = pin(&["--check", &d]);
    assert_eq!(o.status.code(), Some(1));

    // --json: the same facts, machine-readable.
    let o = pin(&["--json", &d]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["needs_attention"], true);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["kind"], "dockerfile");
    assert_eq!(files[0]["references"][0]["state"], "unpinned");
    assert_eq!(files[0]["references"][0]["current"], base.to_string());
    assert_eq!(files[0]["references"][0]["origin"], "FROM");
    assert_eq!(files[0]["findings"][0]["rule"], "unpinned-from");
    assert_eq!(files[1]["kind"], "kubernetes");
    assert_eq!(
        files[1]["references"][0]["origin"],
        "Pod/app spec.containers[0].image"
    );

    // --write --check: everything gets pinned, so the check passes.
    let o = pin(&["--write", "--check", &d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("wrote {manifest}: 1 reference(s) pinned")),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        manifest_text.replace(":v1'", &format!(":v1@{app}'"))
    );
    let o = pin(&["--check", &d]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(&format!("{manifest}:8: pinned {r}/team/app:v1@{app}\n")));

    // The tag moves: stale, --check fails, --write updates.
    let app2 = push(&registry, "team/app", "v1", "app v2").await;
    let o = pin(&["--check", &manifest]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        format!("{manifest}:8: stale {r}/team/app:v1@{app} (tag now {app2})\n")
    );
    let o = pin(&["--write", &manifest]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        manifest_text.replace(":v1'", &format!(":v1@{app2}'"))
    );

    // A missing tag: one error line, exit 1, the file untouched.
    let missing_text = format!("FROM {r}/team/app:v1\nFROM {r}/team/app:nope\n");
    let missing = write(dir.path(), "Dockerfile.missing", &missing_text);
    let o = pin(&["--write", &missing]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: {missing}:2: {r}/team/app:nope: ")),
        "{err}"
    );
    assert!(err.contains("not found"), "{err}");
    assert_eq!(std::fs::read_to_string(&missing).unwrap(), missing_text);
}

#[test]
fn hygiene_findings_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "requirements.txt",
        "flask==3.0.3 \\\n    --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3\n",
    );
    write(dir.path(), "dev.txt", "pytest==8.3.2\n");
    let digest = Digest::sha256_of(b"pinned");
    let dockerfile = write(
        dir.path(),
        "Dockerfile",
        &format!(
            "FROM python:3.12@{digest}\nRUN pip install -r requirements.txt\nRUN pip install -r dev.txt && \\\n    npm install\nRUN [\"pip\", \"install\", \"flask\"]\n"
        ),
    );
    let o = pin(&["--offline", "--check", &dockerfile]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        lines[0],
        format!("{dockerfile}:1: pinned python:3.12@{digest} (tag not checked)")
    );
    assert!(lines[1].starts_with(&format!(
        "{dockerfile}:3: finding pip-requirements-without-hashes: `pip install -r dev.txt`"
    )));
    assert!(lines[2].starts_with(&format!("{dockerfile}:4: finding npm-install: ")));
    assert!(lines[3].starts_with(&format!("{dockerfile}:5: finding pip-install: ")));
}
