//! The admission webhook over real HTTPS (rustls server, reqwest + rustls client trusting a CA
//! made for the test) with the real policy engine against a real registry: health, malformed
//! reviews, uid echo, signed Pods admitted and pinned to digests, unsigned images and unsigned
//! init containers refused with Kyverno's message, Audit admitting with a warning, and a
//! registry that hangs or drops connections handled by the failure policy within the deadline,
//! each policy by its own; `namespaceSelector` from namespace labels; Kyverno's
//! `kyverno.io/verify-images` annotation on `/mutate`, never trusted on `/validate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::admission as admission_support;

use std::sync::Arc;

use admission_support::{
    HangingRegistry, Server, TestCa, apply_patch, create_review, deployment, in_namespaces,
    padded_review, pod, pod_in, push_image, review, reviewer, send, sign, signature_policy,
};
use boltseal::admission::review::{AdmissionResponse, decode_response};
use boltseal::admission::{NamespaceLabels, ServerOptions, VERIFY_IMAGES_ANNOTATION};
use boltseal::keys::PrivateKey;
use boltseal::sign::SignatureFormat;
use serde_json::{Value, json};

async fn post(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    body: Vec<u8>,
) -> AdmissionResponse {
    review(client, &server.url(path), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_malformed_reviews_and_uid_echo() {
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    // A small body limit, so that the refused body still fits the loopback socket buffers and
    // the client reads the 413 instead of a reset.
    let mut options = ServerOptions::default();
    options.max_body_bytes = 64 << 10;
    let server = Server::start_with(
        &ca,
        &signature_policy("verify", &["registry.invalid/*"], &key, "Enforce", "Fail"),
        options,
    )
    .await;
    let client = ca.client();

    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");

    // Malformed reviews: 400 with a one-line reason; the server keeps serving.
    for (body, reason) in [
        (b"{not json".to_vec(), "invalid AdmissionReview JSON"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#.to_vec(),
            "apiVersion",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
            "no request",
        ),
        (
            serde_json::to_vec(&json!({"apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview", "request": {"uid": "", "operation": "CREATE",
                "kind": {"version": "v1", "kind": "Pod"},
                "resource": {"version": "v1", "resource": "pods"}, "object": {}}}))
            .unwrap(),
            "request.uid: empty",
        ),
    ] {
        let resp = send(&client, &server.url("/validate"), body).await;
        assert_eq!(resp.status(), 400);
        let text = resp.text().await.unwrap();
        assert!(text.contains(reason), "{text}");
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    }
    let wrong_type = client
        .post(server.url("/mutate"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let too_big = client
        .post(server.url("/mutate"))
        .header("content-type", "application/json")
        .body(vec![b' '; 100 << 10])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert_eq!(
        client
            .get(server.url("/mutate"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        client
            .get(server.url("/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still serving after the malformed reviews"
    );

    // A Pod no policy is about: admitted, uid echoed, nothing patched, on both webhooks.
    for path in ["/mutate", "/validate"] {
        let uid = format!("uid-{path}");
        let r = post(
            &client,
            &server,
            path,
            create_review(&uid, pod("web", &["nginx:1.27"], &[])),
        )
        .await;
        assert_eq!(r.uid, uid);
        assert!(r.allowed);
        assert!(r.patch.is_none());
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_pods_are_pinned_and_unsigned_images_refused() {
    let registry = support::Registry::start();
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    // Three signed images (both signature layouts), one unsigned.
    let mut signed = Vec::new();
    for (i, format) in [
        SignatureFormat::Legacy,
        SignatureFormat::Bundle,
        SignatureFormat::Legacy,
    ]
    .into_iter()
    .enumerate()
    {
        let (text, digest) = push_image(
            &registry.addr,
            &format!("signed/app{i}"),
            &format!("app {i}"),
        )
        .await;
        sign(&text, &key, format).await;
        signed.push((text, digest));
    }
    let (unsigned, unsigned_digest) =
        push_image(&registry.addr, "signed/unsigned", "nobody signed this").await;
    let policy = signature_policy(
        "verify-image-signatures",
        &[&format!("{}/signed/*", registry.addr)],
        &key,
        "Enforce",
        "Fail",
    );
    let server = Server::start(&ca, &policy).await;
    let client = ca.client();

    // A signed 3-container Pod: admitted on /mutate with a patch pinning every image.
    let images: Vec<&str> = signed.iter().map(|(t, _)| t.as_str()).collect();
    let object = pod("signed", &images, &[]);
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-signed", object.clone()),
    )
    .await;
    assert_eq!(r.uid, "u-signed");
    assert!(r.allowed, "{:?}", r.status);
    let ops = r.patch_operations().expect("a JSON patch");
    let patched = apply_patch(object, &ops);
    for (i, (text, digest)) in signed.iter().enumerate() {
        assert_eq!(
            patched["spec"]["containers"][i]["image"],
            json!(format!("{text}@{digest}")),
            "{ops:?}"
        );
    }
    // Kyverno's annotation: the Pod had no annotations, so they are added first; the value is
    // the JSON text of {image as requested: "pass"}.
    let at = ops
        .iter()
        .position(|o| o["path"] == "/metadata/annotations")
        .expect("annotations added");
    assert_eq!(ops[at]["op"], "add");
    assert_eq!(ops[at]["value"], json!({}));
    assert_eq!(
        ops[at + 1]["path"],
        "/metadata/annotations/kyverno.io~1verify-images"
    );
    let annotation = patched["metadata"]["annotations"][VERIFY_IMAGES_ANNOTATION]
        .as_str()
        .unwrap();
    let verified: Value = serde_json::from_str(annotation).unwrap();
    let expected: serde_json::Map<String, Value> = signed
        .iter()
        .map(|(t, _)| (t.clone(), json!("pass")))
        .collect();
    assert_eq!(verified, Value::Object(expected));
    // The stored form passes the validating webhook (digests present, images verified).
    let r = post(
        &client,
        &server,
        "/validate",
        create_review("u-signed-2", patched),
    )
    .await;
    assert!(r.allowed, "{:?}", r.status);
    assert!(r.patch.is_none(), "validating webhooks never patch");

    // A forged annotation does not make an unsigned image verified: /validate verifies again.
    // (Kyverno's form of a tag-and-digest reference keeps only the digest.)
    let kyverno_form = format!("{}/signed/unsigned@{unsigned_digest}", registry.addr);
    let pinned = format!("{unsigned}@{unsigned_digest}");
    let mut forged = pod("forged", &[&pinned], &[]);
    forged["metadata"]["annotations"] = json!({
        VERIFY_IMAGES_ANNOTATION:
            json!({ &pinned: "pass", &unsigned: "pass", &kyverno_form: "pass" }).to_string()
    });
    let r = post(
        &client,
        &server,
        "/validate",
        create_review("u-forged", forged.clone()),
    )
    .await;
    assert!(!r.allowed, "{r:?}");
    let message = r.status.unwrap().message;
    assert!(message.contains("unverified image"), "{message}");
    assert!(message.contains(&kyverno_form), "{message}");
    // Its existing annotations are kept on /mutate; the refusal carries no patch.
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-forged-2", forged),
    )
    .await;
    assert!(!r.allowed && r.patch.is_none(), "{r:?}");
    // A Pod with annotations gets only the verify-images key, replacing a forged value.
    let mut annotated = pod("annotated", &[images[0]], &[]);
    annotated["metadata"]["annotations"] =
        json!({"team": "a", VERIFY_IMAGES_ANNOTATION: "{\"forged\":\"pass\"}"});
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-annotated", annotated.clone()),
    )
    .await;
    assert!(r.allowed, "{:?}", r.status);
    let ops = r.patch_operations().unwrap();
    assert!(
        !ops.iter().any(|o| o["path"] == "/metadata/annotations"),
        "{ops:?}"
    );
    let patched = apply_patch(annotated, &ops);
    assert_eq!(patched["metadata"]["annotations"]["team"], "a");
    assert_eq!(
        patched["metadata"]["annotations"][VERIFY_IMAGES_ANNOTATION],
        json!({ images[0]: "pass" }).to_string()
    );

    // An unsigned image: refused on /mutate with Kyverno's message.
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-unsigned", pod("mixed", &[images[0], &unsigned], &[])),
    )
    .await;
    assert_eq!(r.uid, "u-unsigned");
    assert!(!r.allowed);
    assert!(r.patch.is_none());
    let status = r.status.unwrap();
    assert_eq!(status.status, "Failure");
    let message = status.message;
    assert!(
        message.starts_with(
            "\n\nresource Pod/default/mixed was blocked due to the following policies \n\n\
             verify-image-signatures:\n  check-signature: "
        ),
        "{message:?}"
    );
    assert!(message.contains(&unsigned), "{message}");
    // Without the mutating webhook's verification, the validating webhook refuses a tag.
    let r = post(
        &client,
        &server,
        "/validate",
        create_review("u-tag", pod("tag", &[images[0]], &[])),
    )
    .await;
    assert!(!r.allowed, "{r:?}");

    // A Deployment whose init container is unsigned: refused through the autogen rule.
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-deploy", deployment("api", &[images[1]], &[&unsigned])),
    )
    .await;
    assert!(!r.allowed);
    let message = r.status.unwrap().message;
    assert!(
        message.contains("resource Deployment/default/api was blocked"),
        "{message}"
    );
    assert!(message.contains("autogen-check-signature"), "{message}");
    assert!(message.contains(&unsigned), "{message}");
    // The same Deployment with a signed init container is admitted and pinned.
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-deploy-ok", deployment("api", &[images[1]], &[images[2]])),
    )
    .await;
    assert!(r.allowed, "{:?}", r.status);
    let ops = r.patch_operations().unwrap();
    assert!(
        ops.iter().any(
            |o| o["path"] == "/spec/template/spec/initContainers/0/image"
                && o["value"] == json!(format!("{}@{}", signed[2].0, signed[2].1))
        ),
        "{ops:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_admits_with_a_warning() {
    let registry = support::Registry::start();
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let (unsigned, _) = push_image(&registry.addr, "audit/app", "unsigned").await;
    let policy = signature_policy(
        "audit-signatures",
        &[&format!("{}/audit/*", registry.addr)],
        &key,
        "Audit",
        "Fail",
    );
    let server = Server::start(&ca, &policy).await;
    let client = ca.client();
    let r = post(
        &client,
        &server,
        "/mutate",
        create_review("u-audit", pod("audited", &[&unsigned], &[])),
    )
    .await;
    assert!(r.allowed, "{:?}", r.status);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("policy audit-signatures.check-signature: ")),
        "{:?}",
        r.warnings
    );
    server.stop().await;
}

/// A registry that accepts connections and never answers: the review's deadline (from the API
/// server's `?timeout=`) passes and the failure policy decides — refuse under `Fail`, admit
/// with a warning under `Ignore`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_and_dropping_registries_follow_the_failure_policy() {
    // Accepts and holds every connection without answering.
    let hang_addr = HangingRegistry::start().addr;
    // A registry that closes every connection at once.
    let drop_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let drop_addr = drop_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in drop_listener.incoming().flatten() {
            drop(stream);
        }
    });

    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let client = ca.client();
    for (failure_policy, allowed) in [("Fail", false), ("Ignore", true)] {
        let policy = signature_policy("verify", &["127.0.0.1:*"], &key, "Enforce", failure_policy);
        let server = Server::start(&ca, &policy).await;

        let image = format!("{hang_addr}/app:v1");
        let r = post(
            &client,
            &server,
            "/mutate?timeout=2s",
            create_review("u-hang", pod("hang", &[&image], &[])),
        )
        .await;
        assert_eq!(r.uid, "u-hang");
        assert_eq!(r.allowed, allowed, "{failure_policy}: {r:?}");
        let said = match &r.status {
            Some(s) => s.message.clone(),
            None => r.warnings.join(" "),
        };
        assert!(
            said.contains("did not finish within 1800 ms"),
            "{failure_policy}: {said}"
        );
        assert!(
            said.contains(&format!("failurePolicy {failure_policy}")),
            "{said}"
        );

        let image = format!("{drop_addr}/app:v1");
        let r = post(
            &client,
            &server,
            "/mutate?timeout=5s",
            create_review("u-drop", pod("dropped", &[&image], &[])),
        )
        .await;
        assert_eq!(r.allowed, allowed, "{failure_policy}: {r:?}");
        if allowed {
            assert!(
                r.warnings
                    .iter()
                    .any(|w| w.contains("failurePolicy Ignore")),
                "{:?}",
                r.warnings
            );
        } else {
            let message = r.status.unwrap().message;
            assert!(
                message.contains("resource Pod/default/dropped was blocked"),
                "{message}"
            );
        }
        server.stop().await;
    }
}

/// `namespaceSelector` sees the labels the namespace-labels source gives each namespace, plus
/// `kubernetes.io/metadata.name`; a namespace the source does not know has no labels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_selectors_see_the_namespace_labels() {
    let registry = support::Registry::start();
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let (unsigned, _) = push_image(&registry.addr, "ns/app", "unsigned").await;
    let refs = [format!("{}/ns/*", registry.addr)];
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let policies = [
        in_namespaces(
            &signature_policy("production-images", &refs, &key, "Enforce", "Fail"),
            "{matchLabels: {env: production}}",
        ),
        in_namespaces(
            &signature_policy("named-namespace", &refs, &key, "Enforce", "Fail"),
            "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [named]}]}",
        ),
    ]
    .join("---\n");
    let labels = NamespaceLabels::new()
        .with("prod", &[("env", "production")])
        .with("dev", &[("env", "development")])
        .with("named", &[]);
    let server = Server::start_reviewer(
        &ca,
        reviewer(&policies).with_namespace_labels(Arc::new(labels)),
        ServerOptions::default(),
    )
    .await;
    let client = ca.client();
    for (namespace, refused_by) in [
        ("prod", Some("production-images:")),
        ("named", Some("named-namespace:")),
        ("dev", None),
        ("unknown", None),
    ] {
        let r = post(
            &client,
            &server,
            "/mutate",
            create_review(namespace, pod_in(namespace, "web", &[&unsigned])),
        )
        .await;
        match refused_by {
            Some(policy) => {
                assert!(!r.allowed, "{namespace}: {r:?}");
                let message = r.status.unwrap().message;
                assert!(message.contains(policy), "{namespace}: {message}");
                assert_eq!(message.matches("check-signature:").count(), 1, "{message}");
            }
            None => {
                assert!(r.allowed, "{namespace}: {r:?}");
                assert!(r.patch.is_none(), "{namespace}: {r:?}");
            }
        }
    }
    // Without a source, no namespace has labels: neither policy applies.
    let plain = Server::start(&ca, &policies).await;
    let r = post(
        &client,
        &plain,
        "/mutate",
        create_review("plain", pod_in("prod", "web", &[&unsigned])),
    )
    .await;
    assert!(r.allowed, "{r:?}");
    plain.stop().await;
    server.stop().await;
}

/// Two policies, one on a registry that never answers: when the deadline passes, the policy
/// that finished counts as usual (its digest patch, its refusal) and the unfinished one is
/// answered by its own failurePolicy — Ignore admits with a warning naming it, Fail refuses
/// naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_policy_meets_the_deadline_with_its_own_failure_policy() {
    let hang_addr = HangingRegistry::start().addr;
    let registry = support::Registry::start();
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let (signed, digest) = push_image(&registry.addr, "deadline/signed", "signed").await;
    sign(&signed, &key, SignatureFormat::Legacy).await;
    let (unsigned, _) = push_image(&registry.addr, "deadline/unsigned", "unsigned").await;
    let hanging = format!("{hang_addr}/app:v1");
    let client = ca.client();
    let hang_refs = [format!("{hang_addr}/*")];
    let reg_refs = [format!("{}/deadline/*", registry.addr)];
    let hang_refs: Vec<&str> = hang_refs.iter().map(String::as_str).collect();
    let reg_refs: Vec<&str> = reg_refs.iter().map(String::as_str).collect();

    for (hang_policy, registry_policy) in [("Ignore", "Fail"), ("Fail", "Ignore")] {
        let policies = [
            signature_policy("hanging", &hang_refs, &key, "Enforce", hang_policy),
            signature_policy("reachable", &reg_refs, &key, "Enforce", registry_policy),
        ]
        .join("---\n");
        let server = Server::start(&ca, &policies).await;
        let object = pod("two", &[&hanging, &signed], &[]);
        let r = post(
            &client,
            &server,
            "/mutate?timeout=2s",
            create_review("u-two", object.clone()),
        )
        .await;
        assert_eq!(r.uid, "u-two");
        if hang_policy == "Ignore" {
            assert!(r.allowed, "{r:?}");
            assert!(
                r.warnings
                    .iter()
                    .any(|w| w.starts_with("policy hanging.check-signature: ")
                        && w.contains("did not finish within 1800 ms")
                        && w.contains("failurePolicy Ignore")),
                "{:?}",
                r.warnings
            );
            assert!(
                !r.warnings.iter().any(|w| w.contains("reachable")),
                "{:?}",
                r.warnings
            );
            // The finished policy's work is kept: the signed image is pinned and recorded.
            let patched = apply_patch(object, &r.patch_operations().unwrap());
            assert_eq!(
                patched["spec"]["containers"][1]["image"],
                json!(format!("{signed}@{digest}"))
            );
            assert_eq!(patched["spec"]["containers"][0]["image"], json!(hanging));
            assert_eq!(
                patched["metadata"]["annotations"][VERIFY_IMAGES_ANNOTATION],
                json!({ &signed: "pass" }).to_string()
            );

            // A finished policy still refuses on its own, with the unfinished one a warning.
            let r = post(
                &client,
                &server,
                "/mutate?timeout=2s",
                create_review("u-mixed", pod("mixed", &[&hanging, &unsigned], &[])),
            )
            .await;
            assert!(!r.allowed, "{r:?}");
            let message = r.status.unwrap().message;
            assert!(message.contains("reachable:"), "{message}");
            assert!(!message.contains("hanging:"), "{message}");
            assert!(
                r.warnings.iter().any(|w| w.starts_with("policy hanging.")),
                "{:?}",
                r.warnings
            );
        } else {
            assert!(!r.allowed, "{r:?}");
            assert!(r.patch.is_none());
            let message = r.status.unwrap().message;
            assert!(
                message.contains("resource Pod/default/two was blocked"),
                "{message}"
            );
            assert!(
                message.contains("hanging:\n  check-signature: "),
                "{message}"
            );
            assert!(
                message.contains("did not finish within 1800 ms"),
                "{message}"
            );
            assert!(message.contains("failurePolicy Fail"), "{message}");
            assert!(!message.contains("reachable:"), "{message}");
        }
        server.stop().await;
    }
}

#[test]
fn deploy_manifests_have_the_webhook_properties() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let webhooks = std::fs::read_to_string(root.join("webhooks.yaml")).unwrap();
    let docs = boltseal::policy::yaml::documents(&webhooks).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration"
        ]
    );
    for (doc, path) in docs.iter().zip(["/mutate", "/validate"]) {
        let hook = &doc["webhooks"][0];
        assert_eq!(hook["sideEffects"], "None");
        assert_eq!(hook["failurePolicy"], "Fail");
        assert_eq!(hook["admissionReviewVersions"], json!(["v1"]));
        assert_eq!(hook["clientConfig"]["service"]["path"], path);
        let timeout = hook["timeoutSeconds"].as_i64().unwrap();
        assert!((1..=30).contains(&timeout));
        let excluded = &hook["namespaceSelector"]["matchExpressions"][0];
        assert_eq!(excluded["key"], "kubernetes.io/metadata.name");
        assert_eq!(excluded["operator"], "NotIn");
        assert!(
            excluded["values"]
                .as_array()
                .unwrap()
                .contains(&json!("kube-system"))
        );
        let resources: Vec<&Value> = hook["rules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["resources"].as_array().unwrap())
            .collect();
        for r in [
            "pods",
            "deployments",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
        ] {
            assert!(resources.contains(&&json!(r)), "{path}: {r}");
        }
    }
    // Only the API server's traffic reaches the webhook's Pods: one NetworkPolicy selecting
    // them (as the Deployment labels them), ingress only, to the serving port only, from
    // addresses (or Pods) named in the policy, never from everywhere.
    let netpol = std::fs::read_to_string(root.join("networkpolicy.yaml")).unwrap();
    let docs = boltseal::policy::yaml::documents(&netpol).unwrap();
    assert_eq!(docs.len(), 1);
    let np = &docs[0];
    assert_eq!(np["kind"], "NetworkPolicy");
    assert_eq!(np["metadata"]["namespace"], "boltseal-system");
    assert_eq!(
        np["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "boltseal-admission"
    );
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]));
    let ingress = np["spec"]["ingress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(
        ingress[0]["ports"],
        json!([{"protocol": "TCP", "port": 8443}])
    );
    let from = ingress[0]["from"].as_array().unwrap();
    assert!(!from.is_empty());
    for peer in from {
        let cidr = peer["ipBlock"]["cidr"].as_str().unwrap();
        assert!(!cidr.ends_with("/0"), "{cidr}");
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("## Who may call the webhook"));
    assert!(readme.contains("networkpolicy.yaml"));

    let deployment = std::fs::read_to_string(root.join("deployment.yaml")).unwrap();
    let docs = boltseal::policy::yaml::documents(&deployment).unwrap();
    let d = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert!(c["resources"]["requests"].is_object());
    // The limit the hostile-request test holds the webhook under.
    assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(c[probe]["httpGet"]["path"], "/healthz");
        assert_eq!(c[probe]["httpGet"]["scheme"], "HTTPS");
    }
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for flag in [
        "--policy",
        "--tls-cert",
        "--tls-key",
        "--addr",
        "--namespace-labels",
    ] {
        assert!(args.contains(&flag), "{flag}");
    }
    // The namespace-labels ConfigMap is mounted as a directory: a subPath mount never sees
    // the kubelet's updates.
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "namespace-labels")
        .unwrap();
    assert!(mount.get("subPath").is_none());
    assert!(
        args.contains(
            &format!("{}/namespaces.yaml", mount["mountPath"].as_str().unwrap()).as_str()
        )
    );
}

/// Sends `body` to `/validate` (with the API server's `?timeout=10s`); the status, the body and
/// how long the answer took.
async fn send_review(
    client: &reqwest::Client,
    url: String,
    body: Vec<u8>,
) -> (u16, Vec<u8>, std::time::Duration) {
    let started = std::time::Instant::now();
    let resp = send(client, &url, body).await;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap().to_vec();
    (status, body, started.elapsed())
}

/// Sends four copies of `body` at once; the status, body and time of each.
async fn four_at_once(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> Vec<(u16, Vec<u8>, std::time::Duration)> {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.to_owned(), body.to_vec());
            tokio::spawn(async move { send_review(&client, url, body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The issue's attack on the deployed webhook: four ~8 MB reviews at once (each 2-byte element
/// a 32-byte value once decoded), reviews under the size limit whose many small objects or deep
/// nesting would blow up when decoded, heavy but legal reviews at once, and connections that
/// never send a request. Each hostile review is refused with one line naming the limit and the
/// value seen, the legal ones are answered within the deadline, a normal review is answered
/// right after, silent connections are closed long before the idle timeout, and the process
/// stays under the deployment's 256 MiB memory limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_costly_and_silent_requests_keep_the_webhook_within_its_memory_limit() {
    use std::io::Read;

    let example = support::example("admission");
    let ca = TestCa::new();
    let key = PrivateKey::generate().unwrap();
    let policy = signature_policy("verify", &["registry.invalid/*"], &key, "Enforce", "Fail");
    let webhook = admission_support::ExampleProcess::start(&example, &ca, &policy);
    let pid = webhook.child.id();
    let client = ca.client();
    let url = webhook.url("/validate?timeout=10s");
    let normal = create_review("u-normal", pod("web", &["nginx:1.27"], &[]));

    // Connections that never send a byte (slow-loris): closed by the server after the
    // handshake timeout, not held for the 120 s idle timeout.
    let silent: Vec<_> = (0..32)
        .map(|_| {
            let addr = webhook.addr;
            std::thread::spawn(move || {
                let mut tcp = std::net::TcpStream::connect(addr).unwrap();
                tcp.set_read_timeout(Some(std::time::Duration::from_secs(60)))
                    .unwrap();
                let started = std::time::Instant::now();
                let mut buf = [0u8; 64];
                let closed = match tcp.read(&mut buf) {
                    Ok(n) => n == 0,
                    Err(e) => !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                };
                (closed, started.elapsed())
            })
        })
        .collect();

    // Four ~8 MB reviews at once: refused from their Content-Length (413), never buffered.
    let elements = 4_000_000;
    let huge = padded_review(&normal, &format!("[{}1]", "1,".repeat(elements - 1)));
    assert!(huge.len() > 8_000_000);
    for (status, body, _) in four_at_once(&client, &url, &huge).await {
        let text = String::from_utf8(body).unwrap();
        assert_eq!(status, 413, "{text}");
        assert_eq!(
            text,
            format!(
                "review is {} bytes, larger than the 3145728-byte limit\n",
                huge.len()
            )
        );
    }

    // Under 3 MiB, but 7-byte objects of ~650 bytes each once decoded: refused before decoding.
    let objects = padded_review(
        &normal,
        &format!("[{}{{}}]", r#"{"":0},"#.repeat((3 << 20) / 7 - 100)),
    );
    assert!(objects.len() < 3 << 20);
    for (status, body, _) in four_at_once(&client, &url, &objects).await {
        let text = String::from_utf8(body).unwrap();
        assert_eq!(status, 413, "{text}");
        assert!(
            text.starts_with("review would take up to ")
                && text.ends_with(
                    " bytes of memory once decoded, more than the 50331648-byte limit\n"
                ),
            "{text}"
        );
    }

    // Nested 100,000 deep.
    let deep = padded_review(
        &normal,
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let (status, body, _) = send_review(&client, url.clone(), deep).await;
    assert_eq!(status, 413);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "review nests arrays and objects 100004 deep, deeper than the limit of 64\n"
    );

    // Heavy but within the limits (2 MB, 1,000,000 elements: ~32 MiB decoded, as much again
    // for the policy engine's copy), four at once: the memory budget lets them through a few
    // at a time, each answered within the deadline.
    let heavy = padded_review(
        &create_review("u-heavy", pod("web", &["nginx:1.27"], &[])),
        &format!("[{}1]", "1,".repeat(999_999)),
    );
    let mut answered = 0;
    for (status, body, elapsed) in four_at_once(&client, &url, &heavy).await {
        assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
        if status == 200 {
            let r = decode_response(&body).unwrap();
            assert_eq!(r.uid, "u-heavy");
            assert!(r.allowed, "{r:?}");
            answered += 1;
        } else {
            // On a slow machine a review may not get its memory within its deadline.
            let text = String::from_utf8(body).unwrap();
            assert_eq!(status, 503, "{text}");
            assert!(text.contains("of the 131072 KiB review memory"), "{text}");
        }
    }
    assert!(answered > 0, "no heavy review was answered");

    // A normal review is answered right after.
    let r = post_to(
        &client,
        &url,
        create_review("u-after", pod("web", &["nginx:1.27"], &[])),
    )
    .await;
    assert_eq!(r.uid, "u-after");
    assert!(r.allowed);

    for t in silent {
        let (closed, after) = t.join().unwrap();
        assert!(closed, "a silent connection was not closed");
        assert!(after < std::time::Duration::from_secs(60), "{after:?}");
    }

    let peak = support::peak_rss_of(pid).unwrap();
    eprintln!("admission webhook peak RSS: {} MiB", peak >> 20);
    assert!(
        peak < 256 << 20,
        "peak RSS {} MiB, bound 256 MiB",
        peak >> 20
    );
}

async fn post_to(client: &reqwest::Client, url: &str, body: Vec<u8>) -> AdmissionResponse {
    let (status, body, _) = send_review(client, url.to_owned(), body).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    decode_response(&body).unwrap()
}
