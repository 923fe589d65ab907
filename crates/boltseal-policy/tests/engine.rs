//! Engine behaviour that does not need a registry: images of one request are verified
//! concurrently, each distinct image once, and successes are cached. The verifier here is an
//! in-process recorder (what the engine asks and how many calls overlap); registry-backed
//! verification is proven in the workspace's `tests/policy.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use boltseal_policy::stub::{DIGEST, StubVerifier};
use boltseal_policy::{AdmissionInput, Engine, Operation, Phase, PolicySet, RuleStatus};
use serde_json::json;

/// A verifier answering at once, after giving the other verifications a chance to start.
fn recorder() -> StubVerifier {
    StubVerifier::new().with_latency(|| async {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    })
}

/// A verifier a registry's round trip away; images whose name contains `bad` are refused.
fn distant() -> StubVerifier {
    StubVerifier::new()
        .with_latency(|| tokio::time::sleep(std::time::Duration::from_millis(25)))
        .refusing("bad")
}

const POLICY: &str = r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: signed}
spec:
  rules:
  - name: keys
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: ["ghcr.io/org/*"]
      failureAction: Enforce
      attestors:
      - entries:
        - keys:
            rekor: {ignoreTlog: true}
            publicKeys: |
              -----BEGIN PUBLIC KEY-----
              MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnFX+0SsVivk7OjCHnPZx6GjfKXbo
              qzMFak4IQg4ujWpEiF6FRhST1rnPzeajHUhvuv58bFsO0AP2H1kuqEVvPg==
              -----END PUBLIC KEY-----
"#;

#[tokio::test(flavor = "current_thread")]
async fn distinct_images_verified_concurrently_once_each_then_cached() {
    let recorder = Arc::new(recorder());
    let engine = Engine::new(
        PolicySet::from_yaml_str("p.yaml", POLICY).unwrap(),
        recorder.clone(),
    );
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "initContainers": [{"name": "i", "image": "ghcr.io/org/a:1"}],
            "containers": [
                {"name": "a", "image": "ghcr.io/org/a:1"},
                {"name": "b", "image": "ghcr.io/org/b:1"},
                {"name": "c", "image": "ghcr.io/org/c:1"}
            ]
        }
    });
    let input = AdmissionInput::new(Phase::Mutate, Operation::Create, pod);
    let r = engine.evaluate(&input).await;
    assert!(r.allowed());
    // Three distinct images, three calls, all in flight together.
    assert_eq!(recorder.calls(), 3);
    assert_eq!(recorder.max_in_flight(), 3);
    // Every container is pinned, the duplicated image at both places.
    let paths: Vec<&str> = r.patches().iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/spec/initContainers/0/image",
            "/spec/containers/0/image",
            "/spec/containers/1/image",
            "/spec/containers/2/image"
        ]
    );
    assert_eq!(
        r.patches()[0].value,
        json!(format!("ghcr.io/org/a:1@{DIGEST}"))
    );
    // Again: answered from the cache, no verifier call.
    let again = engine.evaluate(&input).await;
    assert_eq!(recorder.calls(), 3);
    let (_, rule) = again.results().next().unwrap();
    assert_eq!(rule.status, RuleStatus::Pass);
    assert!(
        rule.message.contains("verified from cache"),
        "{}",
        rule.message
    );
    // The validating call on the pinned Pod is answered from the cache too.
    let pinned = r.patched.clone().unwrap();
    let v = engine
        .evaluate(&AdmissionInput::new(
            Phase::Validate,
            Operation::Create,
            pinned,
        ))
        .await;
    assert!(v.allowed(), "{v:#?}");
    assert_eq!(recorder.calls(), 3);
    // Without a cache every evaluation verifies.
    let uncached = Engine::new(
        PolicySet::from_yaml_str("p.yaml", POLICY).unwrap(),
        recorder.clone(),
    )
    .with_cache_ttl(std::time::Duration::ZERO);
    uncached.evaluate(&input).await;
    assert_eq!(recorder.calls(), 6);
}

fn validate_now(engine: &Engine, input: &AdmissionInput) -> boltseal_policy::EngineResponse {
    futures_util::FutureExt::now_or_never(engine.evaluate(input)).unwrap()
}

#[test]
fn variables_namespaced_policies_updates_and_deletes() {
    let policies = PolicySet::from_yaml_str(
        "p.yaml",
        r#"
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: registries, namespace: team-a}
spec:
  validationFailureAction: enforce
  rules:
  - name: ghcr-only
    match: {any: [{resources: {kinds: [Pod], operations: [CREATE, UPDATE, DELETE]}}]}
    preconditions:
      all:
      - {key: "{{ request.object.metadata.labels.check || 'yes' }}", operator: NotEquals, value: "no"}
    validate:
      message: "image {{ images.containers.web.registry }}/{{ images.containers.web.path }} is not allowed"
      deny:
        conditions:
          any:
          - {key: "{{ images.containers.web.registry }}", operator: NotEquals, value: ghcr.io}
"#,
    )
    .unwrap();
    let engine = Engine::new(policies, Arc::new(recorder()));
    let pod = |ns: &str, image: &str, check: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p", "namespace": ns, "labels": {"check": check}},
               "spec": {"containers": [{"name": "web", "image": image}]}})
    };
    let create = |object| AdmissionInput::new(Phase::Validate, Operation::Create, object);

    // Kyverno's normalization feeds `images`: `nginx` is docker.io/nginx.
    let r = validate_now(&engine, &create(pod("team-a", "nginx:1", "yes")));
    assert!(!r.allowed());
    let (p, rule) = r.results().next().unwrap();
    assert_eq!(p.qualified_name(), "team-a/registries");
    assert_eq!(rule.message, "image docker.io/nginx is not allowed");
    assert!(validate_now(&engine, &create(pod("team-a", "ghcr.io/org/app:1", "yes"))).allowed());
    // A namespaced Policy does not apply elsewhere.
    assert_eq!(
        validate_now(&engine, &create(pod("team-b", "nginx:1", "yes")))
            .results()
            .count(),
        0
    );
    // Preconditions not met: skipped.
    let r = validate_now(&engine, &create(pod("team-a", "nginx:1", "no")));
    assert_eq!(r.results().next().unwrap().1.status, RuleStatus::Skip);
    assert!(r.allowed());
    // UPDATE of an object that already violated the rule: allowed (pre-existing violation).
    let update = AdmissionInput::new(
        Phase::Validate,
        Operation::Update,
        pod("team-a", "nginx:2", "yes"),
    )
    .with_old_object(pod("team-a", "nginx:1", "yes"));
    let r = validate_now(&engine, &update);
    assert_eq!(r.results().next().unwrap().1.status, RuleStatus::Skip);
    // UPDATE that introduces the violation: refused.
    let update = AdmissionInput::new(
        Phase::Validate,
        Operation::Update,
        pod("team-a", "nginx:2", "yes"),
    )
    .with_old_object(pod("team-a", "ghcr.io/org/app:1", "yes"));
    assert!(!validate_now(&engine, &update).allowed());
    // DELETE looks at the old object.
    let delete = AdmissionInput::new(Phase::Validate, Operation::Delete, serde_json::Value::Null)
        .with_old_object(pod("team-a", "nginx:1", "yes"));
    let r = validate_now(&engine, &delete);
    assert_eq!(r.resource.to_string(), "Pod/team-a/p");
    assert_eq!(r.results().next().unwrap().1.status, RuleStatus::Fail);
}

fn keyless_policy(identity: &str) -> String {
    format!(
        r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: keyless}}
spec:
  rules:
  - name: keyless
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    verifyImages:
    - imageReferences: ["ghcr.io/org/*"]
      attestors:
      - entries:
        - keyless:
{identity}
"#
    )
}

#[test]
fn keyless_attestor_constraining_no_identity_is_refused_at_load() {
    let text = keyless_policy("            rekor: {url: https://rekor.sigstore.dev}");
    let err = PolicySet::from_yaml_str("p.yaml", &text).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("must constrain the signer's identity"),
        "{message}"
    );
    assert!(message.contains("keyless"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn unanchored_identity_patterns_are_warned_about_at_load() {
    let text = keyless_policy(
        "            subjectRegExp: '.*@example\\.com'\n            issuer: https://accounts.google.com",
    );
    let set = PolicySet::from_yaml_str("p.yaml", &text).unwrap();
    assert!(
        set.warnings()
            .iter()
            .any(|w| w.contains("subjectRegExp") && w.contains("not anchored")),
        "{:?}",
        set.warnings()
    );
    let anchored = keyless_policy(
        "            subjectRegExp: '^.*@example\\.com$'\n            issuer: https://accounts.google.com",
    );
    let set = PolicySet::from_yaml_str("p.yaml", &anchored).unwrap();
    assert!(
        !set.warnings().iter().any(|w| w.contains("not anchored")),
        "{:?}",
        set.warnings()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_herd_shares_one_verification_per_image_and_refusals_briefly() {
    let distant = Arc::new(distant());
    let engine = Arc::new(
        Engine::new(
            PolicySet::from_yaml_str("p.yaml", POLICY).unwrap(),
            distant.clone(),
        )
        .with_failure_ttl(std::time::Duration::from_millis(300)),
    );
    let review = |image: &'static str, i: usize| {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move {
            let pod = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": image}]}
            });
            let input = AdmissionInput::new(Phase::Mutate, Operation::Create, pod);
            engine.evaluate(&input).await.allowed()
        })
    };
    let good: Vec<_> = (0..200).map(|i| review("ghcr.io/org/good:1", i)).collect();
    let bad: Vec<_> = (0..200).map(|i| review("ghcr.io/org/bad:1", i)).collect();
    for r in good {
        assert!(r.await.unwrap(), "a signed Pod was refused");
    }
    for r in bad {
        assert!(!r.await.unwrap(), "an unsigned Pod was admitted");
    }
    assert_eq!(distant.calls_for("ghcr.io/org/good:1"), 1);
    assert_eq!(distant.calls_for("ghcr.io/org/bad:1"), 1);
    let stats = engine.verification_stats();
    assert_eq!(stats.verifications, 2, "{stats:?}");
    assert_eq!(
        stats.joined + stats.cache_hits + stats.failure_hits,
        398,
        "{stats:?}"
    );

    // The refusal is remembered briefly: a fixed signature is seen soon after.
    assert!(!review("ghcr.io/org/bad:1", 0).await.unwrap());
    assert_eq!(distant.calls_for("ghcr.io/org/bad:1"), 1);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!review("ghcr.io/org/bad:1", 0).await.unwrap());
    assert_eq!(distant.calls_for("ghcr.io/org/bad:1"), 2);
    // The success is remembered for the cache's lifetime.
    assert!(review("ghcr.io/org/good:1", 0).await.unwrap());
    assert_eq!(distant.calls_for("ghcr.io/org/good:1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_entry_is_refreshed_once_under_load() {
    let distant = Arc::new(distant());
    let engine = Arc::new(
        Engine::new(
            PolicySet::from_yaml_str("p.yaml", POLICY).unwrap(),
            distant.clone(),
        )
        .with_cache_ttl(std::time::Duration::from_millis(200)),
    );
    let herd = |n: usize| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let engine = Arc::clone(&engine);
                tokio::spawn(async move {
                    let pod = json!({
                        "apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": format!("p{i}"), "namespace": "default"},
                        "spec": {"containers": [{"name": "c", "image": "ghcr.io/org/good:1"}]}
                    });
                    let input = AdmissionInput::new(Phase::Mutate, Operation::Create, pod);
                    engine.evaluate(&input).await.allowed()
                })
            })
            .collect();
        async move {
            for h in handles {
                assert!(h.await.unwrap());
            }
        }
    };
    herd(50).await;
    assert_eq!(distant.calls_for("ghcr.io/org/good:1"), 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    herd(50).await;
    assert_eq!(distant.calls_for("ghcr.io/org/good:1"), 2);
}
