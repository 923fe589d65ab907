//! [`PolicyReviewer`]: the webhook's decisions from boltseal-policy's Kyverno-compatible
//! engine.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use boltseal_policy::{
    AdmissionInput, Engine, EngineResponse, FailurePolicy, Operation, Phase, RuleStatus,
    VerificationSource,
};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Map, Value, json};

use crate::namespaces::NamespaceLabelSource;
use crate::review::{AdmissionRequest, AdmissionResponse};
use crate::server::Reviewer;

/// The annotation Kyverno's mutating webhook sets on a resource whose images it verified: a
/// JSON object mapping each verified image (as the request named it, normalized) to `"pass"`.
pub const VERIFY_IMAGES_ANNOTATION: &str = "kyverno.io/verify-images";

/// Answers reviews with an [`Engine`]: `/mutate` runs Kyverno's mutate phase (image
/// verification, digest patches, the [`VERIFY_IMAGES_ANNOTATION`]), `/validate` its validate
/// phase (`validate` rules, `verifyDigest` / `required`). A request is refused when a policy
/// blocks it (a failed Enforce rule, or an error under `failurePolicy: Fail`) with Kyverno's
/// message; Audit failures and errors under `failurePolicy: Ignore` become warnings.
///
/// Each policy is evaluated on its own, concurrently, under the review's deadline: when it
/// passes, the policies that finished count as usual and each unfinished one is answered by
/// its own `failurePolicy` (`Fail` refuses naming the policy and the deadline, `Ignore` admits
/// with a warning naming it). The validate phase never trusts the annotation — a user can set
/// it — and verifies again (through the engine's cache).
///
/// `namespaceSelector` needs the labels of the request's namespace, which the API server does
/// not send: [`PolicyReviewer::with_namespace_labels`] gives a source. A namespace the source
/// does not know (or no source) has no labels at all.
#[derive(Clone, Debug)]
pub struct PolicyReviewer {
    engine: Arc<Engine>,
    namespaces: Option<Arc<dyn NamespaceLabelSource>>,
}

impl PolicyReviewer {
    /// A reviewer over `engine`.
    #[must_use]
    pub fn new(engine: Arc<Engine>) -> Self {
        PolicyReviewer {
            engine,
            namespaces: None,
        }
    }

    /// Reads the labels of a request's namespace from `source` (for `namespaceSelector`).
    #[must_use]
    pub fn with_namespace_labels(mut self, source: Arc<dyn NamespaceLabelSource>) -> Self {
        self.namespaces = Some(source);
        self
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's input for a request.
    #[must_use]
    pub fn input(phase: Phase, request: &AdmissionRequest) -> AdmissionInput {
        let object = request.object.clone().unwrap_or_default();
        let mut input = AdmissionInput::new(phase, request.operation, object)
            .with_subresource(request.sub_resource.clone())
            .with_user_info(request.user_info.clone());
        if let Some(old) = &request.old_object {
            input = input.with_old_object(old.clone());
        }
        if !request.namespace.is_empty() {
            input = input.with_namespace(request.namespace.clone());
        }
        input
    }

    /// The admission response for an engine result.
    #[must_use]
    pub fn response(uid: &str, result: &EngineResponse) -> AdmissionResponse {
        let mut response = match result.blocked_message() {
            Some(message) => AdmissionResponse::deny(uid, &message),
            None => {
                let mut allow = AdmissionResponse::allow(uid);
                if let Some(patch) = result.patch_json() {
                    allow.patch = Some(patch);
                    allow.patch_type = Some(crate::review::PatchType::JsonPatch);
                }
                allow
            }
        };
        for warning in result.warnings() {
            response = response.with_warning(&warning);
        }
        for (policy, rule) in result.results() {
            if rule.status == RuleStatus::Error && policy.failure_policy == FailurePolicy::Ignore {
                response = response.with_warning(&format!(
                    "policy {}.{}: {} (failurePolicy Ignore)",
                    policy.policy, rule.rule, rule.message
                ));
            }
        }
        response
    }
}

impl PolicyReviewer {
    /// The engine's input for a request, with its namespace's labels when the source knows
    /// them.
    #[must_use]
    pub fn input_for(&self, phase: Phase, request: &AdmissionRequest) -> AdmissionInput {
        let input = Self::input(phase, request);
        match (&self.namespaces, request.namespace.as_str()) {
            (Some(source), namespace) if !namespace.is_empty() => match source.labels(namespace) {
                Some(labels) => input.with_namespace_labels(labels),
                None => {
                    tracing::debug!(namespace, "namespace labels unknown");
                    input
                }
            },
            _ => input,
        }
    }

    /// Evaluates every policy concurrently, each on its own; with a deadline, the policies
    /// that have not finished when it passes are answered by their `failurePolicy`
    /// ([`Engine::unfinished_policy`]). The results are in policy order; `patched` is not set
    /// (each policy patched the request as it arrived: see [`PolicyReviewer::patch`]).
    pub async fn evaluate(
        &self,
        input: &AdmissionInput,
        deadline: Option<Duration>,
    ) -> EngineResponse {
        let engine = &*self.engine;
        let count = engine.policies().policies().len();
        if count == 0 {
            return engine.evaluate(input).await;
        }
        let mut pending: FuturesUnordered<_> = (0..count)
            .map(|i| async move { (i, engine.evaluate_policy(i, input).await) })
            .collect();
        let mut done: Vec<Option<EngineResponse>> = (0..count).map(|_| None).collect();
        let mut record = |(i, response): (usize, EngineResponse)| {
            if let Some(slot) = done.get_mut(i) {
                *slot = Some(response);
            }
        };
        match deadline {
            None => {
                while let Some(finished) = pending.next().await {
                    record(finished);
                }
            }
            Some(deadline) => {
                let expired = tokio::time::sleep(deadline);
                tokio::pin!(expired);
                loop {
                    tokio::select! {
                        biased;
                        next = pending.next() => match next {
                            Some(finished) => record(finished),
                            None => break,
                        },
                        () = &mut expired => break,
                    }
                }
            }
        }
        drop(pending);
        let mut combined: Option<EngineResponse> = None;
        for (i, response) in done.into_iter().enumerate() {
            let response = match response {
                Some(r) => r,
                None => {
                    let fail = engine
                        .policies()
                        .policies()
                        .get(i)
                        .is_none_or(|p| p.failure_policy() != FailurePolicy::Ignore);
                    let message = format!(
                        "policy evaluation did not finish within {} ms (the deadline below the webhook timeout){}",
                        deadline.unwrap_or_default().as_millis(),
                        if fail {
                            "; failurePolicy Fail refuses the request"
                        } else {
                            ""
                        }
                    );
                    engine.unfinished_policy(i, input, &message).await
                }
            };
            match &mut combined {
                None => combined = Some(response),
                Some(c) => c.policies.extend(response.policies),
            }
        }
        let response = match combined {
            Some(mut c) => {
                c.patched = None;
                c
            }
            None => engine.evaluate(input).await,
        };
        log_verifications(&response);
        response
    }

    /// The JSON Patch for an admitted request: the rules' patches (one per path, in policy
    /// and rule order) and, in the mutate phase of a CREATE or UPDATE whose images were
    /// verified, Kyverno's [`VERIFY_IMAGES_ANNOTATION`].
    #[must_use]
    pub fn patch(&self, input: &AdmissionInput, result: &EngineResponse) -> Vec<Value> {
        let mut seen = HashSet::new();
        let mut ops: Vec<Value> = result
            .patches()
            .into_iter()
            .filter(|p| seen.insert(p.path.as_str()))
            .map(|p| p.to_json())
            .collect();
        let writes = matches!(input.operation, Operation::Create | Operation::Update);
        if input.phase == Phase::Mutate && writes {
            let images = self.engine.verified_images(input, result);
            if !images.is_empty() {
                ops.extend(verify_images_annotation(&input.object, &images));
            }
        }
        ops
    }

    async fn decide(
        &self,
        phase: Phase,
        request: &AdmissionRequest,
        deadline: Option<Duration>,
    ) -> AdmissionResponse {
        let input = self.input_for(phase, request);
        let result = self.evaluate(&input, deadline).await;
        let response = Self::response(&request.uid, &result);
        if response.allowed {
            let ops = self.patch(&input, &result);
            response.with_patch(&ops)
        } else {
            response
        }
    }
}

/// The JSON Patch operations Kyverno adds for verified images: `add` of the annotation (an
/// `add` of an empty `/metadata/annotations` first when the object has none), whose value is
/// the JSON text of `{image: "pass"}` with keys sorted.
#[must_use]
pub fn verify_images_annotation(object: &Value, images: &[String]) -> Vec<Value> {
    let data: Map<String, Value> = images
        .iter()
        .map(|i| (i.clone(), Value::String("pass".to_owned())))
        .collect();
    let text = Value::Object(data).to_string();
    let mut ops = Vec::new();
    match object.get("metadata") {
        Some(Value::Object(meta)) => {
            if !meta.get("annotations").is_some_and(Value::is_object) {
                ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
            }
        }
        _ => ops.push(json!({"op": "add", "path": "/metadata", "value": {"annotations": {}}})),
    }
    ops.push(json!({
        "op": "add",
        "path": format!("/metadata/annotations/{}", VERIFY_IMAGES_ANNOTATION.replace('~', "~0").replace('/', "~1")),
        "value": text,
    }));
    ops
}

/// One log line per image this request verified itself (cached and joined answers cost the
/// registry nothing): the image's registry budget, as operators look for it.
fn log_verifications(response: &EngineResponse) {
    for (policy, rule) in response.results() {
        for check in rule
            .images
            .iter()
            .filter(|c| c.source == VerificationSource::Verified)
        {
            tracing::info!(
                policy = %policy.policy,
                rule = %rule.rule,
                image = %check.image,
                registry_requests = check.registry_requests,
                status = ?rule.status,
                "image verification"
            );
        }
    }
}

impl Reviewer for PolicyReviewer {
    fn metrics(&self) -> String {
        let stats = self.engine.verification_stats();
        let mut out = String::new();
        for (name, help, value) in [
            (
                "boltseal_verifications_total",
                "Image verifications run (cache misses that reached the registry).",
                stats.verifications,
            ),
            (
                "boltseal_verification_cache_hits_total",
                "Image checks answered from a remembered success.",
                stats.cache_hits,
            ),
            (
                "boltseal_verification_failure_hits_total",
                "Image checks answered from a remembered refusal or error.",
                stats.failure_hits,
            ),
            (
                "boltseal_verification_joined_total",
                "Image checks that waited for another request's verification of the same image.",
                stats.joined,
            ),
            (
                "boltseal_registry_requests_total",
                "HTTP requests sent to registries.",
                boltseal_oci::registry_requests(),
            ),
        ] {
            crate::metrics::write_counter(&mut out, name, help, value);
        }
        out
    }

    async fn review(&self, phase: Phase, request: &AdmissionRequest) -> AdmissionResponse {
        self.decide(phase, request, None).await
    }

    async fn review_within(
        &self,
        phase: Phase,
        request: &AdmissionRequest,
        deadline: Duration,
    ) -> AdmissionResponse {
        self.decide(phase, request, Some(deadline)).await
    }

    fn failure_policy(&self, _phase: Phase, _request: &AdmissionRequest) -> FailurePolicy {
        self.engine.policies().failure_policy()
    }

    fn webhook_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(
            self.engine
                .policies()
                .webhook_timeout_seconds()
                .clamp(1, 30),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotation_patch_creates_annotations_only_when_missing() {
        let images = ["b.io/x:1".to_owned(), "a.io/y@sha256:00".to_owned()];
        let key_path = "/metadata/annotations/kyverno.io~1verify-images";
        let value = r#"{"a.io/y@sha256:00":"pass","b.io/x:1":"pass"}"#;
        let with =
            verify_images_annotation(&json!({"metadata": {"annotations": {"a": "b"}}}), &images);
        assert_eq!(
            with,
            [json!({"op": "add", "path": key_path, "value": value})]
        );
        for object in [
            json!({"metadata": {"name": "p"}}),
            json!({"metadata": {"annotations": null}}),
        ] {
            let ops = verify_images_annotation(&object, &images);
            assert_eq!(
                ops,
                [
                    json!({"op": "add", "path": "/metadata/annotations", "value": {}}),
                    json!({"op": "add", "path": key_path, "value": value}),
                ]
            );
        }
        let ops = verify_images_annotation(&json!({}), &images);
        assert_eq!(
            ops[0],
            json!({"op": "add", "path": "/metadata", "value": {"annotations": {}}})
        );
        assert_eq!(ops[1]["path"], key_path);
    }
}
