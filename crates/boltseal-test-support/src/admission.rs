//! The admission webhook's test rig, shared by its tests and benchmark: a test CA and serving
//! certificate ([`TestCa`]), a real HTTPS client trusting only that CA, signed and unsigned
//! images in a real registry, policies ([`signature_policy`]), Kubernetes objects and reviews
//! ([`pod`], [`create_review`]), an in-process webhook with the real policy engine
//! ([`Server`]), and the `admission` example as a process ([`ExampleProcess`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use boltseal_admission::review::{
    AdmissionRequest, AdmissionResponse, GroupVersionKind, Operation, decode_response,
};
use boltseal_admission::{PolicyReviewer, ServerOptions, Webhook, tls};
use boltseal_keys::PrivateKey;
use boltseal_oci::RegistryOptions;
use boltseal_policy::{Engine, PolicySet, RegistryVerifier, patch};
use boltseal_reference::Digest;
use boltseal_sign::SignatureFormat;
use serde_json::{Value, json};

/// A CA made for one test and a serving certificate for `localhost` / `127.0.0.1` it signed,
/// written as PEM files.
pub struct TestCa {
    /// The directory holding the PEM files (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The serving certificate's PEM file (`tls.crt`).
    pub cert: PathBuf,
    /// The serving key's PEM file (`tls.key`).
    pub key: PathBuf,
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    /// A new CA and serving certificate, written to a new temporary directory.
    ///
    /// # Panics
    /// When generating or writing them fails.
    #[must_use]
    pub fn new() -> TestCa {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "boltseal test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params.signed_by(&key, &issuer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, leaf.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        TestCa {
            dir,
            ca_pem: ca.pem(),
            cert,
            key: key_path,
        }
    }

    /// A reqwest client (rustls) that trusts only this CA, keeping connections alive.
    pub fn client(&self) -> reqwest::Client {
        client_trusting(self.ca_pem.as_bytes())
    }
}

/// A reqwest client (rustls) that trusts only the CA `ca_pem`, keeping connections alive.
///
/// # Panics
/// When `ca_pem` is no PEM certificate.
#[must_use]
pub fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem).unwrap()])
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An in-process webhook with the real engine (registry verifier) serving HTTPS on loopback;
/// shut down gracefully with [`Server::stop`].
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves [`reviewer`] over `policies` (YAML) with the default options.
    pub async fn start(ca: &TestCa, policies: &str) -> Server {
        Self::start_with(ca, policies, ServerOptions::default()).await
    }

    /// Serves [`reviewer`] over `policies` (YAML) with `options`.
    pub async fn start_with(ca: &TestCa, policies: &str, options: ServerOptions) -> Server {
        Self::start_reviewer(ca, reviewer(policies), options).await
    }

    /// Serves `reviewer` (e.g. [`reviewer`] with namespace labels).
    pub async fn start_reviewer(
        ca: &TestCa,
        reviewer: PolicyReviewer,
        options: ServerOptions,
    ) -> Server {
        let webhook = Webhook::new(reviewer).with_options(options);
        let config = tls::server_config(&ca.cert, &ca.key).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(webhook.serve(listener, Arc::new(config), async move {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// `https://localhost:PORT{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// Stops accepting, lets open requests finish, and returns the serve result.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A reviewer with the real engine (registry verifier) over these policies.
pub fn reviewer(policies: &str) -> PolicyReviewer {
    let set = PolicySet::from_yaml_str("policies.yaml", policies).unwrap();
    let verifier = RegistryVerifier::new(RegistryOptions::new(), Duration::from_secs(300));
    PolicyReviewer::new(Arc::new(Engine::new(set, Arc::new(verifier))))
}

/// `policy` (from [`signature_policy`]) matching only namespaces chosen by this
/// `namespaceSelector` (YAML flow mapping, e.g. `{matchLabels: {env: production}}`).
pub fn in_namespaces(policy: &str, selector: &str) -> String {
    let kinds = "          kinds: [Pod]\n";
    assert!(policy.contains(kinds));
    policy.replacen(
        kinds,
        &format!("{kinds}          namespaceSelector: {selector}\n"),
        1,
    )
}

/// `pod(..)` in namespace `namespace`.
pub fn pod_in(namespace: &str, name: &str, images: &[&str]) -> Value {
    let mut p = pod(name, images, &[]);
    p["metadata"]["namespace"] = json!(namespace);
    p
}

/// Pushes a one-file image as `<registry>/<repo>:v1` and returns its reference text and digest.
pub async fn push_image(registry: &str, repo: &str, content: &str) -> (String, Digest) {
    let (_, text, digest) = crate::images::push_image(registry, repo, content).await;
    (text, digest)
}

/// Signs `<text>` (a `:v1` tag) with `key` in the given layout.
pub async fn sign(text: &str, key: &PrivateKey, format: SignatureFormat) {
    crate::images::sign(text, key, format).await;
}

/// A ClusterPolicy with one verifyImages rule over `references`, trusting `key`.
pub fn signature_policy(
    name: &str,
    references: &[&str],
    key: &PrivateKey,
    action: &str,
    failure_policy: &str,
) -> String {
    let pem = key.public_key().to_pem();
    let indented: String = pem
        .lines()
        .map(|l| format!("                {l}\n"))
        .collect();
    let refs = references
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mutate = if action == "Audit" {
        "      mutateDigest: false\n      verifyDigest: false\n      required: false\n"
    } else {
        ""
    };
    format!(
        "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: {name}
spec:
  webhookConfiguration:
    failurePolicy: {failure_policy}
  rules:
  - name: check-signature
    match:
      any:
      - resources:
          kinds: [Pod]
    verifyImages:
    - imageReferences: [{refs}]
      failureAction: {action}
{mutate}      attestors:
      - entries:
        - keys:
            publicKeys: |-
{indented}            rekor:
              ignoreTlog: true
            ctlog:
              ignoreSCT: true
"
    )
}

/// A Pod in `default` with these containers (`c0`, `c1`, …) and init containers.
pub fn pod(name: &str, images: &[&str], init: &[&str]) -> Value {
    let containers = |prefix: &str, list: &[&str]| -> Vec<Value> {
        list.iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("{prefix}{i}"), "image": image}))
            .collect()
    };
    let mut spec = json!({"containers": containers("c", images)});
    if !init.is_empty() {
        spec["initContainers"] = json!(containers("init", init));
    }
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default"}, "spec": spec})
}

/// A Deployment in `default` whose Pod template is `pod(..)`'s spec.
pub fn deployment(name: &str, images: &[&str], init: &[&str]) -> Value {
    let template = pod(name, images, init);
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": "default"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}}, "spec": template["spec"]}}})
}

/// The AdmissionReview the API server would send for creating `object`.
pub fn create_review(uid: &str, object: Value) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap().to_owned();
    let (group, version) = match object["apiVersion"].as_str().unwrap().split_once('/') {
        Some((g, v)) => (g.to_owned(), v.to_owned()),
        None => (
            String::new(),
            object["apiVersion"].as_str().unwrap().to_owned(),
        ),
    };
    AdmissionRequest::new(
        uid,
        Operation::Create,
        GroupVersionKind::new(&group, &version, &kind),
        object,
    )
    .to_review_json()
}

/// Applies a JSON Patch (the operations a webhook returns) with boltseal's RFC 6902 module, as
/// the API server would, for checking what the stored object would be.
pub fn apply_patch(mut doc: Value, ops: &[Value]) -> Value {
    let ops = patch::parse(&Value::Array(ops.to_vec())).unwrap();
    patch::apply(&mut doc, &ops).unwrap();
    doc
}

/// The `admission` example running as a process on loopback; killed when dropped. Its stderr
/// (the JSON review log) is read by a thread, so that it never blocks on a full pipe.
pub struct ExampleProcess {
    /// The process.
    pub child: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it wrote before it listened (warnings), its `listening on` line last.
    pub startup: Vec<String>,
    /// Its later stderr lines.
    pub lines: std::sync::mpsc::Receiver<String>,
    _dir: Option<tempfile::TempDir>,
}

impl ExampleProcess {
    /// Starts it with `policies` (YAML) and this CA's serving certificate.
    pub fn start(example: &std::path::Path, ca: &TestCa, policies: &str) -> ExampleProcess {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policies.yaml");
        std::fs::write(&policy, policies).unwrap();
        let args = ["--policy".as_ref(), policy.as_os_str()];
        let mut process = ExampleProcess::spawn(example, &args, &ca.cert, &ca.key);
        process._dir = Some(dir);
        process
    }

    /// Starts it with `args`, this serving certificate and `--addr 127.0.0.1:0`, and waits for
    /// its `listening on` line.
    pub fn spawn(
        example: &std::path::Path,
        args: &[&std::ffi::OsStr],
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> ExampleProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(example)
            .args(args)
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .args(["--addr", "127.0.0.1:0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut startup = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "no listening line after {startup:?}"
            );
            let listening = line.starts_with("listening on ");
            startup.push(line.trim_end().to_owned());
            if listening {
                break;
            }
        }
        let addr = startup
            .last()
            .unwrap()
            .trim_start_matches("listening on https://")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading when nobody listens, so that the pipe never fills.
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        ExampleProcess {
            child,
            addr,
            startup,
            lines,
            _dir: None,
        }
    }

    /// `https://localhost:PORT{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// Sends SIGTERM and waits: the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let killed = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        self.child.wait().unwrap().code()
    }
}

impl Drop for ExampleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry that accepts connections and never answers: every connection is held open for
/// the rest of the test.
pub struct HangingRegistry {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl HangingRegistry {
    /// Listens on a free loopback port.
    ///
    /// # Panics
    /// When it cannot bind.
    #[must_use]
    pub fn start() -> HangingRegistry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        HangingRegistry { addr }
    }
}

/// `review` (an AdmissionReview's JSON) with `"padding": <json>` added as the first member of
/// the object's `spec`: a review of any size or shape without building it as `Value`s.
pub fn padded_review(review: &[u8], json: &str) -> Vec<u8> {
    let text = std::str::from_utf8(review).unwrap();
    let at = text.find("\"spec\":{").unwrap() + "\"spec\":{".len();
    let mut out = String::with_capacity(text.len() + json.len() + 16);
    out.push_str(&text[..at]);
    out.push_str("\"padding\":");
    out.push_str(json);
    out.push(',');
    out.push_str(&text[at..]);
    out.into_bytes()
}

/// Posts `body` to `url` as JSON.
pub async fn send(client: &reqwest::Client, url: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Posts an AdmissionReview body to `url` and decodes the answer, which must be a 200.
pub async fn review(client: &reqwest::Client, url: &str, body: Vec<u8>) -> AdmissionResponse {
    let resp = send(client, url, body).await;
    assert_eq!(resp.status(), 200, "{url}");
    decode_response(&resp.bytes().await.unwrap()).unwrap()
}

/// Posts an AdmissionReview body to `url` and returns the review's `response` as JSON.
pub async fn post_review(client: &reqwest::Client, url: &str, body: Vec<u8>) -> Value {
    let answer: Value = send(client, url, body).await.json().await.unwrap();
    answer["response"].clone()
}
