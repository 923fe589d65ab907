//! The evaluation engine: which rules apply to a request, and what they say.

mod images;
mod rule;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::admission::{Operation, Phase, UserInfo};
use crate::cache::{VerificationCache, VerificationStats};
use crate::image::extract;
use crate::matching::Subject;
use crate::patch::PatchOperation;
use crate::policy::{PolicyKind, PolicySet, RuleBody};
use crate::response::{EngineResponse, PolicyResponse, ResourceId, RuleStatus, RuleType};
use boltseal_evidence::ImageVerifier;

use self::images::references_match;
use self::rule::RuleEval;

/// One admission request, as the engine needs it.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AdmissionInput {
    /// The webhook phase.
    pub phase: Phase,
    /// The operation.
    pub operation: Operation,
    /// The new object (`Value::Null` on DELETE).
    pub object: Value,
    /// The old object (`Value::Null` on CREATE).
    pub old_object: Value,
    /// The request namespace (`request.namespace`); `None` takes the object's.
    pub namespace: Option<String>,
    /// Labels of the request's namespace, for `namespaceSelector` filters (`None`: unknown,
    /// treated as no labels).
    pub namespace_labels: Option<Map<String, Value>>,
    /// The subresource (`ephemeralcontainers`, `status`), empty for none.
    pub subresource: String,
    /// The requesting user, for `subjects` filters and `request.userInfo`.
    pub user_info: Option<UserInfo>,
}

impl AdmissionInput {
    /// A request for `object` in `phase`.
    #[must_use]
    pub fn new(phase: Phase, operation: Operation, object: Value) -> Self {
        AdmissionInput {
            phase,
            operation,
            object,
            old_object: Value::Null,
            namespace: None,
            namespace_labels: None,
            subresource: String::new(),
            user_info: None,
        }
    }

    /// Sets the old object (UPDATE, DELETE).
    #[must_use]
    pub fn with_old_object(mut self, old: Value) -> Self {
        self.old_object = old;
        self
    }

    /// Sets the request namespace.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the namespace labels.
    #[must_use]
    pub fn with_namespace_labels(mut self, labels: Map<String, Value>) -> Self {
        self.namespace_labels = Some(labels);
        self
    }

    /// Sets the subresource.
    #[must_use]
    pub fn with_subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = subresource.into();
        self
    }

    /// Sets the requesting user.
    #[must_use]
    pub fn with_user_info(mut self, user: UserInfo) -> Self {
        self.user_info = Some(user);
        self
    }

    /// The object rules look at: the new object, or the old one on DELETE.
    fn resource(&self) -> &Value {
        if self.object.is_null() {
            &self.old_object
        } else {
            &self.object
        }
    }
}

/// Variables a caller injects (what `kyverno test` values files do): dotted paths such as
/// `request.operation` with their values, per policy and rule.
pub(crate) trait VariableSource: Sync {
    fn variables(&self, policy: &str, rule: &str) -> Vec<(String, Value)>;
}

struct NoVariables;
impl VariableSource for NoVariables {
    fn variables(&self, _: &str, _: &str) -> Vec<(String, Value)> {
        Vec::new()
    }
}

/// Evaluates requests against a [`PolicySet`], verifying images through an [`ImageVerifier`].
/// Cheap to share (`Arc<Engine>`); safe for concurrent requests.
///
/// ```
/// use std::sync::Arc;
/// use boltseal_policy::{AdmissionInput, Engine, Offline, Operation, Phase, PolicySet, RuleStatus};
///
/// let policies = PolicySet::from_yaml_str("p.yaml", r#"
/// apiVersion: kyverno.io/v1
/// kind: ClusterPolicy
/// metadata: {name: restrict-image-registries}
/// spec:
///   rules:
///   - name: validate-registries
///     match: {any: [{resources: {kinds: [Pod]}}]}
///     validate:
///       failureAction: Enforce
///       message: Unknown image registry.
///       pattern: {spec: {containers: [{image: "eu.foo.io/* | bar.io/*"}]}}
/// "#)?;
/// let engine = Engine::new(policies, Arc::new(Offline));
/// let pod = serde_json::json!({
///     "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
///     "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
/// let input = AdmissionInput::new(Phase::Validate, Operation::Create, pod);
/// let response = futures_util::FutureExt::now_or_never(engine.evaluate(&input)).unwrap();
/// assert!(!response.allowed());
/// let (_, rule) = response.results().next().unwrap();
/// assert_eq!(rule.status, RuleStatus::Fail);
/// assert_eq!(rule.message, "validation error: Unknown image registry. rule validate-registries failed at path /spec/containers/0/image/");
/// # Ok::<(), boltseal_policy::LoadError>(())
/// ```
pub struct Engine {
    policies: PolicySet,
    verifier: Arc<dyn ImageVerifier>,
    cache: VerificationCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("policies", &self.policies.policies.len())
            .field("cache_ttl", &self.cache.ttl)
            .finish_non_exhaustive()
    }
}

/// The default lifetime of cached verifications (Kyverno's default is one hour).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(3600);

impl Engine {
    /// An engine over `policies`, verifying through `verifier`, caching successful
    /// verifications for [`DEFAULT_CACHE_TTL`].
    #[must_use]
    pub fn new(policies: PolicySet, verifier: Arc<dyn ImageVerifier>) -> Self {
        Engine {
            policies,
            verifier,
            cache: VerificationCache::new(DEFAULT_CACHE_TTL),
        }
    }

    /// Sets how long successful verifications are remembered (zero disables the cache).
    #[must_use]
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache.ttl = ttl;
        self
    }

    /// Sets how long refusals and registry errors are remembered (default 5 s; zero: not at
    /// all). While a verification of an image runs, other requests for the same image wait for
    /// its outcome whatever this is.
    #[must_use]
    pub fn with_failure_ttl(mut self, ttl: Duration) -> Self {
        self.cache.failure_ttl = ttl;
        self
    }

    /// What the verification cache did since the engine was made.
    #[must_use]
    pub fn verification_stats(&self) -> VerificationStats {
        self.cache.stats()
    }

    /// The policies.
    #[must_use]
    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    /// Evaluates one admission request in its phase.
    pub async fn evaluate(&self, input: &AdmissionInput) -> EngineResponse {
        self.evaluate_with(input, &NoVariables).await
    }

    /// What `kyverno apply` does: the mutate phase, then the validate phase on the patched
    /// resource; results of a rule that ran in both phases are merged (the worse one wins,
    /// patches kept).
    pub async fn apply(&self, input: &AdmissionInput) -> EngineResponse {
        self.apply_with(input, &NoVariables).await
    }

    pub(crate) async fn apply_with(
        &self,
        input: &AdmissionInput,
        vars: &dyn VariableSource,
    ) -> EngineResponse {
        let mut mutate = input.clone();
        mutate.phase = Phase::Mutate;
        let first = self.evaluate_with(&mutate, vars).await;
        let mut validate = input.clone();
        validate.phase = Phase::Validate;
        if let Some(patched) = &first.patched {
            validate.object = patched.clone();
        }
        let second = self.evaluate_with(&validate, vars).await;
        merge(first, second)
    }

    /// Evaluates one admission request against the policy at `index` of
    /// [`PolicySet::policies`] alone (an empty response when there is no such policy or it
    /// does not apply). What an admission webhook uses to give each policy its own deadline
    /// and `failurePolicy`, as Kyverno does; each policy sees the request as it arrived, not
    /// the patches of the others.
    pub async fn evaluate_policy(&self, index: usize, input: &AdmissionInput) -> EngineResponse {
        self.evaluate_some(input, &NoVariables, Some(index), None)
            .await
    }

    /// The response of the policy at `index` when its evaluation did not finish in time: an
    /// [`RuleStatus::Error`] result saying `message` for every rule of the policy that applies
    /// to the request in its phase, so that the policy's `failurePolicy` decides
    /// ([`EngineResponse::allowed`], [`EngineResponse::blocked_message`]). Nothing is verified.
    pub async fn unfinished_policy(
        &self,
        index: usize,
        input: &AdmissionInput,
        message: &str,
    ) -> EngineResponse {
        self.evaluate_some(input, &NoVariables, Some(index), Some(message))
            .await
    }

    /// The images (Kyverno's normalized form, [`crate::ImageInfo::kyverno_string`], as they
    /// appear in the request) that a passing `verifyImages` rule of `response` verified with
    /// attestors or attestations — what Kyverno's mutating webhook records in the
    /// `kyverno.io/verify-images` annotation. Images of skipped references are not listed.
    #[must_use]
    pub fn verified_images(
        &self,
        input: &AdmissionInput,
        response: &EngineResponse,
    ) -> Vec<String> {
        let object = input.resource();
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let images = extract(kind, object);
        let mut out: Vec<String> = Vec::new();
        for (result, rule_result) in response.results() {
            if rule_result.status != RuleStatus::Pass
                || rule_result.rule_type != RuleType::ImageVerify
            {
                continue;
            }
            let Some(rule) = self
                .policies
                .policies
                .iter()
                .find(|p| p.name == result.policy && p.namespace == result.namespace)
                .and_then(|p| p.rules.iter().find(|r| r.name == rule_result.rule))
            else {
                continue;
            };
            let RuleBody::VerifyImages(entries) = &rule.body else {
                continue;
            };
            for entry in entries {
                if entry.attestors.is_empty() && entry.attestations.is_empty() {
                    continue;
                }
                for found in &images {
                    let Ok(info) = &found.info else { continue };
                    let image = info.kyverno_string();
                    if references_match(&entry.image_references, &image)
                        && !references_match(&entry.skip_image_references, &image)
                        && !out.contains(&image)
                    {
                        out.push(image);
                    }
                }
            }
        }
        out
    }

    pub(crate) async fn evaluate_with(
        &self,
        input: &AdmissionInput,
        vars: &dyn VariableSource,
    ) -> EngineResponse {
        self.evaluate_some(input, vars, None, None).await
    }

    /// Evaluates every policy, or only the one at `only`; with `unfinished`, rules are not run
    /// but answered with an error saying it.
    async fn evaluate_some(
        &self,
        input: &AdmissionInput,
        vars: &dyn VariableSource,
        only: Option<usize>,
        unfinished: Option<&str>,
    ) -> EngineResponse {
        let object = input.resource();
        let meta = object.get("metadata");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| {
                meta.and_then(|m| m.get("generateName"))
                    .and_then(Value::as_str)
            })
            .unwrap_or("");
        let namespace = input.namespace.as_deref().unwrap_or_else(|| {
            meta.and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .unwrap_or("")
        });
        let subject = Subject {
            group,
            version,
            kind,
            subresource: &input.subresource,
            name,
            namespace,
            labels: meta
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object),
            annotations: meta
                .and_then(|m| m.get("annotations"))
                .and_then(Value::as_object),
            namespace_labels: input.namespace_labels.as_ref(),
            operation: input.operation,
            user: input.user_info.as_ref(),
        };
        let mut response = EngineResponse {
            resource: ResourceId {
                kind: kind.to_owned(),
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            },
            policies: Vec::new(),
            patched: None,
        };
        let images = extract(kind, object);
        let mut patched: Option<Value> = None;
        for (index, policy) in self.policies.policies.iter().enumerate() {
            if only.is_some_and(|o| o != index) {
                continue;
            }
            if policy.kind == PolicyKind::Policy
                && (namespace.is_empty() || policy.namespace.as_deref() != Some(namespace))
            {
                continue;
            }
            let mut pr = PolicyResponse {
                policy: policy.name.clone(),
                namespace: policy.namespace.clone(),
                failure_policy: policy.failure_policy,
                rules: Vec::new(),
            };
            for rule in &policy.rules {
                if !rule.matches.matches(&subject)
                    || rule.exclude.as_ref().is_some_and(|e| e.matches(&subject))
                {
                    continue;
                }
                let checks = std::sync::Mutex::new(Vec::new());
                let ev = RuleEval {
                    engine: self,
                    policy,
                    rule,
                    input,
                    object: patched.as_ref().unwrap_or(object),
                    images: &images,
                    vars,
                    checks: &checks,
                };
                let responses = match unfinished {
                    None => ev.run().await,
                    Some(message) => {
                        let relevant = match rule.body {
                            RuleBody::Validate(_) => input.phase == Phase::Validate,
                            RuleBody::VerifyImages(_) => true,
                        };
                        if !relevant {
                            continue;
                        }
                        vec![ev.response(ev.rule_type(), RuleStatus::Error, message.to_owned())]
                    }
                };
                let applied = responses.iter().any(|r| {
                    matches!(
                        r.status,
                        RuleStatus::Pass | RuleStatus::Fail | RuleStatus::Error
                    )
                });
                for r in &responses {
                    if !r.patches.is_empty() {
                        let base = patched.take().unwrap_or_else(|| object.clone());
                        patched = Some(apply_patches(base, &r.patches));
                    }
                }
                pr.rules.extend(responses);
                if policy.apply_one && applied {
                    break;
                }
            }
            if !pr.rules.is_empty() {
                response.policies.push(pr);
            }
        }
        response.patched = patched;
        response
    }
}

fn merge(mut first: EngineResponse, second: EngineResponse) -> EngineResponse {
    for p in second.policies {
        match first
            .policies
            .iter_mut()
            .find(|q| q.policy == p.policy && q.namespace == p.namespace)
        {
            None => first.policies.push(p),
            Some(q) => {
                for r in p.rules {
                    match q.rules.iter_mut().find(|x| x.rule == r.rule) {
                        None => q.rules.push(r),
                        Some(x) => {
                            if severity(r.status) > severity(x.status) {
                                x.status = r.status;
                                x.message = r.message;
                            }
                        }
                    }
                }
            }
        }
    }
    first
}

fn severity(s: RuleStatus) -> u8 {
    match s {
        RuleStatus::Skip => 0,
        RuleStatus::Pass => 1,
        RuleStatus::Warn => 2,
        RuleStatus::Fail => 3,
        RuleStatus::Error => 4,
    }
}

/// Applies the engine's own patches; one whose target is gone is skipped.
fn apply_patches(mut doc: Value, patches: &[PatchOperation]) -> Value {
    for p in patches {
        // A patch of an earlier rule may have replaced the container list.
        let _ = p.apply_to(&mut doc);
    }
    doc
}
