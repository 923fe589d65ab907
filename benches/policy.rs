//! Policy evaluation cost without the network: the wildcard matcher (including a pattern that
//! makes a backtracking matcher exponential), the validate pattern walk, policy loading, and
//! warm-cache evaluation of a 3-container Pod — the mutate phase of the example
//! `verify-image-signatures` policy (answered from the engine's verification cache, digest
//! patches built) and the validate phase of the example trusted-registries, require-digest
//! and signature policies. The verifier is an in-process stand-in that is called only while
//! warming the cache; what is measured is the engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;

use boltseal::policy::stub::{DIGEST, StubVerifier};
use boltseal::policy::{AdmissionInput, Engine, Operation, Phase, PolicySet, pattern, wildcard};
use serde_json::{Value, json};

fn main() {
    divan::main();
}

fn policies_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies")
}

fn pod(pinned: bool) -> Value {
    let image = |name: &str| {
        if pinned {
            format!("registry.example.com/apps/{name}:v1@{DIGEST}")
        } else {
            format!("registry.example.com/apps/{name}:v1")
        }
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
        "spec": {
            "initContainers": [{"name": "init", "image": image("init")}],
            "containers": [
                {"name": "web", "image": image("web")},
                {"name": "sidecar", "image": image("sidecar")}
            ]
        }
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[divan::bench]
fn wildcard_image_reference() -> bool {
    wildcard::matches(
        black_box("ghcr.io/org/*"),
        black_box("ghcr.io/org/team/app:v1.2.3"),
    )
}

#[divan::bench]
fn wildcard_pathological() -> bool {
    // Exponential for a recursive matcher; a few hundred steps here.
    wildcard::matches(
        black_box("*a*a*a*a*a*a*a*a*b"),
        black_box("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    )
}

#[divan::bench]
fn pattern_trusted_registries(bencher: divan::Bencher<'_, '_>) {
    let p = json!({"spec": {
        "=(ephemeralContainers)": [{"image": "registry.example.com/* | ghcr.io/example/*"}],
        "=(initContainers)": [{"image": "registry.example.com/* | ghcr.io/example/*"}],
        "containers": [{"image": "registry.example.com/* | ghcr.io/example/*"}]}});
    let r = pod(false);
    bencher.bench(|| pattern::validate(black_box(&r), black_box(&p)).is_ok());
}

#[divan::bench]
fn load_example_policies() -> usize {
    PolicySet::from_paths(&[policies_dir()])
        .unwrap()
        .policies()
        .len()
}

#[divan::bench]
fn warm_mutate_3_containers(bencher: divan::Bencher<'_, '_>) {
    let set =
        PolicySet::from_paths(&[policies_dir().join("verify-image-signatures.yaml")]).unwrap();
    let engine = Engine::new(set, Arc::new(StubVerifier::new()));
    let rt = runtime();
    let input = AdmissionInput::new(Phase::Mutate, Operation::Create, pod(false));
    let first = rt.block_on(engine.evaluate(&input));
    assert!(first.allowed() && first.patches().len() == 3);
    bencher.bench(|| {
        let r = rt.block_on(engine.evaluate(black_box(&input)));
        debug_assert!(r.results().next().unwrap().1.message.contains("cache"));
        r.patch_json()
    });
}

#[divan::bench]
fn warm_validate_3_containers(bencher: divan::Bencher<'_, '_>) {
    let set = PolicySet::from_paths(&[
        policies_dir().join("verify-image-signatures.yaml"),
        policies_dir().join("trusted-registries.yaml"),
        policies_dir().join("require-digest.yaml"),
    ])
    .unwrap();
    let engine = Engine::new(set, Arc::new(StubVerifier::new()));
    let rt = runtime();
    // Warm the cache through the mutate phase, then validate the pinned Pod.
    rt.block_on(engine.evaluate(&AdmissionInput::new(
        Phase::Mutate,
        Operation::Create,
        pod(false),
    )));
    let input = AdmissionInput::new(Phase::Validate, Operation::Create, pod(true));
    assert!(rt.block_on(engine.evaluate(&input)).allowed());
    bencher.bench(|| rt.block_on(engine.evaluate(black_box(&input))).allowed());
}
