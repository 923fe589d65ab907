//! boltseal-tuf against TUF repositories written by an independent implementation: python-tuf
//! (PyPI `tuf`, installed into the peers venv by scripts/test.sh), driven by
//! `tests/data/tuf_repo.py` and served by `python3 -m http.server` on a loopback port.
//! Without python-tuf each test says SKIPPED and returns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use boltseal_core::{Classify, ErrorKind};
use boltseal_tuf::{
    Freshness, Limits, ServiceKind, Trust, TrustOptions, TrustSource, TufError, load,
};

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

    async fn load(&self, cache: &Path) -> Result<Trust, TufError> {
        load(&self.source(), &self.options(cache)).await
    }

    async fn load_fresh(&self, cache: &Path) -> Trust {
        let trust = self.load(cache).await.unwrap();
        assert_eq!(trust.freshness, Freshness::Fresh);
        assert_test_trust(&trust);
        trust
    }

    /// A new repository, loaded once into a new cache directory.
    async fn loaded(test: &str) -> Option<(Self, tempfile::TempDir)> {
        let repo = Repository::new(test)?;
        let cache = tempfile::tempdir().unwrap();
        repo.load_fresh(cache.path()).await;
        Some((repo, cache))
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        self.stop();
    }
}

fn assert_refused(result: Result<Trust, TufError>, needle: &str) {
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

fn assert_test_trust(trust: &Trust) {
    assert_eq!(trust.trusted_root.tlogs().len(), 1);
    assert_eq!(
        trust.trusted_root.tlogs()[0].base_url(),
        "http://rekor.test.invalid"
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
    let Some((repo, _cache)) = Repository::loaded("fresh_load").await else {
        return;
    };
    // Without a cache directory too (tough's temporary datastore).
    let trust = load(&repo.source(), &TrustOptions::default())
        .await
        .unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
    assert_eq!(trust.freshness.warning(), None);
    assert_test_trust(&trust);
}

#[tokio::test]
async fn root_rotation_is_followed() {
    let Some((repo, cache)) = Repository::loaded("root_rotation_is_followed").await else {
        return;
    };
    // Root v2 (signed by the old and the new root key) replaces the root and timestamp keys;
    // the new timestamp is signed by the new timestamp key only, so loading it proves v2 was
    // followed — by a client that saw v1 before and by one starting from v1 now.
    repo.step(&["rotate-root"]);
    repo.load_fresh(cache.path()).await;
    repo.load_fresh(tempfile::tempdir().unwrap().path()).await;
    // The cache now starts from root v2, and still loads.
    let cached = std::fs::read_dir(cache.path()).unwrap().next().unwrap();
    let root = std::fs::read(cached.unwrap().path().join("metadata/root.json")).unwrap();
    let root: serde_json::Value = serde_json::from_slice(&root).unwrap();
    assert_eq!(root["signed"]["version"], 2);
    repo.load_fresh(cache.path()).await;
}

#[tokio::test]
async fn expired_timestamp_is_refused_and_offline_fallback_says_so() {
    let test = "expired_timestamp_is_refused_and_offline_fallback_says_so";
    let Some((repo, cache)) = Repository::loaded(test).await else {
        return;
    };
    repo.step(&["expire-timestamp"]);
    // A repository answering with expired metadata is refused, cache or not.
    assert_refused(repo.load(cache.path()).await, "expired");
    let empty = tempfile::tempdir().unwrap();
    assert_refused(repo.load(empty.path()).await, "expired");
    // Offline, the cached trust of the earlier refresh is used, and says so.
    let offline = |cache: &Path| TrustOptions {
        offline: true,
        ..repo.options(cache)
    };
    let trust = load(&repo.source(), &offline(cache.path())).await.unwrap();
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
    let err = load(&repo.source(), &offline(empty.path()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn tampered_target_is_refused() {
    let Some((repo, cache)) = Repository::loaded("tampered_target_is_refused").await else {
        return;
    };
    // Same length, one bit flipped: the sha256 in the targets metadata no longer matches.
    repo.step(&["tamper", "trusted_root.json"]);
    // Refused, with or without an earlier cache (a hash mismatch is not an outage).
    assert_refused(repo.load(cache.path()).await, "hash mismatch");
    let empty = tempfile::tempdir().unwrap();
    assert_refused(repo.load(empty.path()).await, "hash mismatch");
}

#[tokio::test]
async fn rollback_is_refused() {
    let Some((repo, cache)) = Repository::loaded("rollback_is_refused").await else {
        return;
    };
    repo.step(&["publish"]); // timestamp v2, snapshot v2
    repo.load_fresh(cache.path()).await;
    // A new, validly signed timestamp (v3) naming snapshot v1, older than the trusted v2.
    repo.step(&["rollback-snapshot"]);
    assert_refused(repo.load(cache.path()).await, "snapshot version 1");
    // The validly signed timestamp v1 served again.
    repo.step(&["rollback-timestamp"]);
    assert_refused(repo.load(cache.path()).await, "version 1 of timestamp");
}

#[tokio::test]
async fn unreachable_repository_falls_back_to_the_cache_and_says_so() {
    let test = "unreachable_repository_falls_back_to_the_cache_and_says_so";
    let Some((mut repo, cache)) = Repository::loaded(test).await else {
        return;
    };
    repo.stop();
    let trust = repo.load(cache.path()).await.unwrap();
    let reason = trust.freshness.warning().expect("a fallback says so");
    assert!(
        matches!(trust.freshness, Freshness::Cached { .. }),
        "{reason}"
    );
    assert!(
        reason.contains("unavailable") && reason.contains(&repo.url),
        "{reason}"
    );
    assert_test_trust(&trust);
}

#[tokio::test]
async fn file_overrides_win() {
    let root_file = PathBuf::from(format!("{DATA}/trusted_root.json"));
    let config_file = PathBuf::from(format!("{DATA}/signing_config.json"));
    // Both files: TUF is not consulted (this repository does not exist).
    let nowhere = TrustSource::repository("http://127.0.0.1:9", b"{}".to_vec());
    let both = TrustOptions {
        trusted_root_file: Some(root_file.clone()),
        signing_config_file: Some(config_file),
        ..TrustOptions::default()
    };
    let trust = load(&nowhere, &both).await.unwrap();
    assert_eq!(trust.freshness, Freshness::Files);
    assert_test_trust(&trust);
    // A bad override is an input error naming the file, before any network.
    let bad = TrustOptions {
        signing_config_file: Some(root_file),
        ..both
    };
    let err = load(&nowhere, &bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("trusted_root.json"), "{err}");

    let Some(repo) = Repository::new("file_overrides_win") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let empty_root = dir.path().join("empty_root.json");
    let media_type = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    std::fs::write(
        &empty_root,
        serde_json::json!({ "mediaType": media_type }).to_string(),
    )
    .unwrap();
    let other_config = dir.path().join("other.json");
    let other = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "rekorTlogUrls": [{"url": "https://override.example", "majorApiVersion": 1,
                           "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "o"}]
    });
    std::fs::write(&other_config, other.to_string()).unwrap();
    // Only the trusted root overridden: the signing config still comes from TUF.
    let root_only = TrustOptions {
        trusted_root_file: Some(empty_root),
        ..repo.options(dir.path())
    };
    let trust = load(&repo.source(), &root_only).await.unwrap();
    assert_eq!(trust.freshness, Freshness::Fresh);
    assert!(trust.trusted_root.tlogs().is_empty());
    assert_eq!(trust.signing_config.transparency_logs.len(), 2);
    // Only the signing config overridden: the trusted root still comes from TUF.
    let config_only = TrustOptions {
        signing_config_file: Some(other_config),
        ..repo.options(dir.path())
    };
    let trust = load(&repo.source(), &config_only).await.unwrap();
    assert_eq!(trust.trusted_root.tlogs().len(), 1);
    let rekor = &trust.signing_config.transparency_logs;
    assert_eq!(rekor[0].url, "https://override.example");
}

#[tokio::test]
async fn oversized_metadata_and_targets_are_refused() {
    let Some(repo) = Repository::new("oversized_metadata_and_targets_are_refused") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let limited = |limits: Limits| TrustOptions {
        limits,
        ..repo.options(cache.path())
    };
    let cases = [
        (
            Limits {
                max_timestamp_bytes: 100,
                ..Limits::default()
            },
            "max_timestamp_size",
        ),
        (
            Limits {
                max_target_bytes: 200,
                ..Limits::default()
            },
            "target trusted_root.json is",
        ),
    ];
    for (limits, needle) in cases {
        let err = load(&repo.source(), &limited(limits)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
        assert!(
            err.to_string().contains(needle),
            "{err} should name {needle}"
        );
    }
}

#[test]
fn public_good_offline_without_cache_uses_the_embedded_trust_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let options = TrustOptions {
        cache_dir: Some(cache.path().to_owned()),
        offline: true,
        ..TrustOptions::default()
    };
    let trust = boltseal_tuf::load_blocking(&TrustSource::PublicGood, &options).unwrap();
    let Freshness::Embedded { reason } = &trust.freshness else {
        panic!("expected embedded trust, got {:?}", trust.freshness)
    };
    assert!(
        reason.contains("offline") && reason.contains("compiled into boltseal"),
        "{reason}"
    );
    assert!(!trust.trusted_root.tlogs().is_empty());
    let now = boltseal_core::Timestamp::now();
    let fulcio = trust
        .signing_config
        .select(ServiceKind::CertificateAuthority, &[1], now);
    assert_eq!(fulcio.unwrap()[0].url, "https://fulcio.sigstore.dev");
}

#[test]
fn embedded_public_good_root_is_a_root_signed_by_its_threshold() {
    let root: serde_json::Value = serde_json::from_slice(boltseal_tuf::PUBLIC_GOOD_ROOT).unwrap();
    assert_eq!(root["signed"]["_type"], "root");
    assert!(root["signed"]["version"].as_u64().unwrap() >= 12);
    // tough checks the signatures on every public-good load; here, that the file carries
    // signatures from at least a threshold of root keys at all.
    let threshold = root["signed"]["roles"]["root"]["threshold"]
        .as_u64()
        .unwrap();
    let signatures = root["signatures"].as_array().unwrap();
    let signed = signatures.iter().filter(|s| s["sig"] != "").count();
    assert!(signed as u64 >= threshold);
}
