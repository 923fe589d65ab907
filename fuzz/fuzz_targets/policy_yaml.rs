//! Policy loading: arbitrary text is either a policy set or an error, never a panic, a hang
//! or an unbounded allocation; what loads evaluates a Pod without panicking.
#![no_main]

use std::sync::Arc;

use boltseal_policy::{AdmissionInput, Engine, Offline, Operation, Phase, PolicySet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = boltseal_policy::yaml::documents(text);
    let Ok(set) = PolicySet::from_yaml_str("fuzz.yaml", text) else {
        return;
    };
    let engine = Engine::new(set, Arc::new(Offline));
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}],
                 "initContainers": [{"name": "i", "image": "ghcr.io/org/app@sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097"}]}
    });
    for phase in [Phase::Mutate, Phase::Validate] {
        let input = AdmissionInput::new(phase, Operation::Create, pod.clone());
        let _ = futures_util::FutureExt::now_or_never(engine.evaluate(&input));
    }
});
