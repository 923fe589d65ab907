//! Engine behaviour that does not need a registry: images of one request are verified
//! concurrently, each distinct image once, and successes are cached. The verifier here is an
//! in-process recorder (what the engine asks and how many calls overlap); registry-backed
//! verification is proven in the workspace's `tests/policy.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use boltseal_policy::{
    AdmissionInput, AttestationCheck, Engine, Operation, Phase, PolicySet, RuleStatus,
    SignatureCheck, Verifier, VerifyFuture,
};
use boltseal_reference::{Digest, Reference};
use boltseal_verify::verifier::AttestorSet;
use serde_json::json;

const DIGEST: &str = "sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097";

#[derive(Default)]
struct Recorder {
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Verifier for Recorder {
    fn verify_signatures<'a>(
        &'a self,
        _: &'a Reference,
        _: &'a AttestorSet,
    ) -> VerifyFuture<'a, SignatureCheck> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            // Give the other verifications a chance to start.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(SignatureCheck::new(DIGEST.parse().unwrap(), Vec::new()))
        })
    }

    fn verify_attestations<'a>(
        &'a self,
        _: &'a Reference,
        _: &'a AttestorSet,
        _: &'a str,
    ) -> VerifyFuture<'a, AttestationCheck> {
        Box::pin(async { Ok(AttestationCheck::new(DIGEST.parse().unwrap(), Vec::new())) })
    }

    fn resolve<'a>(&'a self, _: &'a Reference) -> VerifyFuture<'a, Digest> {
        Box::pin(async { Ok(DIGEST.parse().unwrap()) })
    }
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
    let recorder = Arc::new(Recorder::default());
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
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3);
    assert_eq!(recorder.max_in_flight.load(Ordering::SeqCst), 3);
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
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3);
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
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 3);
    // Without a cache every evaluation verifies.
    let uncached = Engine::new(
        PolicySet::from_yaml_str("p.yaml", POLICY).unwrap(),
        recorder.clone(),
    )
    .with_cache_ttl(std::time::Duration::ZERO);
    uncached.evaluate(&input).await;
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 6);
}
