//! [`PolicyReviewer`]: the webhook's decisions from boltseal-policy's Kyverno-compatible
//! engine.

use std::sync::Arc;
use std::time::Duration;

use boltseal_policy::{
    AdmissionInput, Engine, EngineResponse, FailurePolicy as PolicyFailure, RuleStatus,
};

use crate::review::{AdmissionRequest, AdmissionResponse, Operation};
use crate::server::{FailurePolicy, Phase, Reviewer};

/// Answers reviews with an [`Engine`]: `/mutate` runs Kyverno's mutate phase (image
/// verification, digest patches), `/validate` its validate phase (`validate` rules,
/// `verifyDigest` / `required`). A request is refused when a policy blocks it (a failed Enforce
/// rule, or an error under `failurePolicy: Fail`) with Kyverno's message; Audit failures and
/// errors under `failurePolicy: Ignore` become warnings.
#[derive(Clone, Debug)]
pub struct PolicyReviewer {
    engine: Arc<Engine>,
}

impl PolicyReviewer {
    /// A reviewer over `engine`.
    #[must_use]
    pub fn new(engine: Arc<Engine>) -> Self {
        PolicyReviewer { engine }
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's input for a request.
    #[must_use]
    pub fn input(phase: Phase, request: &AdmissionRequest) -> AdmissionInput {
        let phase = match phase {
            Phase::Mutate => boltseal_policy::Phase::Mutate,
            Phase::Validate => boltseal_policy::Phase::Validate,
        };
        let operation = match request.operation {
            Operation::Create => boltseal_policy::Operation::Create,
            Operation::Update => boltseal_policy::Operation::Update,
            Operation::Delete => boltseal_policy::Operation::Delete,
            Operation::Connect => boltseal_policy::Operation::Connect,
        };
        let object = request.object.clone().unwrap_or_default();
        let mut input = AdmissionInput::new(phase, operation, object)
            .with_subresource(request.sub_resource.clone())
            .with_user_info(boltseal_policy::UserInfo::new(
                request.user_info.username.clone(),
                request.user_info.groups.clone(),
            ));
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
            if rule.status == RuleStatus::Error && policy.failure_policy == PolicyFailure::Ignore {
                response = response.with_warning(&format!(
                    "policy {}.{}: {} (failurePolicy Ignore)",
                    policy.policy, rule.rule, rule.message
                ));
            }
        }
        response
    }
}

impl Reviewer for PolicyReviewer {
    async fn review(&self, phase: Phase, request: &AdmissionRequest) -> AdmissionResponse {
        let input = Self::input(phase, request);
        let result = self.engine.evaluate(&input).await;
        Self::response(&request.uid, &result)
    }

    fn failure_policy(&self, _phase: Phase, _request: &AdmissionRequest) -> FailurePolicy {
        match self.engine.policies().failure_policy() {
            PolicyFailure::Ignore => FailurePolicy::Ignore,
            _ => FailurePolicy::Fail,
        }
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
