//! The `admission` example as it is deployed: a serving certificate made with the README's
//! openssl commands (run verbatim, minus the kubectl steps), the webhook started on loopback,
//! reached over HTTPS under the Service's DNS name by a client that trusts only that CA, a signed
//! Pod admitted and pinned, an unsigned one refused, SIGTERM a graceful exit 0; a
//! `--namespace-labels` file deciding `namespaceSelector`, reloaded when it changes and kept when
//! the new version is broken; usage and input errors as one `error:` line with exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::admission as admission_support;

use std::path::Path;
use std::process::{Command, Stdio};

use admission_support::{
    ExampleProcess, TestCa, create_review, in_namespaces, pod, pod_in, push_image, review, sign,
    signature_policy,
};
use boltseal::keys::PrivateKey;
use boltseal::sign::SignatureFormat;

const SERVICE_NAME: &str = "boltseal-admission.boltseal-system.svc";

/// The shell block of the README's "The webhook's certificates" section, without the lines that
/// talk to a cluster.
fn readme_certificate_commands() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## The webhook's certificates")
        .nth(1)
        .expect("README section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    // Join continuation lines, then drop the cluster steps.
    block
        .replace("\\\n", " ")
        .lines()
        .filter(|l| !l.contains("kubectl"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_serves_with_the_readme_certificate_and_stops_on_sigterm() {
    if !support::require_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = readme_certificate_commands();
    assert!(script.contains("openssl x509 -req"), "{script}");
    let out = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let (signed, digest) = push_image(&registry.addr, "cli/signed", "signed").await;
    sign(&signed, &key, SignatureFormat::Bundle).await;
    let (unsigned, _) = push_image(&registry.addr, "cli/unsigned", "unsigned").await;
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::write(
        policies.join("verify.yaml"),
        signature_policy(
            "verify-image-signatures",
            &[&format!("{}/cli/*", registry.addr)],
            &key,
            "Enforce",
            "Fail",
        ),
    )
    .unwrap();

    let mut webhook = ExampleProcess::spawn(
        &support::example("admission"),
        &["--policy".as_ref(), policies.as_os_str()],
        &dir.path().join("tls.crt"),
        &dir.path().join("tls.key"),
    );
    let (line, warnings) = webhook.startup.split_last().unwrap();
    assert!(
        warnings.iter().all(|l| l.starts_with("warning: ")),
        "{warnings:?}"
    );
    assert!(line.ends_with("(1 policies)"), "{line}");
    let addr = webhook.addr;

    // The client knows the webhook only under the Service's name, as the API server does.
    let ca = std::fs::read(dir.path().join("ca.crt")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .resolve(SERVICE_NAME, addr)
        .build()
        .unwrap();
    let base = format!("https://{SERVICE_NAME}:{}", addr.port());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    for (uid, image, allowed) in [
        ("u-signed", &signed, true),
        ("u-unsigned", &unsigned, false),
    ] {
        let url = format!("{base}/mutate?timeout=10s");
        let r = review(&client, &url, create_review(uid, pod("web", &[image], &[]))).await;
        assert_eq!(r.uid, uid);
        assert_eq!(r.allowed, allowed, "{r:?}");
        if allowed {
            let ops = r.patch_operations().unwrap();
            assert_eq!(ops[0]["path"], "/spec/containers/0/image");
            assert_eq!(ops[0]["value"], format!("{signed}@{digest}"));
        } else {
            let message = r.status.unwrap().message;
            assert!(message.contains("verify-image-signatures:"), "{message}");
        }
    }

    assert_eq!(webhook.terminate(), Some(0), "graceful shutdown exits 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_labels_file_decides_namespace_selectors_and_is_reloaded() {
    let registry = support::Registry::start();
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let (unsigned, _) = push_image(&registry.addr, "nsfile/app", "unsigned").await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        in_namespaces(
            &signature_policy(
                "production-images",
                &[&format!("{}/nsfile/*", registry.addr)],
                &key,
                "Enforce",
                "Fail",
            ),
            "{matchLabels: {env: production}}",
        ),
    )
    .unwrap();
    let labels = dir.path().join("namespaces.yaml");
    std::fs::write(&labels, "prod: {env: production}\n").unwrap();
    let args = [
        "--policy".as_ref(),
        policy.as_os_str(),
        "--namespace-labels".as_ref(),
        labels.as_os_str(),
    ];
    let mut webhook =
        ExampleProcess::spawn(&support::example("admission"), &args, &ca.cert, &ca.key);
    let lines = &webhook.lines;
    let client = ca.client();
    let url = webhook.url("/mutate");
    let admitted = |namespace: &'static str| {
        let (client, url, unsigned) = (client.clone(), url.clone(), unsigned.clone());
        async move {
            let body = create_review(namespace, pod_in(namespace, "web", &[&unsigned]));
            let r = review(&client, &url, body).await;
            if !r.allowed {
                let message = r.status.unwrap().message;
                assert!(message.contains("production-images:"), "{message}");
            }
            r.allowed
        }
    };
    assert!(!admitted("prod").await, "prod is labelled env=production");
    assert!(admitted("dev").await, "dev is not in the file: no labels");

    // The file is replaced (as the kubelet updates a ConfigMap) by `kubectl get ns -o yaml`
    // output: prod is now staging, dev production.
    std::fs::write(
        &labels,
        "apiVersion: v1\nkind: List\nitems:\n\
         - apiVersion: v1\n  kind: Namespace\n  metadata: {name: prod, labels: {env: staging}}\n\
         - apiVersion: v1\n  kind: Namespace\n  metadata: {name: dev, labels: {env: production}}\n",
    )
    .unwrap();
    let mut reloaded = false;
    for _ in 0..200 {
        if admitted("prod").await {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the new labels were never used");
    assert!(!admitted("dev").await, "dev is now labelled env=production");
    let said: Vec<String> = lines.try_iter().collect();
    assert!(
        said.iter()
            .any(|l| l.starts_with("namespace labels reloaded from ")
                && l.ends_with("(2 namespaces)")),
        "{said:?}"
    );
    // Every review is logged as one JSON line: its uid, phase, decision.
    let reviews: Vec<serde_json::Value> = said
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "review")
        .collect();
    assert!(
        reviews.iter().any(|v| v["level"] == "INFO"
            && v["fields"]["uid"] == "prod"
            && v["fields"]["phase"] == "mutate"
            && v["fields"]["allowed"] == true),
        "{said:?}"
    );

    // A broken version is reported on one warning line and the previous labels stay in use.
    std::fs::write(&labels, "prod: {env: [broken\n").unwrap();
    let mut warning = None;
    for _ in 0..200 {
        assert!(!admitted("dev").await, "the previous labels stay");
        if let Some(l) = lines
            .try_iter()
            .find(|l| l.starts_with("warning: namespace labels not reloaded"))
        {
            warning = Some(l);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let warning = warning.expect("a warning about the broken file");
    assert!(warning.contains("namespaces.yaml"), "{warning}");
    assert!(admitted("prod").await);

    assert_eq!(webhook.terminate(), Some(0));
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.yaml");
    std::fs::write(
        &policy,
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n  \
         - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    validate:\n      \
         pattern: {spec: {containers: [{image: \"*@*\"}]}}\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.crt");
    let not_yaml = dir.path().join("bad.yaml");
    std::fs::write(&not_yaml, "kind: [unclosed").unwrap();
    for (args, expect) in [
        (vec!["--policy", policy.to_str().unwrap()], "required"),
        (
            vec![
                "--policy",
                policy.to_str().unwrap(),
                "--tls-cert",
                missing.to_str().unwrap(),
                "--tls-key",
                missing.to_str().unwrap(),
            ],
            "missing.crt",
        ),
        (
            vec![
                "--policy",
                not_yaml.to_str().unwrap(),
                "--tls-cert",
                missing.to_str().unwrap(),
                "--tls-key",
                missing.to_str().unwrap(),
            ],
            "bad.yaml",
        ),
    ] {
        let out = Command::new(support::example("admission"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{stderr}");
    }
}

#[test]
fn bad_namespace_labels_files_exit_2() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.yaml");
    std::fs::write(
        &policy,
        signature_policy(
            "p",
            &["registry.invalid/*"],
            &PrivateKey::generate().unwrap(),
            "Enforce",
            "Fail",
        ),
    )
    .unwrap();
    for (name, text, expect) in [
        ("labels-missing.yaml", None, "labels-missing.yaml"),
        ("labels-list.yaml", Some("- prod\n"), "expected a mapping"),
        (
            "labels-number.yaml",
            Some("prod: {tier: 1}\n"),
            "is not a string",
        ),
        (
            "labels-name.yaml",
            Some("Prod: {}\n"),
            "not a namespace name",
        ),
        (
            "labels-yaml.yaml",
            Some("prod: {env: [x\n"),
            "labels-yaml.yaml",
        ),
    ] {
        let path = dir.path().join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let out = Command::new(support::example("admission"))
            .arg("--policy")
            .arg(&policy)
            .arg("--tls-cert")
            .arg(&ca.cert)
            .arg("--tls-key")
            .arg(&ca.key)
            .arg("--namespace-labels")
            .arg(&path)
            .args(["--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{name}: {stderr}");
    }
}
