//! What evaluation returns: per-rule results, JSON patches, the admission decision and
//! Kyverno-shaped messages.

use serde_json::Value;

use crate::admission::FailurePolicy;
use crate::patch::PatchOperation;
use crate::policy::FailureAction;

/// A rule's outcome (the policy-report result).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleStatus {
    /// The resource satisfies the rule.
    Pass,
    /// The resource violates the rule.
    Fail,
    /// The rule did not apply (preconditions, condition anchors, skipped images).
    Skip,
    /// The rule could not be evaluated (registry unreachable, bad variable, unsupported).
    Error,
    /// A warning (not produced by the rules supported so far; kept for report parity).
    Warn,
}

impl RuleStatus {
    /// `pass`, `fail`, `skip`, `error` or `warn`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Fail => "fail",
            RuleStatus::Skip => "skip",
            RuleStatus::Error => "error",
            RuleStatus::Warn => "warn",
        }
    }
}

impl std::fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RuleStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pass" => Ok(RuleStatus::Pass),
            "fail" => Ok(RuleStatus::Fail),
            "skip" => Ok(RuleStatus::Skip),
            "error" => Ok(RuleStatus::Error),
            "warn" => Ok(RuleStatus::Warn),
            other => Err(format!("unknown result {other:?}")),
        }
    }
}

/// The kind of rule that produced a result.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleType {
    /// A `validate` rule.
    Validation,
    /// A `verifyImages` rule.
    ImageVerify,
}

/// The resource a result is about: `Kind/namespace/name`.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceId {
    /// The kind (`Pod`).
    pub kind: String,
    /// The namespace; empty for cluster-scoped resources.
    pub namespace: String,
    /// The name (`generateName` when there is no name yet).
    pub name: String,
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// One rule's result.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RuleResponse {
    /// The rule's name (`autogen-…` for rules generated for pod controllers).
    pub rule: String,
    /// Validation or image verification.
    pub rule_type: RuleType,
    /// The outcome.
    pub status: RuleStatus,
    /// The message (Kyverno's wording).
    pub message: String,
    /// Whether a failure blocks (Enforce) or is only reported (Audit).
    pub failure_action: FailureAction,
    /// The JSON patches this rule asks for (digest pinning).
    pub patches: Vec<PatchOperation>,
    /// verifyImages rules: each image's check, where its answer came from and the registry
    /// requests it cost.
    pub images: Vec<crate::ImageCheck>,
}

/// All results of one policy for one resource.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct PolicyResponse {
    /// The policy name.
    pub policy: String,
    /// The policy namespace (`Policy`), `None` for a `ClusterPolicy`.
    pub namespace: Option<String>,
    /// The effective `failurePolicy`: whether an error blocks.
    pub failure_policy: FailurePolicy,
    /// Rule results in rule order; rules that did not match produce none.
    pub rules: Vec<RuleResponse>,
}

impl PolicyResponse {
    /// `ns/name` for a namespaced `Policy`, `name` for a `ClusterPolicy`.
    #[must_use]
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.policy),
            None => self.policy.clone(),
        }
    }

    /// Whether this policy blocks the request: a failed Enforce rule, or an error under
    /// `failurePolicy: Fail`.
    #[must_use]
    pub fn blocks(&self) -> bool {
        self.rules.iter().any(|r| {
            (r.status == RuleStatus::Fail && r.failure_action == FailureAction::Enforce)
                || (r.status == RuleStatus::Error && self.failure_policy == FailurePolicy::Fail)
        })
    }
}

/// The result of evaluating a request against a policy set.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct EngineResponse {
    /// The resource evaluated.
    pub resource: ResourceId,
    /// One entry per policy that produced at least one rule result.
    pub policies: Vec<PolicyResponse>,
    /// The resource after the patches (mutate phase), when any patch applies.
    pub patched: Option<Value>,
}

impl EngineResponse {
    /// Whether the request is admitted (no policy blocks it).
    #[must_use]
    pub fn allowed(&self) -> bool {
        !self.policies.iter().any(PolicyResponse::blocks)
    }

    /// Every rule result with its policy.
    pub fn results(&self) -> impl Iterator<Item = (&PolicyResponse, &RuleResponse)> {
        self.policies
            .iter()
            .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
    }

    /// Every rule result as one JSON object, as `kyverno apply` reports it: `policy`, `rule`,
    /// `resource` (`Kind/namespace/name`), `result` (`pass`, `fail`, `skip`, `error`, `warn`),
    /// `message`, and `patches` (RFC 6902 operations) when the rule mutates.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use boltseal_policy::{AdmissionInput, Engine, Offline, Operation, Phase, PolicySet};
    ///
    /// let policies = PolicySet::from_yaml_str("require-digest.yaml", r#"
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: require-image-digest}
    /// spec:
    ///   rules:
    ///   - name: check-digest
    ///     match: {any: [{resources: {kinds: [Pod]}}]}
    ///     verifyImages:
    ///     - {imageReferences: ["*"], mutateDigest: false, verifyDigest: true, required: false}
    /// "#)?;
    /// let engine = Engine::new(policies, Arc::new(Offline));
    /// let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
    ///     "metadata": {"name": "web", "namespace": "prod"},
    ///     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}});
    /// let input = AdmissionInput::new(Phase::Validate, Operation::Create, pod);
    /// let response = futures_util::FutureExt::now_or_never(engine.evaluate(&input)).unwrap();
    /// let results: Vec<_> = response.result_objects().collect();
    /// assert_eq!(results[0]["policy"], "require-image-digest");
    /// assert_eq!(results[0]["rule"], "check-digest");
    /// assert_eq!(results[0]["resource"], "Pod/prod/web");
    /// assert_eq!(results[0]["result"], "fail");
    /// assert!(results[0].get("patches").is_none());
    /// # Ok::<(), boltseal_policy::LoadError>(())
    /// ```
    pub fn result_objects(&self) -> impl Iterator<Item = Value> + '_ {
        self.results().map(|(policy, rule)| {
            let mut object = serde_json::json!({
                "policy": policy.qualified_name(),
                "rule": rule.rule,
                "resource": self.resource.to_string(),
                "result": rule.status.as_str(),
                "message": rule.message,
            });
            if !rule.patches.is_empty() {
                object["patches"] = rule.patches.iter().map(PatchOperation::to_json).collect();
            }
            object
        })
    }

    /// All JSON patches, in policy and rule order.
    #[must_use]
    pub fn patches(&self) -> Vec<&PatchOperation> {
        self.results().flat_map(|(_, r)| r.patches.iter()).collect()
    }

    /// The patches as an RFC 6902 JSON array (bytes for `AdmissionResponse.patch`), `None`
    /// when there is nothing to patch.
    #[must_use]
    pub fn patch_json(&self) -> Option<Vec<u8>> {
        let patches = self.patches();
        if patches.is_empty() {
            return None;
        }
        let array = Value::Array(patches.iter().map(|p| p.to_json()).collect());
        serde_json::to_vec(&array).ok()
    }

    /// Kyverno's denial message when the request is blocked:
    /// `\n\nresource Kind/ns/name was blocked due to the following policies \n\n` followed by
    /// YAML `policy: {rule: message}` for every rule that neither passed nor skipped (of the
    /// blocking policies). `None` when allowed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use boltseal_policy::{AdmissionInput, Engine, Offline, Operation, Phase, PolicySet};
    ///
    /// let policies = PolicySet::from_yaml_str("require-digest.yaml", r#"
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: require-image-digest}
    /// spec:
    ///   rules:
    ///   - name: check-digest
    ///     match: {any: [{resources: {kinds: [Pod]}}]}
    ///     verifyImages:
    ///     - imageReferences: ["*"]
    ///       failureAction: Enforce
    ///       mutateDigest: false
    ///       verifyDigest: true
    ///       required: false
    /// "#)?;
    /// let engine = Engine::new(policies, Arc::new(Offline));
    /// let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
    ///     "metadata": {"name": "web", "namespace": "prod"},
    ///     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}});
    /// let input = AdmissionInput::new(Phase::Validate, Operation::Create, pod);
    /// let response = futures_util::FutureExt::now_or_never(engine.evaluate(&input)).unwrap();
    /// assert_eq!(
    ///     response.blocked_message().unwrap(),
    ///     "\n\nresource Pod/prod/web was blocked due to the following policies \n\n\
    ///      require-image-digest:\n  check-digest: missing digest for docker.io/nginx:1.27\n"
    /// );
    /// # Ok::<(), boltseal_policy::LoadError>(())
    /// ```
    #[must_use]
    pub fn blocked_message(&self) -> Option<String> {
        if self.allowed() {
            return None;
        }
        let mut out = format!(
            "\n\nresource {} was blocked due to the following policies \n\n",
            self.resource
        );
        for p in self.policies.iter().filter(|p| p.blocks()) {
            out.push_str(&yaml_key(&p.policy));
            out.push_str(":\n");
            for r in &p.rules {
                if matches!(r.status, RuleStatus::Pass | RuleStatus::Skip) {
                    continue;
                }
                out.push_str("  ");
                out.push_str(&yaml_key(&r.rule));
                out.push_str(": ");
                out.push_str(&yaml_scalar(&r.message));
                out.push('\n');
            }
        }
        Some(out)
    }

    /// Warnings in Kyverno's form (`policy <policy>.<rule>: <message>`) for Audit failures
    /// and skipped images, for `AdmissionResponse.warnings`.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        self.results()
            .filter(|(_, r)| {
                r.status == RuleStatus::Fail && r.failure_action == FailureAction::Audit
            })
            .map(|(p, r)| format!("policy {}.{}: {}", p.policy, r.rule, r.message))
            .collect()
    }
}

fn yaml_key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// A YAML scalar the way Go's yaml.v3 writes strings: plain when safe, else double-quoted
/// (JSON-compatible escapes).
fn yaml_scalar(s: &str) -> String {
    let plain_safe = !s.is_empty()
        && !s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n')
        && !matches!(
            s,
            "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off"
        )
        && s.parse::<f64>().is_err();
    if plain_safe {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}
