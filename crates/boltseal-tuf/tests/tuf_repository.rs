//! boltseal-tuf against TUF repositories written by an independent implementation: python-tuf
//! (PyPI `tuf`, installed into the peers venv by scripts/test.sh), driven by
//! `tests/data/tuf_repo.py` and served by `python3 -m http.server` on a loopback port.
//! Without python-tuf each test says SKIPPED and returns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use boltseal_core::{Classify, ErrorKind};
use boltseal_tuf::{Freshness, ServiceKind, TrustOptions, TrustSource, TufError, load};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// The peers venv's python when python-tuf (and cryptography, for its signer) imports there.
fn python_tuf() -> Option<PathBuf> {
    let mut venvs: Vec<PathBuf> = std::env::var_os("BOLTSEAL_PEERS_VENV")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    venvs.push("/opt/boltseal-peers".into());
    venvs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers-venv"));
    venvs
        .into_iter()
        .map(|venv| venv.join("bin/python"))
        .find(|python| {
            Command::new(python)
                .args(["-c", "import tuf.api.metadata, cryptography"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

/// A python-tuf repository in a temporary directory, served on loopback while this lives.
struct Repository {
    python: PathBuf,
    dir: tempfile::TempDir,
    server: Option<Child>,
    url: String,
}

impl Repository {
    fn new(test: &str) -> Option<Self> {
        let Some(python) = python_tuf() else {
            eprintln!(
                "SKIPPED {test}: python-tuf is not importable (scripts/test.sh installs it into the peers venv)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repository {
            python,
            dir,
            server: None,
            url: String::new(),
        };
        let (root, config) = (
            format!("{DATA}/trusted_root.json"),
            format!("{DATA}/signing_config.json"),
        );
        repo.step(&["init", &root, &config]);
        repo.serve();
        Some(repo)
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Runs one `tuf_repo.py` command on this repository.
    fn step(&self, args: &[&str]) {
        let state = self.state();
        let status = Command::new(&self.python)
            .arg(format!("{DATA}/tuf_repo.py"))
            .arg(args[0])
            .arg(&state)
            .args(&args[1..])
            .status()
            .unwrap();
        assert!(status.success(), "tuf_repo.py {args:?} failed");
    }

    fn serve(&mut self) {
        let mut child = Command::new(&self.python)
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(self.state().join("repo"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41235 (http://127.0.0.1:41235/) ..."
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap();
        self.url = format!("http://127.0.0.1:{port}");
        self.server = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn source(&self) -> TrustSource {
        let root = std::fs::read(self.state().join("repo/1.root.json")).unwrap();
        TrustSource::repository(&self.url, root)
    }

    fn options(&self, cache: &Path) -> TrustOptions {
        TrustOptions {
            cache_dir: Some(cache.to_owned()),
            ..TrustOptions::default()
        }
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        self.stop();
    }
}

fn assert_refused(result: Result<boltseal_tuf::Trust, TufError>, needle: &str) {
    let err = result.expect_err("TUF should refuse");
    assert_eq!(err.kind(), ErrorKind::Refused, "{err}");
    let text = err.to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(
        text.to_lowercase().contains(needle),
        "{text} should say {needle}"
    );
    eprintln!("refused as expected: {text}");
}

fn assert_test_trust(trust: &boltseal_tuf::Trust) {
    assert_eq!(trust.trusted_root.tlogs().len(), 1);
    assert_eq!(
        trust.trusted_root.tlogs()[0].base_url(),
        "https://rekor.sigstore.dev"
    );
    let now = boltseal_core::Timestamp::now();
    let rekor = trust
        .signing_config
        .select(ServiceKind::TransparencyLog, &[1, 2], now)
        .unwrap();
    assert_eq!(rekor[0].url, "http://rekor-v2.test.invalid");
}

#[tokio::test]
async fn fresh_load() {
    let Some(repo) = Repository::new("fresh_load") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let trust = load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
    assert_eq!(trust.freshness.warning(), None);
    assert_test_trust(&trust);
    // Without a cache directory too (tough's temporary datastore).
    let trust = load(&repo.source(), &TrustOptions::default())
        .await
        .unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
}

#[tokio::test]
async fn root_rotation_is_followed() {
    let Some(repo) = Repository::new("root_rotation_is_followed") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    // Root v2 (signed by the old and the new root key) replaces the root and timestamp keys;
    // the new timestamp is signed by the new timestamp key only, so loading it proves v2 was
    // followed — by a client that saw v1 before and by one starting from v1 now.
    repo.step(&["rotate-root"]);
    for cache_dir in [cache.path(), tempfile::tempdir().unwrap().path()] {
        let trust = load(&repo.source(), &repo.options(cache_dir))
            .await
            .unwrap();
        assert_eq!(trust.freshness, Freshness::Fresh);
        assert_test_trust(&trust);
    }
    // The cache now starts from root v2.
    let cached = std::fs::read_dir(cache.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cached.join("metadata/root.json")).unwrap()).unwrap();
    assert_eq!(root["signed"]["version"], 2);
    let trust = load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
}

#[tokio::test]
async fn expired_timestamp_is_refused_and_offline_fallback_says_so() {
    let Some(repo) = Repository::new("expired_timestamp_is_refused_and_offline_fallback_says_so")
    else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    repo.step(&["expire-timestamp"]);
    // A repository answering with expired metadata is refused, cache or not.
    assert_refused(
        load(&repo.source(), &repo.options(cache.path())).await,
        "expired",
    );
    let empty = tempfile::tempdir().unwrap();
    assert_refused(
        load(&repo.source(), &repo.options(empty.path())).await,
        "expired",
    );
    // Offline, the cached trust of the earlier refresh is used, and says so.
    let offline = TrustOptions {
        offline: true,
        ..repo.options(cache.path())
    };
    let trust = load(&repo.source(), &offline).await.unwrap();
    let Freshness::Cached { reason } = &trust.freshness else {
        panic!("expected cached trust, got {:?}", trust.freshness)
    };
    assert!(
        reason.contains("offline") && reason.contains("cached at"),
        "{reason}"
    );
    assert_eq!(trust.freshness.warning(), Some(reason.as_str()));
    assert_test_trust(&trust);
    // Offline with nothing cached, a private repository has nothing to fall back on.
    let err = load(
        &repo.source(),
        &TrustOptions {
            offline: true,
            ..repo.options(empty.path())
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn tampered_target_is_refused() {
    let Some(repo) = Repository::new("tampered_target_is_refused") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    // Same length, one bit flipped: the sha256 in the targets metadata no longer matches.
    repo.step(&["tamper", "trusted_root.json"]);
    // Refused, with or without an earlier cache (a hash mismatch is not an outage).
    assert_refused(
        load(&repo.source(), &repo.options(cache.path())).await,
        "hash",
    );
    let empty = tempfile::tempdir().unwrap();
    assert_refused(
        load(&repo.source(), &repo.options(empty.path())).await,
        "hash",
    );
}

#[tokio::test]
async fn rollback_is_refused() {
    let Some(repo) = Repository::new("rollback_is_refused") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    repo.step(&["publish"]); // timestamp v2, snapshot v2
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    // A new, validly signed timestamp (v3) naming snapshot v1, older than the trusted v2.
    repo.step(&["rollback-snapshot"]);
    assert_refused(
        load(&repo.source(), &repo.options(cache.path())).await,
        "snapshot",
    );
    // The validly signed timestamp v1 served again.
    repo.step(&["rollback-timestamp"]);
    assert_refused(
        load(&repo.source(), &repo.options(cache.path())).await,
        "timestamp",
    );
}

#[tokio::test]
async fn unreachable_repository_falls_back_to_the_cache_and_says_so() {
    let Some(mut repo) =
        Repository::new("unreachable_repository_falls_back_to_the_cache_and_says_so")
    else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    repo.stop();
    let trust = load(&repo.source(), &repo.options(cache.path()))
        .await
        .unwrap();
    let reason = trust.freshness.warning().expect("a fallback says so");
    assert!(
        matches!(trust.freshness, Freshness::Cached { .. }),
        "{:?}",
        trust.freshness
    );
    assert!(
        reason.contains("unavailable") && reason.contains(&repo.url),
        "{reason}"
    );
    assert_test_trust(&trust);
}

#[tokio::test]
async fn file_overrides_win() {
    let root_file = format!("{DATA}/trusted_root.json");
    let config_file = format!("{DATA}/signing_config.json");
    // Both files: TUF is not consulted (this repository does not exist).
    let nowhere = TrustSource::repository("http://127.0.0.1:9", b"{}".to_vec());
    let both = TrustOptions {
        trusted_root_file: Some(root_file.clone().into()),
        signing_config_file: Some(config_file.clone().into()),
        ..TrustOptions::default()
    };
    let trust = load(&nowhere, &both).await.unwrap();
    assert_eq!(trust.freshness, Freshness::Files);
    assert_test_trust(&trust);
    // A bad override is an input error naming the file, before any network.
    let bad = TrustOptions {
        signing_config_file: Some(root_file.clone().into()),
        ..both.clone()
    };
    let err = load(&nowhere, &bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("trusted_root.json"), "{err}");

    let Some(repo) = Repository::new("file_overrides_win") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let empty_root = dir.path().join("empty_root.json");
    std::fs::write(
        &empty_root,
        br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
    )
    .unwrap();
    let public_config = dir.path().join("public.json");
    let public = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "rekorTlogUrls": [{"url": "https://override.example", "majorApiVersion": 1,
                           "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "o"}]
    });
    std::fs::write(&public_config, public.to_string()).unwrap();
    // Only the trusted root overridden: the signing config still comes from TUF.
    let trust = load(
        &repo.source(),
        &TrustOptions {
            trusted_root_file: Some(empty_root.clone()),
            ..repo.options(dir.path())
        },
    )
    .await
    .unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
    assert!(trust.trusted_root.tlogs().is_empty());
    assert_eq!(trust.signing_config.transparency_logs.len(), 2);
    // Only the signing config overridden: the trusted root still comes from TUF.
    let trust = load(
        &repo.source(),
        &TrustOptions {
            signing_config_file: Some(public_config),
            ..repo.options(dir.path())
        },
    )
    .await
    .unwrap();
    assert_eq!(trust.trusted_root.tlogs().len(), 1);
    assert_eq!(
        trust.signing_config.transparency_logs[0].url,
        "https://override.example"
    );
}

#[tokio::test]
async fn public_good_offline_without_cache_uses_the_embedded_trust_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let options = TrustOptions {
        cache_dir: Some(cache.path().to_owned()),
        offline: true,
        ..TrustOptions::default()
    };
    let trust = load(&TrustSource::PublicGood, &options).await.unwrap();
    let Freshness::Embedded { reason } = &trust.freshness else {
        panic!("expected embedded trust, got {:?}", trust.freshness)
    };
    assert!(
        reason.contains("offline") && reason.contains("compiled into boltseal"),
        "{reason}"
    );
    assert!(!trust.trusted_root.tlogs().is_empty());
    let fulcio = trust
        .signing_config
        .select(
            ServiceKind::CertificateAuthority,
            &[1],
            boltseal_core::Timestamp::now(),
        )
        .unwrap();
    assert_eq!(fulcio[0].url, "https://fulcio.sigstore.dev");
}

#[test]
fn embedded_public_good_root_is_a_root_signed_by_its_threshold() {
    let root: serde_json::Value = serde_json::from_slice(boltseal_tuf::PUBLIC_GOOD_ROOT).unwrap();
    assert_eq!(root["signed"]["_type"], "root");
    assert!(root["signed"]["version"].as_u64().unwrap() >= 12);
    // The signatures themselves are checked by tough on every public-good load; here, that the
    // file is the one with signatures from a threshold of root keys at all.
    let threshold = root["signed"]["roles"]["root"]["threshold"]
        .as_u64()
        .unwrap();
    let signed = root["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["sig"] != "")
        .count();
    assert!(signed as u64 >= threshold);
}
