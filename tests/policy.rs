//! Policy evaluation against a real registry: the example `verify-image-signatures`,
//! `require-slsa-provenance` and `require-digest` policies (keys swapped for the test's) on
//! Pods and Deployments whose images are signed by boltseal in both layouts, unsigned, signed
//! with another key, or carry a replayed signature manifest; images outside
//! `imageReferences`; Audit versus Enforce; unreachable registries and `failurePolicy`;
//! N-of-M attestors; the verification cache; and the `policy-apply` example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::private_sigstore;
use support::tag;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use boltseal::envelope::slsa::Provenance;
use boltseal::keys::PrivateKey;
use boltseal::oci::{ImageBuilder, RegistryOptions, RegistryStore, Store};
use boltseal::policy::{
    AdmissionInput, Engine, EngineResponse, Operation, Phase, PolicySet, RegistryVerifier,
    RuleStatus,
};
use boltseal::reference::{Digest, Reference};
use boltseal::sign::{
    AttestOptions, SignOptions, SignatureFormat, attest_image, sign_image, signature_tag,
};
use serde_json::{Value, json};

const EXAMPLE_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnFX+0SsVivk7OjCHnPZx6GjfKXbo\n\
                           qzMFak4IQg4ujWpEiF6FRhST1rnPzeajHUhvuv58bFsO0AP2H1kuqEVvPg==";

/// Pushes a one-file image as `repo:t`; returns its store, reference text and digest.
async fn push(
    registry: &support::Registry,
    repo: &str,
    t: &str,
    content: &str,
) -> (RegistryStore, String, Digest) {
    let text = registry.repo(&format!("{repo}:{t}"));
    let reference: Reference = text.parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let desc = ImageBuilder::new()
        .file("etc/motd", content.as_bytes(), 0o644)
        .build()
        .unwrap()
        .write_to(&store, Some(t))
        .await
        .unwrap();
    (store, text, desc.digest)
}

/// An example policy with the test's key and registry.
fn example_policy(name: &str, key: &PrivateKey, registry: &support::Registry) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let pem = key.public_key().to_pem();
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(text.contains("registry.example.com/apps/*") || name == "require-digest.yaml");
    let example_body: Vec<&str> = EXAMPLE_KEY.lines().map(str::trim).collect();
    let mut out = text.replace(
        "registry.example.com/apps/*",
        &format!("{}/policy/*", registry.addr),
    );
    // Replace the example key's lines (same indentation) with the test key's.
    let indent_of = |line: &str| line.len() - line.trim_start().len();
    let mut lines: Vec<String> = Vec::new();
    let mut skip = 0;
    for line in out.lines() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if line.trim() == example_body[0] {
            let pad = " ".repeat(indent_of(line));
            for b in &body {
                lines.push(format!("{pad}{b}"));
            }
            skip = example_body.len() - 1;
            continue;
        }
        lines.push(line.to_owned());
    }
    out = lines.join("\n");
    out
}

fn pod(name: &str, containers: &[&str], init: &[&str]) -> Value {
    let list = |images: &[&str], prefix: &str| -> Vec<Value> {
        images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("{prefix}{i}"), "image": image}))
            .collect()
    };
    let mut spec = json!({"containers": list(containers, "c")});
    if !init.is_empty() {
        spec["initContainers"] = Value::Array(list(init, "init"));
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "apps"}, "spec": spec})
}

fn engine(yaml: &str) -> Engine {
    let policies = PolicySet::from_yaml_str("test.yaml", yaml).unwrap();
    Engine::new(
        policies,
        Arc::new(RegistryVerifier::new(
            RegistryOptions::new(),
            Duration::from_secs(60),
        )),
    )
}

async fn evaluate(engine: &Engine, phase: Phase, object: &Value) -> EngineResponse {
    let input = AdmissionInput::new(phase, Operation::Create, object.clone());
    engine.evaluate(&input).await
}

async fn mutate(engine: &Engine, object: &Value) -> EngineResponse {
    evaluate(engine, Phase::Mutate, object).await
}

async fn validate(engine: &Engine, object: &Value) -> EngineResponse {
    evaluate(engine, Phase::Validate, object).await
}

fn only_rule(r: &EngineResponse) -> (&str, RuleStatus, &str) {
    let results: Vec<_> = r.results().collect();
    assert_eq!(results.len(), 1, "{results:#?}");
    let (p, rule) = results[0];
    (p.policy.as_str(), rule.status, rule.message.as_str())
}

/// The response's only rule has `status` and a message containing `text`.
fn expect_rule(r: &EngineResponse, status: RuleStatus, text: &str) {
    let (_, actual, message) = only_rule(r);
    assert_eq!(actual, status, "{message}");
    assert!(message.contains(text), "{message}");
}

struct World {
    registry: support::Registry,
    key: PrivateKey,
    legacy: (String, Digest),
    bundle: (String, Digest),
    unsigned: (String, Digest),
    wrong_key: (String, Digest),
    replayed: (String, Digest),
}

async fn world() -> World {
    let registry = support::Registry::start();
    let key = PrivateKey::generate().unwrap();
    let other = PrivateKey::generate().unwrap();
    let (store, legacy, legacy_d) = push(&registry, "policy/app", "legacy", "legacy").await;
    sign_image(&store, &tag("legacy"), &legacy, &key, &SignOptions::new())
        .await
        .unwrap();
    let (_, bundle, bundle_d) = push(&registry, "policy/app", "bundle", "bundle").await;
    sign_image(
        &store,
        &tag("bundle"),
        &bundle,
        &key,
        &SignOptions::new().format(SignatureFormat::Bundle),
    )
    .await
    .unwrap();
    let (_, unsigned, unsigned_d) = push(&registry, "policy/app", "unsigned", "unsigned").await;
    let (_, wrong, wrong_d) = push(&registry, "policy/app", "wrong", "wrong").await;
    sign_image(&store, &tag("wrong"), &wrong, &other, &SignOptions::new())
        .await
        .unwrap();
    // Replay: the legacy image's signature manifest under another image's .sig tag.
    let (_, replayed, replayed_d) = push(&registry, "policy/app", "replayed", "replayed").await;
    let sig = store
        .get_manifest(&tag(&signature_tag(&legacy_d, "sig")))
        .await
        .unwrap();
    store
        .put_manifest(&sig, Some(&signature_tag(&replayed_d, "sig")))
        .await
        .unwrap();
    World {
        registry,
        key,
        legacy: (legacy, legacy_d),
        bundle: (bundle, bundle_d),
        unsigned: (unsigned, unsigned_d),
        wrong_key: (wrong, wrong_d),
        replayed: (replayed, replayed_d),
    }
}

#[tokio::test]
async fn signed_images_are_admitted_and_pinned_the_rest_refused() {
    let w = world().await;
    let policy = example_policy("verify-image-signatures.yaml", &w.key, &w.registry);
    let engine = engine(&policy);

    // Signed in both layouts (one as an init container): admitted, each image pinned.
    let object = pod("good", &[&w.legacy.0, &w.bundle.0], &[&w.legacy.0]);
    let r = mutate(&engine, &object).await;
    assert!(r.allowed(), "{r:#?}");
    let (policy_name, status, message) = only_rule(&r);
    assert_eq!(policy_name, "verify-image-signatures");
    assert_eq!(status, RuleStatus::Pass, "{message}");
    assert!(
        message.contains("verified image signatures for"),
        "{message}"
    );
    let patches: Vec<Value> = serde_json::from_slice(&r.patch_json().unwrap()).unwrap();
    assert_eq!(
        patches,
        vec![
            json!({"op": "replace", "path": "/spec/initContainers/0/image", "value": format!("{}@{}", w.legacy.0, w.legacy.1)}),
            json!({"op": "replace", "path": "/spec/containers/0/image", "value": format!("{}@{}", w.legacy.0, w.legacy.1)}),
            json!({"op": "replace", "path": "/spec/containers/1/image", "value": format!("{}@{}", w.bundle.0, w.bundle.1)}),
        ]
    );
    // The validating webhook sees the pinned Pod: digest present, verified (from the cache).
    let patched = r.patched.clone().unwrap();
    let v = validate(&engine, &patched).await;
    assert!(v.allowed(), "{v:#?}");
    assert_eq!(only_rule(&v).1, RuleStatus::Pass);
    // The tag-only Pod is refused by the validating webhook (verifyDigest).
    let v = validate(&engine, &object).await;
    assert!(!v.allowed());
    assert!(only_rule(&v).2.contains("missing digest for"), "{v:#?}");
    // A second admission is answered from the cache.
    let again = mutate(&engine, &object).await;
    assert!(again.allowed());
    assert!(
        only_rule(&again).2.contains("verified from cache"),
        "{again:#?}"
    );

    // Unsigned, wrong key, replayed signature: refused with Kyverno's message shape.
    for (image, what) in [
        (&w.unsigned.0, "no signatures"),
        (&w.wrong_key.0, "verify"),
        (&w.replayed.0, "not the image"),
    ] {
        let object = pod("bad", &[&w.legacy.0, image], &[]);
        let r = mutate(&engine, &object).await;
        assert!(!r.allowed(), "{image}: {r:#?}");
        let (_, status, message) = only_rule(&r);
        assert_eq!(status, RuleStatus::Fail, "{message}");
        assert!(
            message.starts_with("failed to verify image ")
                && message.contains(".attestors[0].entries[0].keys: ")
                && message.contains(what),
            "{image}: {message}"
        );
        let blocked = r.blocked_message().unwrap();
        assert!(
            blocked.starts_with(
                "\n\nresource Pod/apps/bad was blocked due to the following policies \n\nverify-image-signatures:\n  check-image-signature: "
            ),
            "{blocked}"
        );
        // The validating webhook refuses it as well (tag only and unverified).
        assert!(!validate(&engine, &object).await.allowed());
    }

    // An image outside imageReferences is not this policy's business.
    let (_, elsewhere, _) = push(&w.registry, "elsewhere/app", "v1", "x").await;
    let object = pod("other", &[&elsewhere], &[]);
    let r = mutate(&engine, &object).await;
    assert!(r.allowed());
    assert_eq!(r.results().count(), 0);
    assert!(r.patch_json().is_none());
    assert_eq!(validate(&engine, &object).await.results().count(), 0);

    // A Deployment whose init container is unsigned: the autogen rule refuses it.
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"template": {"spec": {
            "initContainers": [{"name": "init", "image": w.unsigned.0}],
            "containers": [{"name": "web", "image": w.legacy.0}]}}}
    });
    let r = mutate(&engine, &deployment).await;
    assert!(!r.allowed());
    let (_, rule) = r.results().next().unwrap();
    assert_eq!(rule.rule, "autogen-check-image-signature");
    assert_eq!(rule.status, RuleStatus::Fail);
    assert!(
        rule.message.contains(&w.unsigned.1.to_string()) || rule.message.contains("unsigned"),
        "{}",
        rule.message
    );
    // Signed Deployment: pinned at the template's path.
    let good = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": w.bundle.0}]}}}
    });
    let r = mutate(&engine, &good).await;
    assert!(r.allowed(), "{r:#?}");
    assert_eq!(
        r.patches()[0].path,
        "/spec/template/spec/containers/0/image"
    );
}

#[tokio::test]
async fn audit_reports_without_blocking_and_failure_policy_governs_errors() {
    let w = world().await;
    let enforce = example_policy("verify-image-signatures.yaml", &w.key, &w.registry);
    let audit = enforce
        .replace("failureAction: Enforce", "failureAction: Audit")
        .replace("mutateDigest: true", "mutateDigest: false")
        .replace("verifyDigest: true", "verifyDigest: false");
    let engine = engine(&audit);
    let object = pod("audited", &[&w.unsigned.0], &[]);
    let r = mutate(&engine, &object).await;
    assert!(r.allowed());
    let (_, status, _) = only_rule(&r);
    assert_eq!(status, RuleStatus::Fail);
    assert_eq!(r.warnings().len(), 1);
    assert!(r.warnings()[0].starts_with(
        "policy verify-image-signatures.check-image-signature: failed to verify image"
    ));
    assert!(r.blocked_message().is_none());
    // Audit with mutateDigest is refused when loading, as Kyverno does.
    let err = PolicySet::from_yaml_str(
        "x.yaml",
        &enforce.replace("failureAction: Enforce", "failureAction: Audit"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("mutateDigest must be set to false for 'Audit' failure action"),
        "{err}"
    );

    // A registry that does not answer: an error, blocking under failurePolicy Fail only.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let fail_policy = enforce.replace(&w.registry.addr, &dead);
    let object = pod("down", &[&format!("{dead}/policy/app:v1")], &[]);
    let r = mutate(&engine_for(&fail_policy), &object).await;
    let (_, status, message) = only_rule(&r);
    assert_eq!(status, RuleStatus::Error, "{message}");
    assert!(!r.allowed());
    let ignore = fail_policy.replace("failurePolicy: Fail", "failurePolicy: Ignore");
    let engine = engine_for(&ignore);
    assert_eq!(
        engine.policies().failure_policy(),
        boltseal::policy::FailurePolicy::Ignore
    );
    let r = mutate(&engine, &object).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Error);
    assert!(r.allowed());
    assert_eq!(engine.policies().webhook_timeout_seconds(), 15);
}

fn engine_for(yaml: &str) -> Engine {
    engine(yaml)
}

#[tokio::test]
async fn attestors_count_n_of_m() {
    let w = world().await;
    let other = PrivateKey::generate().unwrap();
    let both = format!(
        "{}{}",
        w.key.public_key().to_pem(),
        other.public_key().to_pem()
    );
    let indented: String = both
        .lines()
        .map(|l| format!("                {l}\n"))
        .collect();
    let policy = |count: &str| {
        format!(
            r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: n-of-m}}
spec:
  rules:
  - name: two-keys
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    verifyImages:
    - imageReferences: ["{}/policy/*"]
      failureAction: Enforce
      attestors:
      - {count}
        entries:
        - keys:
            rekor: {{ignoreTlog: true}}
            publicKeys: |
{indented}"#,
            w.registry.addr
        )
    };
    let object = pod("p", &[&w.legacy.0], &[]);
    // Both PEMs in one publicKeys string expand to two entries; unset count means all.
    let r = mutate(&engine(&policy("count: null")), &object).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Fail, "{r:#?}");
    let r = mutate(&engine(&policy("count: 1")), &object).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    let err = PolicySet::from_yaml_str("x.yaml", &policy("count: 3"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("count 3 is larger than the 2 entries"),
        "{err}"
    );
}

#[tokio::test]
async fn slsa_provenance_conditions() {
    let w = world().await;
    let policy = example_policy("require-slsa-provenance.yaml", &w.key, &w.registry);
    let engine = engine(&policy);
    let provenance = |builder: &str| {
        Provenance::builder("https://example.com/build/v1", builder)
            .source(
                "https://github.com/example/app",
                "0123456789abcdef0123456789abcdef01234567",
            )
            .build()
            .unwrap()
            .to_value()
    };
    let good_builder =
        "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main";
    let (store, good, _) = push(&w.registry, "policy/built", "good", "good").await;
    attest_image(
        &store,
        &tag("good"),
        &good,
        &w.key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", provenance(good_builder)),
    )
    .await
    .unwrap();
    let (_, bundle, _) = push(&w.registry, "policy/built", "bundle", "bundle").await;
    attest_image(
        &store,
        &tag("bundle"),
        &bundle,
        &w.key,
        &AttestOptions::new("https://slsa.dev/provenance/v1", provenance(good_builder))
            .format(SignatureFormat::Bundle),
    )
    .await
    .unwrap();
    let (_, rogue, _) = push(&w.registry, "policy/built", "rogue", "rogue").await;
    attest_image(
        &store,
        &tag("rogue"),
        &rogue,
        &w.key,
        &AttestOptions::new(
            "https://slsa.dev/provenance/v1",
            provenance("https://evil.example/builder"),
        ),
    )
    .await
    .unwrap();

    for image in [&good, &bundle] {
        let r = mutate(&engine, &pod("p", &[image], &[])).await;
        let (_, status, message) = only_rule(&r);
        assert_eq!(status, RuleStatus::Pass, "{image}: {message}");
        assert!(
            message.starts_with("verified image attestations for"),
            "{message}"
        );
        assert!(r.allowed());
        assert_eq!(r.patches().len(), 1);
    }
    let r = mutate(&engine, &pod("p", &[&rogue], &[])).await;
    expect_rule(
        &r,
        RuleStatus::Fail,
        "image attestations verification failed, verifiedCount: 0, requiredCount: 1",
    );
    assert!(!r.allowed());
    // Signed but no provenance at all.
    let r = mutate(&engine, &pod("p", &[&w.legacy.0], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Fail);
}

#[tokio::test]
async fn policy_apply_example_follows_its_contract() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        example_policy("verify-image-signatures.yaml", &w.key, &w.registry),
    )
    .unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        serde_json::to_string(&pod("good", &[&w.bundle.0], &[])).unwrap(),
    )
    .unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        serde_json::to_string(&pod("bad", &[&w.unsigned.0], &[])).unwrap(),
    )
    .unwrap();
    let bin = support::example("policy-apply");
    let apply = |resource: &std::path::Path| {
        Command::new(&bin)
            .arg("--policy")
            .arg(&policy)
            .arg("--resource")
            .arg(resource)
            .output()
            .unwrap()
    };
    let out = apply(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["policy"], "verify-image-signatures");
    assert_eq!(lines[0]["rule"], "check-image-signature");
    assert_eq!(lines[0]["resource"], "Pod/apps/good");
    assert_eq!(lines[0]["result"], "pass");
    assert_eq!(
        lines[0]["patches"],
        json!([{"op": "replace", "path": "/spec/containers/0/image", "value": format!("{}@{}", w.bundle.0, w.bundle.1)}])
    );
    let out = apply(&bad);
    assert_eq!(out.status.code(), Some(1));
    let line: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["result"], "fail");
    // A broken policy is an input error.
    std::fs::write(&policy, "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec: {rules: [{name: r, match: {any: [{resources: {kinds: [Pod]}}]}, mutate: {}}]}\n").unwrap();
    let out = apply(&bad);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains("spec.rules[0].mutate: `mutate` is not supported"),
        "{stderr}"
    );
}

/// Keyless signatures and attestations from a private Sigstore instance (its
/// `trusted_root.json` given in `roots`): the right identity is admitted and the SLSA
/// condition checked; another subject, or an attestation condition that does not hold, is
/// refused.
#[tokio::test]
async fn keyless_signatures_and_attestations() {
    use boltseal::envelope::intoto::Statement;
    use boltseal::envelope::predicate;

    const ID: &str = "dev@example.com";
    const ISSUER: &str = "https://issuer.example";
    let registry = support::Registry::start();
    let sigstore = private_sigstore::Instance::new();
    let leaf = sigstore.leaf(ID, ISSUER);
    let (store, text, digest) = push(&registry, "keyless/app", "v1", "keyless").await;
    let repo = registry.repo("keyless/app");
    let signature = Statement::for_image(&digest, predicate::COSIGN_SIGN_V1, json!({})).to_bytes();
    support::push_bundle_referrer(
        &store,
        &sigstore.dsse_bundle(&leaf, &signature),
        predicate::COSIGN_SIGN_V1,
    )
    .await;
    let slsa = Statement::for_image(
        &digest,
        "https://slsa.dev/provenance/v1",
        json!({"buildDefinition": {"buildType": "https://example.com/build/v1"}}),
    )
    .with_subject_name(&repo)
    .to_bytes();
    support::push_bundle_referrer(
        &store,
        &sigstore.dsse_bundle(&leaf, &slsa),
        "https://slsa.dev/provenance/v1",
    )
    .await;

    let roots = String::from_utf8(sigstore.trusted_root_json()).unwrap();
    let policy = |subject: &str, build_type: &str| {
        json!({
            "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
            "metadata": {"name": "keyless"},
            "spec": {"rules": [{
                "name": "keyless",
                "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                "verifyImages": [{
                    "imageReferences": [format!("{}/keyless/*", registry.addr)],
                    "failureAction": "Enforce",
                    "attestors": [{"entries": [{"keyless": {
                        "subject": subject, "issuer": ISSUER, "roots": roots}}]}],
                    "attestations": [{
                        "type": "https://slsa.dev/provenance/v1",
                        "attestors": [{"entries": [{"keyless": {
                            "subjectRegExp": "^.*@example\\.com$", "issuerRegExp": "^https://issuer\\.example$",
                            "roots": roots}}]}],
                        "conditions": [{"all": [{
                            "key": "{{ buildDefinition.buildType }}", "operator": "Equals", "value": build_type}]}]
                    }]
                }]
            }]}
        })
        .to_string()
    };
    let object = pod("keyless", &[&text], &[]);
    let r = mutate(&engine(&policy(ID, "https://example.com/build/*")), &object).await;
    let (_, status, message) = only_rule(&r);
    assert_eq!(status, RuleStatus::Pass, "{message}");
    assert!(r.allowed());
    assert_eq!(r.patches()[0].value, json!(format!("{text}@{digest}")));

    let r = mutate(
        &engine(&policy(
            "someone@example.com",
            "https://example.com/build/*",
        )),
        &object,
    )
    .await;
    expect_rule(&r, RuleStatus::Fail, ".attestors[0].entries[0].keyless: ");
    assert!(!r.allowed());

    let r = mutate(&engine(&policy(ID, "https://other.example/*")), &object).await;
    expect_rule(
        &r,
        RuleStatus::Fail,
        "image attestations verification failed",
    );
}

/// The cold path's registry requests, counted by a proxy in front of the registry: a tag is
/// resolved once, the signature tag and the referrers are read once per image however many
/// attestors are tried, a registry without the referrers API is asked once, and a verified
/// image costs nothing more.
#[tokio::test]
async fn cold_path_registry_requests_are_counted() {
    let w = world().await;
    let proxy = support::CountingProxy::start(w.registry.addr.clone(), Duration::ZERO);
    let other = PrivateKey::generate().unwrap();
    // Two entries, count 1: the first (another key) fails, the second (the signer) passes.
    let both = format!(
        "{}{}",
        other.public_key().to_pem(),
        w.key.public_key().to_pem()
    );
    let indented: String = both
        .lines()
        .map(|l| format!("                {l}\n"))
        .collect();
    let policy = format!(
        r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: counted}}
spec:
  rules:
  - name: one-of-two-keys
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    verifyImages:
    - imageReferences: ["{}/policy/*"]
      failureAction: Enforce
      attestors:
      - count: 1
        entries:
        - keys:
            rekor: {{ignoreTlog: true}}
            publicKeys: |
{indented}"#,
        proxy.addr
    );
    let engine = engine(&policy);
    let via_proxy = |image: &str| image.replacen(&w.registry.addr, &proxy.addr, 1);

    // Legacy signature: HEAD tag; `.sig` manifest and its blob; the referrers API (404 from
    // distribution 2.8) and the referrers tag, asked together while the registry is unknown.
    let legacy = via_proxy(&w.legacy.0);
    let before = proxy.count();
    let r = mutate(&engine, &pod("p", &[&legacy], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    assert_eq!(proxy.count() - before, 5, "legacy image, registry unknown");

    // Bundle signature on the same engine: the registry is known to lack the referrers API.
    // HEAD tag; `.sig` (404); the referrers tag, the referrer manifest and the bundle blob.
    let bundle = via_proxy(&w.bundle.0);
    let before = proxy.count();
    let r = mutate(&engine, &pod("p", &[&bundle], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    assert_eq!(proxy.count() - before, 5, "bundle image, registry known");

    // Verified images again: answered from the cache, also once pinned (validate phase).
    let before = proxy.count();
    let r = mutate(&engine, &pod("p", &[&legacy, &bundle], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    assert_eq!(proxy.count() - before, 0, "verified images");
}

/// `keys` attestors require a transparency-log entry unless `rekor.ignoreTlog: true`, as in
/// Kyverno: the SET must verify with `rekor.pubkey` (or the public Rekor log's keys) and the
/// entry must record this signature. An unlogged signature, a SET by another log and a bundle
/// (whose log entry boltseal does not check against a Rekor key) are refused; a log that
/// cannot be checked offline (a `url` without `pubkey`) is refused at load.
#[tokio::test]
async fn transparency_log_required_unless_ignored() {
    use base64::Engine as _;
    use boltseal::oci::Manifest;

    let w = world().await;
    let sigstore = private_sigstore::Instance::new();
    // A legacy signature logged in the test instance's Rekor: the layer gains the bundle
    // annotation, as `cosign sign --key` writes it.
    let (store, logged, logged_d) = push(&w.registry, "policy/app", "logged", "logged").await;
    sign_image(&store, &tag("logged"), &logged, &w.key, &SignOptions::new())
        .await
        .unwrap();
    let sig_tag = signature_tag(&logged_d, "sig");
    let Manifest::Image(mut m) = store
        .get_manifest(&tag(&sig_tag))
        .await
        .unwrap()
        .parse()
        .unwrap()
    else {
        panic!("signature manifest is an index")
    };
    let layer = &mut m.layers[0];
    let payload = support::read_blob(&store, layer).await;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&layer.annotations["dev.cosignproject.cosign/signature"])
        .unwrap();
    layer.annotations.insert(
        "dev.sigstore.cosign/bundle".to_owned(),
        sigstore.legacy_key_signature_bundle(&w.key.public_key().to_pem(), &payload, &signature),
    );
    store
        .put_manifest(&m.to_raw().unwrap(), Some(&sig_tag))
        .await
        .unwrap();

    let indent = |pem: &str, pad: usize| -> String {
        pem.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(pad)))
            .collect()
    };
    let policy = |rekor: &str| {
        format!(
            r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: logged}}
spec:
  rules:
  - name: logged-signatures
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    verifyImages:
    - imageReferences: ["{}/policy/*"]
      failureAction: Enforce
      attestors:
      - entries:
        - keys:
{rekor}            publicKeys: |
{}"#,
            w.registry.addr,
            indent(&w.key.public_key().to_pem(), 14)
        )
    };
    let with_pubkey = |pem: &str| {
        format!(
            "            rekor:\n              pubkey: |\n{}",
            indent(pem, 16)
        )
    };
    let ours = engine(&policy(&with_pubkey(&sigstore.rekor_public_pem())));
    // Logged in the named log: admitted.
    let r = mutate(&ours, &pod("p", &[&logged], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    // Signed but never logged, in both layouts: refused, saying why.
    for image in [&w.legacy.0, &w.bundle.0] {
        let r = mutate(&ours, &pod("p", &[image], &[])).await;
        let (_, status, message) = only_rule(&r);
        assert_eq!(status, RuleStatus::Fail, "{r:#?}");
        assert!(
            message.contains("transparency-log entry is required"),
            "{message}"
        );
    }
    // Logged, but the policy trusts another log.
    let other_log = PrivateKey::generate().unwrap();
    let theirs = engine(&policy(&with_pubkey(&other_log.public_key().to_pem())));
    let r = mutate(&theirs, &pod("p", &[&logged], &[])).await;
    let (_, status, message) = only_rule(&r);
    assert_eq!(status, RuleStatus::Fail, "{r:#?}");
    assert!(message.contains("Rekor SET does not verify"), "{message}");
    // No `rekor` at all: the public Rekor log is required; our test log is not it.
    let public = engine(&policy(""));
    let r = mutate(&public, &pod("p", &[&logged], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Fail, "{r:#?}");
    // ignoreTlog: the key alone decides, logged or not.
    let key_only = engine(&policy("            rekor: {ignoreTlog: true}\n"));
    let r = mutate(&key_only, &pod("p", &[&logged, &w.legacy.0], &[])).await;
    assert_eq!(only_rule(&r).1, RuleStatus::Pass, "{r:#?}");
    // Another log by URL only cannot be checked offline: refused at load, naming the field.
    let err = PolicySet::from_yaml_str(
        "x.yaml",
        &policy("            rekor: {url: \"https://rekor.example.com\"}\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("rekor.url") && err.contains("pubkey"), "{err}");
}
