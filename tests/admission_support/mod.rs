//! What the admission webhook tests and benchmark share: a test CA and serving certificate, a
//! real HTTPS client trusting only that CA, signed and unsigned images in a real registry,
//! policies, and an in-process webhook server with the real policy engine.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use boltseal::admission::review::{AdmissionRequest, GroupVersionKind, Operation};
use boltseal::admission::{PolicyReviewer, ServerOptions, Webhook, tls};
use boltseal::keys::PrivateKey;
use boltseal::oci::{ImageBuilder, ManifestRef, RegistryOptions, RegistryStore};
use boltseal::policy::{Engine, PolicySet, RegistryImageVerifier};
use boltseal::reference::{Digest, Reference};
use boltseal::sign::{SignOptions, SignatureFormat, sign_image};
use serde_json::{Value, json};

/// A CA made for one test and a serving certificate for `localhost` / `127.0.0.1` it signed,
/// written as PEM files.
pub struct TestCa {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
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
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(ca: &TestCa, policies: &str) -> Server {
        Self::start_with(ca, policies, ServerOptions::default()).await
    }

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
    let verifier = RegistryImageVerifier::new(RegistryOptions::new(), Duration::from_secs(300));
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
    let text = format!("{registry}/{repo}:v1");
    let reference: Reference = text.parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let desc = ImageBuilder::new()
        .file("etc/motd", content.as_bytes(), 0o644)
        .build()
        .unwrap()
        .write_to(&store, Some("v1"))
        .await
        .unwrap();
    (text, desc.digest)
}

/// Signs `<text>` (a `:v1` tag) with `key` in the given layout.
pub async fn sign(text: &str, key: &PrivateKey, format: SignatureFormat) {
    let reference: Reference = text.parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    sign_image(
        &store,
        &ManifestRef::Tag("v1".to_owned()),
        text,
        key,
        &SignOptions::new().format(format),
    )
    .await
    .unwrap();
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

/// Applies a JSON Patch (the `add` / `replace` / `remove` operations a webhook returns) the
/// way the API server does, for checking what the stored object would be.
pub fn apply_patch(mut doc: Value, ops: &[Value]) -> Value {
    for op in ops {
        let path = op["path"].as_str().unwrap();
        let (parent, last) = path.rsplit_once('/').unwrap();
        let last = last.replace("~1", "/").replace("~0", "~");
        let target = if parent.is_empty() {
            &mut doc
        } else {
            doc.pointer_mut(parent)
                .unwrap_or_else(|| panic!("no {parent}"))
        };
        match (op["op"].as_str().unwrap(), target) {
            ("add" | "replace", Value::Object(m)) => {
                m.insert(last, op["value"].clone());
            }
            ("add", Value::Array(a)) if last == "-" => a.push(op["value"].clone()),
            ("add", Value::Array(a)) => a.insert(last.parse().unwrap(), op["value"].clone()),
            ("replace", Value::Array(a)) => a[last.parse::<usize>().unwrap()] = op["value"].clone(),
            ("remove", Value::Object(m)) => {
                m.remove(&last);
            }
            (other, t) => panic!("cannot apply {other} at {path} on {t}"),
        }
    }
    doc
}

/// The `admission` example running as a process on loopback, with `policies` (YAML) and this
/// CA's serving certificate; killed when dropped. Its stderr is drained by a thread (the JSON
/// review log), so that it never blocks on a full pipe.
pub struct ExampleProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ExampleProcess {
    pub fn start(example: &std::path::Path, ca: &TestCa, policies: &str) -> ExampleProcess {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policies.yaml");
        std::fs::write(&policy, policies).unwrap();
        let mut child = std::process::Command::new(example)
            .arg("--policy")
            .arg(&policy)
            .arg("--tls-cert")
            .arg(&ca.cert)
            .arg("--tls-key")
            .arg(&ca.key)
            .args(["--addr", "127.0.0.1:0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "no listening line"
            );
            if line.starts_with("listening on ") {
                break;
            }
        }
        let addr = line
            .trim_start_matches("listening on https://")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        ExampleProcess {
            child,
            addr,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for ExampleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// Posts an AdmissionReview body to `url` and returns the review's `response`.
pub async fn post_review(client: &reqwest::Client, url: &str, body: Vec<u8>) -> Value {
    let answer: Value = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["response"].clone()
}
