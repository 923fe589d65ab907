//! The library's everyday jobs without a registry: `pin_text` with caller-supplied digests, and
//! the `Report` of an offline `pin_paths` as lines and as the JSON document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use boltseal_pin::{FileKind, Options, pin_paths, pin_text};
use boltseal_reference::Digest;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: a
      image: nginx:1.27 # the web server
    - name: b
      image: \"nginx:1.27\"
  initContainers:
    - name: c
      image: ghcr.io/org/tool
";

#[test]
fn pin_text_asks_once_per_tag_and_pins_in_place() {
    let nginx = Digest::sha256_of(b"nginx:1.27");
    let asked = Cell::new(0);
    // The tool's tag is unknown here: its reference stays as written.
    let registry = |r: &boltseal_reference::Reference| {
        asked.set(asked.get() + 1);
        (r.repository() == "library/nginx").then_some(nginx)
    };
    let out = pin_text(FileKind::Kubernetes, POD, registry).unwrap();
    assert_eq!(asked.get(), 2, "one question per distinct tag");
    assert_eq!(
        out,
        POD.replace("nginx:1.27", &format!("nginx:1.27@{nginx}"))
    );
    // Pinning again changes nothing: the pins are current.
    assert_eq!(pin_text(FileKind::Kubernetes, &out, registry).unwrap(), out);
    // The tag moved: the stale pin is replaced.
    let moved = Digest::sha256_of(b"nginx:1.27, rebuilt");
    let again = pin_text(FileKind::Kubernetes, &out, |_| Some(moved)).unwrap();
    assert_eq!(again.matches(moved.as_str()).count(), 3, "{again}");
    assert!(!again.contains(nginx.as_str()));
}

#[test]
fn pin_text_refuses_what_is_not_yaml() {
    let err = pin_text(FileKind::Kubernetes, "a: [b\n", |_| None).unwrap_err();
    assert!(err.to_string().contains("invalid YAML"), "{err}");
}

#[tokio::test]
async fn an_offline_report_prints_the_pin_lines_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let digest = Digest::sha256_of(b"busybox");
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        format!("FROM alpine:3.20\nFROM busybox@{digest}\nRUN npm install\n"),
    )
    .unwrap();
    let options = Options::new().offline(true);
    let report = pin_paths(&[dir.path().to_owned()], &options).await.unwrap();
    let path = dockerfile.display().to_string();

    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{path}:1: unpinned alpine:3.20"));
    assert_eq!(
        lines[1],
        format!("{path}:2: pinned busybox@{digest} (tag not checked)")
    );
    assert!(lines[2].starts_with(&format!("{path}:1: finding unpinned-from: ")));
    assert!(lines[3].starts_with(&format!("{path}:3: finding npm-install: ")));
    assert_eq!(lines.len(), 4);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["needs_attention"], true);
    let file = &json["files"][0];
    assert_eq!(file["path"], path);
    assert_eq!(file["kind"], "dockerfile");
    assert_eq!(file["rewritten"], 0);
    assert!(file["error"].is_null());
    assert_eq!(
        file["references"][0],
        serde_json::json!({
            "line": 1, "image": "alpine:3.20", "origin": "FROM", "state": "unpinned",
            "current": null,
        })
    );
    assert_eq!(
        file["references"][1],
        serde_json::json!({
            "line": 2, "image": format!("busybox@{digest}"), "origin": "FROM",
            "state": "pinned", "digest": digest.to_string(), "verified": false,
        })
    );
    assert_eq!(file["findings"][1]["rule"], "npm-install");
    assert_eq!(file["findings"][1]["line"], 3);
}
