//! A private Sigstore instance on loopback, for tests: `../shared/tools/sigstore-services.js`
//! runs the Sigstore project's own service mocks (npm `@sigstore/mock`, what sigstore-js tests
//! against) — Fulcio, Rekor v1 and v2, a TSA — behind one HTTP server, and writes the
//! instance's `trusted_root.json` and `signing_config.json`.
//!
//! [`SigstoreServices::start`] returns `None`, after printing `SKIPPED: …` on stderr, when
//! node, the script or the npm package is missing. The package is looked for in
//! `$BOLTSEAL_SIGSTORE_MOCK/node_modules` (scripts/test.sh installs it there), else in
//! `target/sigstore-mock/node_modules`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::workspace_root;

/// How long the services may take to print their `ready` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running instance; stopped (killed) on drop.
pub struct SigstoreServices {
    /// `http://127.0.0.1:PORT`: every service's base URL.
    pub url: String,
    /// The instance's `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// The instance's `signing_config.json` (Rekor v1).
    pub signing_config: PathBuf,
    dir: tempfile::TempDir,
    child: Child,
}

fn skip(reason: &str) -> Option<SigstoreServices> {
    eprintln!("SKIPPED: no private Sigstore services: {reason}");
    None
}

/// The `node_modules` directory holding `@sigstore/mock`, if installed.
fn mock_modules() -> Option<PathBuf> {
    let prefix = std::env::var_os("BOLTSEAL_SIGSTORE_MOCK").map_or_else(
        || workspace_root().join("target/sigstore-mock"),
        PathBuf::from,
    );
    let modules = prefix.join("node_modules");
    modules
        .join("@sigstore/mock/package.json")
        .is_file()
        .then_some(modules)
}

impl SigstoreServices {
    /// Starts the services on a free port and waits until they listen.
    ///
    /// # Panics
    /// When the script starts but fails, or is not ready within 30 s.
    #[must_use]
    pub fn start() -> Option<SigstoreServices> {
        let script = workspace_root().join("../shared/tools/sigstore-services.js");
        if !script.is_file() {
            return skip(&format!("{} is missing", script.display()));
        }
        let Some(modules) = mock_modules() else {
            return skip(
                "@sigstore/mock is not installed (npm install --prefix target/sigstore-mock @sigstore/mock@0.13.0)",
            );
        };
        if Command::new("node").arg("--version").output().is_err() {
            return skip("node is not installed");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--port", "0", "--out"])
            .arg(dir.path())
            .env("NODE_PATH", &modules)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("ready ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
                break url;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("sigstore-services.js exited before it was ready: {status}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("sigstore-services.js was not ready within {START_TIMEOUT:?}");
            }
        };
        Some(SigstoreServices {
            url,
            trusted_root: dir.path().join("trusted_root.json"),
            signing_config: dir.path().join("signing_config.json"),
            dir,
            child,
        })
    }

    /// A copy of the signing configuration whose transparency log speaks Rekor API
    /// `major_api_version` (the same server answers both), written next to the original.
    #[must_use]
    pub fn signing_config_for_rekor(&self, major_api_version: u32) -> PathBuf {
        let text = std::fs::read_to_string(&self.signing_config).unwrap();
        let path = self
            .dir
            .path()
            .join(format!("signing_config.rekor-v{major_api_version}.json"));
        std::fs::write(&path, with_rekor_version(text, major_api_version)).unwrap();
        path
    }

    /// A sigstore-python `--trust-config` file (a ClientTrustConfig: this instance's trusted
    /// root and signing configuration).
    #[must_use]
    pub fn client_trust_config(&self) -> PathBuf {
        let read = |p: &Path| String::from_utf8(std::fs::read(p).unwrap()).unwrap();
        let text = format!(
            "{{\"mediaType\": \"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json\", \
             \"trustedRoot\": {}, \"signingConfig\": {}}}",
            read(&self.trusted_root),
            read(&self.signing_config)
        );
        let path = self.dir.path().join("trust_config.json");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for SigstoreServices {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` (sigstore-services.js's pretty-printed signing configuration, `"rekorTlogUrls": [ { …,
/// "majorApiVersion": 1, … } ]`) with its transparency logs at API `version`; done on the text,
/// as this part of the crate depends on no JSON library.
fn with_rekor_version(mut text: String, version: u32) -> String {
    let start = text.find("\"rekorTlogUrls\"").expect("rekorTlogUrls");
    let end = start + text[start..].find(']').expect("end of rekorTlogUrls");
    let section = text[start..end].replace(
        "\"majorApiVersion\": 1",
        &format!("\"majorApiVersion\": {version}"),
    );
    assert!(section.contains(&format!("\"majorApiVersion\": {version}")));
    text.replace_range(start..end, &section);
    text
}
