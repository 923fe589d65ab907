//! The `reference` example's command-line contract (see ARCHITECTURE.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

const FF64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

/// Builds the example once (in the profile this test was built with) and returns its path.
fn example() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let (profile_args, profile_dir): (&[&str], &str) = if cfg!(debug_assertions) {
            (&[], "debug")
        } else {
            (&["--release"], "release")
        };
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "reference"])
            .args(profile_args)
            .current_dir(&manifest_dir)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --example reference failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| {
                if t.is_absolute() {
                    t
                } else {
                    manifest_dir.join(t)
                }
            })
            .unwrap_or_else(|| manifest_dir.join("target"));
        let path = target
            .join(profile_dir)
            .join("examples")
            .join(format!("reference{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "{} is missing", path.display());
        path
    })
}

fn run(args: &[&str]) -> Output {
    Command::new(example())
        .args(args)
        .output()
        .expect("run example")
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn valid_inputs_print_one_object_per_line_in_key_order() {
    let pinned = format!("ghcr.io/org/app:v1@sha256:{FF64}");
    let out = run(&["nginx", &pinned, "localhost:5000/a"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let lines = lines(&out.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        r#"{"input":"nginx","registry":"docker.io","repository":"library/nginx","tag":null,"digest":null,"normalized":"docker.io/library/nginx:latest","familiar":"nginx"}"#
    );
    let v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(v["input"], pinned.as_str());
    assert_eq!(v["registry"], "ghcr.io");
    assert_eq!(v["repository"], "org/app");
    assert_eq!(v["tag"], "v1");
    assert_eq!(v["digest"], format!("sha256:{FF64}").as_str());
    assert_eq!(v["normalized"], pinned.as_str());
    assert_eq!(v["familiar"], pinned.as_str());
    // Keys come in the documented order.
    let mut at = 0;
    for k in [
        "input",
        "registry",
        "repository",
        "tag",
        "digest",
        "normalized",
        "familiar",
    ] {
        at += lines[2][at..].find(&format!("\"{k}\":")).expect(k);
    }
    let v: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(v["registry"], "localhost:5000");
    assert_eq!(v["normalized"], "localhost:5000/a:latest");
}

#[test]
fn invalid_inputs_go_to_stderr_and_all_inputs_are_processed() {
    let out = run(&["Nginx", "alpine:3", "app:", "docker.io/library/busybox"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = lines(&out.stdout);
    assert_eq!(stdout.len(), 2);
    assert!(stdout[0].contains(r#""input":"alpine:3""#));
    assert!(stdout[1].contains(r#""familiar":"busybox""#));
    let stderr = lines(&out.stderr);
    assert_eq!(stderr.len(), 2, "{stderr:?}");
    assert!(stderr[0].starts_with("error: Nginx: "), "{stderr:?}");
    assert!(stderr[0].contains("lowercase"), "{stderr:?}");
    assert_eq!(
        stderr[1],
        "error: app:: invalid tag: unexpected end at byte 4"
    );
}

#[test]
fn no_arguments_is_a_usage_error() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = lines(&out.stderr);
    assert_eq!(stderr.len(), 1);
    assert!(stderr[0].starts_with("error: "), "{stderr:?}");
}

#[test]
fn an_invalid_input_does_not_stop_the_others() {
    // A quote cannot be in a valid reference: one error line, and the next input still runs.
    let out = run(&["a\"b", "ok"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out.stderr).len(), 1);
    let v: serde_json::Value = serde_json::from_str(&lines(&out.stdout)[0]).unwrap();
    assert_eq!(v["input"], "ok");
}
