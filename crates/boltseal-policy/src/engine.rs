//! The evaluation engine: which rules apply to a request, and what they say.

use std::sync::Arc;
use std::time::Duration;

use boltseal_reference::Digest;
use boltseal_verify::verifier::{Attestor, AttestorSet};
use serde_json::{Map, Value};

use crate::cache::{ImageCheck, VerificationCache, VerificationSource, VerificationStats};
use crate::condition::{Scope, has_variables, to_rcvar};
use crate::image::{FoundImage, ImageInfo, extract, images_context};
use crate::matching::{Operation, Subject, UserInfo};
use crate::pattern::{Mismatch, validate};
use crate::policy::{
    AttestorEntry, AttestorKind, AttestorSetSpec, Check, ContextSource, FailureAction, Policy,
    PolicyKind, PolicySet, Rule, RuleBody, Validation,
};
use crate::response::{
    EngineResponse, PatchOperation, PolicyResponse, ResourceId, RuleResponse, RuleStatus, RuleType,
};
use crate::verifier::{Verifier, VerifyFailure};
use crate::wildcard;

/// Which admission webhook is asking. Kyverno verifies images and pins digests in the
/// mutating webhook, and runs `validate` rules and the `verifyDigest` / `required` checks in
/// the validating one.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `verifyImages`: verification and digest patches.
    Mutate,
    /// `validate` rules, and `verifyImages` `verifyDigest` / `required`.
    Validate,
}

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

/// Evaluates requests against a [`PolicySet`], verifying images through a [`Verifier`].
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
    verifier: Arc<dyn Verifier>,
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
    pub fn new(policies: PolicySet, verifier: Arc<dyn Verifier>) -> Self {
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

    /// The images (Kyverno's normalized form, [`ImageInfo::kyverno_string`], as they appear
    /// in the request) that a passing `verifyImages` rule of `response` verified with
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

fn apply_patches(mut doc: Value, patches: &[PatchOperation]) -> Value {
    for p in patches {
        if let Some(slot) = doc.pointer_mut(&p.path) {
            *slot = p.value.clone();
        }
    }
    doc
}

/// Sets `a.b.c` in a JSON object, creating objects on the way.
fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut cur = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if parts.peek().is_none() {
            m.insert(part.to_owned(), value);
            return;
        }
        cur = m
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[derive(Clone, Copy)]
struct RuleEval<'a> {
    engine: &'a Engine,
    policy: &'a Policy,
    rule: &'a Rule,
    input: &'a AdmissionInput,
    object: &'a Value,
    images: &'a [FoundImage],
    vars: &'a dyn VariableSource,
    /// What checking each image cost (verifyImages rules).
    checks: &'a std::sync::Mutex<Vec<ImageCheck>>,
}

/// Outcome of one image.
#[derive(Clone)]
struct ImageOutcome {
    status: RuleStatus,
    message: String,
    patch: Option<PatchOperation>,
}

impl RuleEval<'_> {
    fn response(&self, rule_type: RuleType, status: RuleStatus, message: String) -> RuleResponse {
        RuleResponse {
            rule: self.rule.name.clone(),
            rule_type,
            status,
            message,
            failure_action: self.failure_action(),
            patches: Vec::new(),
            images: Vec::new(),
        }
    }

    fn failure_action(&self) -> FailureAction {
        match &self.rule.body {
            RuleBody::Validate(v) => v
                .failure_action
                .unwrap_or(self.policy.validation_failure_action),
            RuleBody::VerifyImages(entries) => {
                if entries
                    .iter()
                    .any(|e| e.failure_action == Some(FailureAction::Enforce))
                {
                    FailureAction::Enforce
                } else {
                    entries
                        .iter()
                        .find_map(|e| e.failure_action)
                        .unwrap_or(self.policy.validation_failure_action)
                }
            }
        }
    }

    fn rule_type(&self) -> RuleType {
        match self.rule.body {
            RuleBody::Validate(_) => RuleType::Validation,
            RuleBody::VerifyImages(_) => RuleType::ImageVerify,
        }
    }

    /// Whether this rule needs the JSON context at all.
    fn needs_context(&self) -> bool {
        if self.rule.preconditions.is_some() || !self.rule.context.is_empty() {
            return true;
        }
        match &self.rule.body {
            RuleBody::Validate(v) => match &v.check {
                Check::Pattern(p) => {
                    has_variables(p) || v.message.as_deref().is_some_and(|m| m.contains("{{"))
                }
                Check::AnyPattern(ps) => ps.iter().any(has_variables),
                Check::Deny(_) | Check::Foreach(_) => true,
            },
            RuleBody::VerifyImages(entries) => entries.iter().any(|e| {
                e.validate.is_some() || e.attestations.iter().any(|a| !a.conditions.is_empty())
            }),
        }
    }

    /// The JSON context: `request`, `images`, context entries, injected variables.
    fn context(&self) -> Result<Value, String> {
        let mut root = Map::new();
        let mut request = Map::new();
        request.insert(
            "operation".into(),
            Value::String(self.input.operation.as_str().to_owned()),
        );
        request.insert("object".into(), self.object.clone());
        request.insert("oldObject".into(), self.input.old_object.clone());
        if let Some(ns) = self.input.namespace.clone().or_else(|| {
            self.object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }) {
            request.insert("namespace".into(), Value::String(ns));
        }
        if let Some(u) = &self.input.user_info {
            request.insert(
                "userInfo".into(),
                serde_json::json!({"username": u.username, "groups": u.groups}),
            );
        }
        root.insert("request".into(), Value::Object(request));
        root.insert("images".into(), images_context(self.images));
        let mut root = Value::Object(root);
        let injected = self.vars.variables(&self.policy.name, &self.rule.name);
        for (path, value) in &injected {
            set_path(&mut root, path, value.clone());
        }
        for entry in &self.rule.context {
            let provided = injected.iter().any(|(p, _)| {
                p == &entry.name
                    || p.strip_prefix(&entry.name)
                        .is_some_and(|r| r.starts_with('.'))
            });
            if provided {
                continue;
            }
            match &entry.source {
                ContextSource::External(kind) => {
                    return Err(format!(
                        "context entry {:?}: {kind} needs cluster access, which boltseal does not have (provide the variable)",
                        entry.name
                    ));
                }
                ContextSource::Variable {
                    value,
                    jmes_path,
                    default,
                } => {
                    let scope = Scope {
                        templates: &self.policy.templates,
                        data: to_rcvar(&root),
                    };
                    let mut v = match value {
                        Some(v) => scope.substitute(v)?,
                        None => Value::Null,
                    };
                    if let Some(j) = jmes_path {
                        let data = if value.is_some() {
                            to_rcvar(&v)
                        } else {
                            scope.data.clone()
                        };
                        v = self.policy.templates.search(j, &data)?;
                    }
                    if v.is_null() {
                        v = default.clone().unwrap_or(Value::Null);
                    }
                    set_path(&mut root, &entry.name, v);
                }
            }
        }
        Ok(root)
    }

    async fn run(&self) -> Vec<RuleResponse> {
        let rule_type = self.rule_type();
        // verifyImages rules with no matching image produce nothing at all.
        if let RuleBody::VerifyImages(entries) = &self.rule.body {
            let any = self.images.iter().any(|img| {
                entries.iter().any(|e| match &img.info {
                    Ok(info) => references_match(&e.image_references, &info.kyverno_string()),
                    Err(_) => true,
                })
            });
            if !any {
                return Vec::new();
            }
            if self.input.phase == Phase::Validate
                && (self.input.operation == Operation::Delete
                    || !entries.iter().any(|e| e.verify_digest || e.required))
            {
                return Vec::new();
            }
        } else if self.input.phase == Phase::Mutate {
            return Vec::new();
        }
        let context = if self.needs_context() {
            match self.context() {
                Ok(c) => Some(c),
                Err(e) => return vec![self.response(rule_type, RuleStatus::Error, e)],
            }
        } else {
            None
        };
        let scope = context.as_ref().map(|c| Scope {
            templates: &self.policy.templates,
            data: to_rcvar(c),
        });
        if let (Some(pre), Some(scope)) = (&self.rule.preconditions, &scope) {
            match pre.evaluate(scope) {
                Ok((true, _)) => {}
                Ok((false, _)) => {
                    return vec![self.response(
                        rule_type,
                        RuleStatus::Skip,
                        "preconditions not met".to_owned(),
                    )];
                }
                Err(e) => {
                    return vec![self.response(
                        rule_type,
                        RuleStatus::Error,
                        format!("failed to evaluate preconditions: {e}"),
                    )];
                }
            }
        }
        match &self.rule.body {
            RuleBody::Validate(v) => {
                let (mut status, mut message) =
                    self.validate(v, self.object, context.as_ref(), scope.as_ref());
                if status == RuleStatus::Fail
                    && self.input.operation == Operation::Update
                    && v.allow_existing_violations
                    && self.failure_action() == FailureAction::Enforce
                    && !self.input.old_object.is_null()
                {
                    // The old object is validated as if it were the request's object.
                    let kind = self
                        .object
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let old_images = extract(kind, &self.input.old_object);
                    let old_eval = RuleEval {
                        object: &self.input.old_object,
                        images: &old_images,
                        ..*self
                    };
                    let old_context = if old_eval.needs_context() {
                        old_eval.context().ok()
                    } else {
                        None
                    };
                    let old_scope = old_context.as_ref().map(|c| Scope {
                        templates: &self.policy.templates,
                        data: to_rcvar(c),
                    });
                    let (old, _) = old_eval.validate(
                        v,
                        &self.input.old_object,
                        old_context.as_ref(),
                        old_scope.as_ref(),
                    );
                    if old == RuleStatus::Fail {
                        status = RuleStatus::Skip;
                        message = "skipped due to pre-existing violations".to_owned();
                    }
                }
                if status == RuleStatus::Warn {
                    // Foreach lists without elements: no response.
                    return Vec::new();
                }
                vec![self.response(rule_type, status, message)]
            }
            RuleBody::VerifyImages(_) => self.verify_images(scope.as_ref()).await,
        }
    }

    // ------------------------------------------------------------------ validate rules

    /// Returns `Warn` as "not applicable" (foreach with no elements); callers drop it.
    fn validate(
        &self,
        v: &Validation,
        object: &Value,
        context: Option<&Value>,
        scope: Option<&Scope<'_>>,
    ) -> (RuleStatus, String) {
        let name = &self.rule.name;
        let message = match (&v.message, scope) {
            (Some(m), Some(scope)) if m.contains("{{") => match scope.substitute_str(m) {
                Ok(Value::String(s)) => Some(s),
                Ok(other) => Some(other.to_string()),
                Err(e) => {
                    return (
                        RuleStatus::Error,
                        format!("failed to substitute message: {e}"),
                    );
                }
            },
            (m, _) => m.clone(),
        };
        let pass = || {
            (
                RuleStatus::Pass,
                format!("validation rule '{name}' passed."),
            )
        };
        let fail_at = |path: &str| {
            let text = match message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => {
                    let m = if m.ends_with('.') {
                        m.to_owned()
                    } else {
                        format!("{m}.")
                    };
                    format!("validation error: {m} rule {name} failed at path {path}")
                }
                None => format!("validation error: rule {name} failed at path {path}"),
            };
            (RuleStatus::Fail, text)
        };
        match &v.check {
            Check::Pattern(p) => {
                let pattern = match (has_variables(p), scope) {
                    (true, Some(scope)) => match scope.substitute(p) {
                        Ok(p) => std::borrow::Cow::Owned(p),
                        Err(e) => {
                            return (
                                RuleStatus::Error,
                                format!("variable substitution failed: {e}"),
                            );
                        }
                    },
                    _ => std::borrow::Cow::Borrowed(p),
                };
                match validate(object, &pattern) {
                    Ok(()) => pass(),
                    Err(Mismatch::Fail { path, .. }) => fail_at(&path),
                    Err(Mismatch::Skip { .. }) => (
                        RuleStatus::Skip,
                        format!("rule {name} skipped: a condition anchor did not match"),
                    ),
                    Err(Mismatch::Error(e)) => (RuleStatus::Error, e),
                }
            }
            Check::AnyPattern(patterns) => {
                let mut failures = Vec::new();
                let mut skipped = 0;
                for (i, p) in patterns.iter().enumerate() {
                    let pattern = match (has_variables(p), scope) {
                        (true, Some(scope)) => match scope.substitute(p) {
                            Ok(p) => p,
                            Err(e) => {
                                return (
                                    RuleStatus::Error,
                                    format!("variable substitution failed: {e}"),
                                );
                            }
                        },
                        _ => p.clone(),
                    };
                    match validate(object, &pattern) {
                        Ok(()) => return pass(),
                        Err(Mismatch::Fail { path, .. }) => {
                            failures.push(format!("rule {name}[{i}] failed at path {path}"));
                        }
                        Err(Mismatch::Skip { .. }) => skipped += 1,
                        Err(Mismatch::Error(e)) => return (RuleStatus::Error, e),
                    }
                }
                if skipped == patterns.len() {
                    return (RuleStatus::Skip, format!("rule {name} skipped"));
                }
                let m = message.as_deref().unwrap_or("");
                let m = if m.is_empty() || m.ends_with('.') {
                    m.to_owned()
                } else {
                    format!("{m}.")
                };
                (
                    RuleStatus::Fail,
                    format!("validation error: {m} {}", failures.join(" ")).replace("  ", " "),
                )
            }
            Check::Deny(conditions) => {
                let Some(scope) = scope else {
                    return (RuleStatus::Error, "no context".to_owned());
                };
                match conditions.evaluate(scope) {
                    Ok((true, _)) => (
                        RuleStatus::Fail,
                        message.unwrap_or_else(|| format!("validation error: rule {name} failed")),
                    ),
                    Ok((false, _)) => pass(),
                    Err(e) => (
                        RuleStatus::Error,
                        format!("failed to evaluate deny conditions: {e}"),
                    ),
                }
            }
            Check::Foreach(lists) => {
                let Some(context) = context else {
                    return (RuleStatus::Error, "no context".to_owned());
                };
                let mut applied = 0usize;
                for fe in lists {
                    let data = to_rcvar(context);
                    let list = match self.policy.templates.search(&fe.list, &data) {
                        Ok(Value::Array(items)) => items,
                        Ok(Value::Null) => Vec::new(),
                        Ok(other) => vec![other],
                        Err(e) => {
                            return (RuleStatus::Error, format!("foreach list {}: {e}", fe.list));
                        }
                    };
                    for (i, element) in list.iter().enumerate() {
                        if element.is_null() {
                            continue;
                        }
                        let mut ctx = context.clone();
                        if let Value::Object(m) = &mut ctx {
                            m.insert("element".into(), element.clone());
                            m.insert("elementIndex".into(), Value::from(i));
                        }
                        let escope = Scope {
                            templates: &self.policy.templates,
                            data: to_rcvar(&ctx),
                        };
                        if let Some(pre) = &fe.preconditions {
                            match pre.evaluate(&escope) {
                                Ok((true, _)) => {}
                                Ok((false, _)) => continue,
                                Err(e) => {
                                    return (
                                        RuleStatus::Error,
                                        format!("foreach preconditions: {e}"),
                                    );
                                }
                            }
                        }
                        applied += 1;
                        let failed = match &fe.check {
                            Check::Pattern(p) => {
                                let pattern = if has_variables(p) {
                                    match escope.substitute(p) {
                                        Ok(p) => p,
                                        Err(e) => {
                                            return (
                                                RuleStatus::Error,
                                                format!("variable substitution failed: {e}"),
                                            );
                                        }
                                    }
                                } else {
                                    p.clone()
                                };
                                match validate(element, &pattern) {
                                    Ok(()) | Err(Mismatch::Skip { .. }) => None,
                                    Err(Mismatch::Fail { path, .. }) => Some(path),
                                    Err(Mismatch::Error(e)) => return (RuleStatus::Error, e),
                                }
                            }
                            Check::AnyPattern(ps) => {
                                let ok = ps.iter().any(|p| {
                                    matches!(
                                        validate(element, p),
                                        Ok(()) | Err(Mismatch::Skip { .. })
                                    )
                                });
                                (!ok).then(|| "/".to_owned())
                            }
                            Check::Deny(conditions) => match conditions.evaluate(&escope) {
                                Ok((true, _)) => Some(String::new()),
                                Ok((false, _)) => None,
                                Err(e) => {
                                    return (
                                        RuleStatus::Error,
                                        format!("failed to evaluate deny conditions: {e}"),
                                    );
                                }
                            },
                            Check::Foreach(_) => None,
                        };
                        if let Some(path) = failed {
                            let m = match (&v.message, message.as_deref()) {
                                (Some(raw), _) if raw.contains("{{") => {
                                    match escope.substitute_str(raw) {
                                        Ok(Value::String(s)) => s,
                                        _ => message.clone().unwrap_or_default(),
                                    }
                                }
                                (_, m) => m.unwrap_or_default().to_owned(),
                            };
                            let text = if path.is_empty() {
                                format!("validation failure: {m}")
                            } else {
                                let m = if m.ends_with('.') || m.is_empty() {
                                    m
                                } else {
                                    format!("{m}.")
                                };
                                format!(
                                    "validation failure: validation error: {m} rule {name} failed at path {path}"
                                )
                            };
                            return (RuleStatus::Fail, text);
                        }
                    }
                }
                if applied == 0 {
                    return (RuleStatus::Warn, String::new());
                }
                pass()
            }
        }
    }

    // ------------------------------------------------------------------ verifyImages rules

    async fn verify_images(&self, scope: Option<&Scope<'_>>) -> Vec<RuleResponse> {
        let RuleBody::VerifyImages(entries) = &self.rule.body else {
            return Vec::new();
        };
        let mut outcomes: Vec<ImageOutcome> = Vec::new();
        for (ei, entry) in entries.iter().enumerate() {
            let matched: Vec<&FoundImage> = self
                .images
                .iter()
                .filter(|img| match &img.info {
                    Ok(info) => references_match(&entry.image_references, &info.kyverno_string()),
                    Err(_) => true,
                })
                .collect();
            // The same image in several containers is verified once.
            let mut groups: Vec<(&FoundImage, Vec<&FoundImage>)> = Vec::new();
            for img in matched {
                match groups
                    .iter_mut()
                    .find(|(first, _)| match (&first.info, &img.info) {
                        (Ok(a), Ok(b)) => a == b,
                        _ => false,
                    }) {
                    Some((_, members)) => members.push(img),
                    None => groups.push((img, vec![img])),
                }
            }
            let futures = groups
                .iter()
                .map(|(first, _)| self.one_image(ei, entry, first, scope));
            let results = futures_util::future::join_all(futures).await;
            for ((_, members), outcome) in groups.iter().zip(results) {
                let Some(outcome) = outcome else { continue };
                for member in members {
                    let mut o = outcome.clone();
                    if let Some(p) = &mut o.patch {
                        p.path.clone_from(&member.pointer);
                    }
                    outcomes.push(o);
                }
            }
        }
        if outcomes.is_empty() {
            return Vec::new();
        }
        let status = outcomes
            .iter()
            .map(|o| o.status)
            .max_by_key(|s| severity(*s))
            .unwrap_or(RuleStatus::Skip);
        let messages: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == status)
            .map(|o| o.message.as_str())
            .collect();
        let mut r = self.response(RuleType::ImageVerify, status, messages.join("; "));
        r.patches = outcomes.into_iter().filter_map(|o| o.patch).collect();
        if let Ok(mut checks) = self.checks.lock() {
            r.images = std::mem::take(&mut *checks);
        }
        vec![r]
    }

    async fn one_image(
        &self,
        ei: usize,
        entry: &crate::policy::ImageVerification,
        img: &FoundImage,
        scope: Option<&Scope<'_>>,
    ) -> Option<ImageOutcome> {
        let outcome = |status, message: String| {
            Some(ImageOutcome {
                status,
                message,
                patch: None,
            })
        };
        let info = match &img.info {
            Ok(i) => i,
            Err(e) => return outcome(RuleStatus::Error, e.clone()),
        };
        let image = info.kyverno_string();
        if references_match(&entry.skip_image_references, &image) {
            return outcome(
                RuleStatus::Skip,
                format!(
                    "skipping image reference image {image}, policy {} ruleName {}",
                    self.policy.name, self.rule.name
                ),
            );
        }
        let verifies = !entry.attestors.is_empty() || !entry.attestations.is_empty();
        match self.input.phase {
            Phase::Mutate => {
                let mut digest = None;
                let mut result = None;
                if verifies {
                    match self.verify(ei, entry, info, &image, scope).await {
                        Ok((d, message)) => {
                            digest = Some(d);
                            result = Some((RuleStatus::Pass, message));
                        }
                        Err((status, message)) => return outcome(status, message),
                    }
                }
                let mut patch = None;
                if entry.mutate_digest && info.digest().is_none() {
                    let d = match digest {
                        Some(d) => Ok(d),
                        None => self.engine.verifier.resolve(info.reference()).await,
                    };
                    match d {
                        Ok(d) => {
                            patch = Some(PatchOperation::replace(
                                img.pointer.clone(),
                                Value::String(info.pinned(&d)),
                            ));
                            if result.is_none() {
                                result =
                                    Some((RuleStatus::Pass, "mutated image digest".to_owned()));
                            }
                        }
                        Err(e) => {
                            return outcome(
                                RuleStatus::Error,
                                format!("failed to update digest for {image}: {e}"),
                            );
                        }
                    }
                }
                let (status, message) = result?;
                Some(ImageOutcome {
                    status,
                    message,
                    patch,
                })
            }
            Phase::Validate => {
                if !entry.verify_digest && !entry.required {
                    return None;
                }
                if entry.verify_digest && info.digest().is_none() {
                    return outcome(RuleStatus::Fail, format!("missing digest for {image}"));
                }
                if entry.required {
                    if !verifies {
                        return outcome(RuleStatus::Fail, format!("unverified image {image}"));
                    }
                    return match self.verify(ei, entry, info, &image, scope).await {
                        Ok(_) => outcome(RuleStatus::Pass, "image verified".to_owned()),
                        Err((RuleStatus::Error, m)) => outcome(RuleStatus::Error, m),
                        Err((_, m)) => {
                            outcome(RuleStatus::Fail, format!("unverified image {image}: {m}"))
                        }
                    };
                }
                outcome(RuleStatus::Pass, "image verified".to_owned())
            }
        }
    }

    /// Attestors, then attestations, then `validate.deny`; remembered (successes for the cache
    /// lifetime, failures briefly) and run once at a time per image (`useCache`).
    async fn verify(
        &self,
        ei: usize,
        entry: &crate::policy::ImageVerification,
        info: &ImageInfo,
        image: &str,
        scope: Option<&Scope<'_>>,
    ) -> Result<(Digest, String), (RuleStatus, String)> {
        let run = self.verify_uncached(ei, entry, info, image, scope);
        let (outcome, source, registry_requests) =
            if !entry.use_cache || self.engine.cache.ttl.is_zero() {
                let (outcome, requests) = boltseal_oci::count_requests(run).await;
                (outcome, VerificationSource::Verified, requests)
            } else {
                let key = (
                    self.policy.name.as_str(),
                    self.rule.name.as_str(),
                    ei,
                    image,
                );
                self.engine.cache.get_or_verify(key, run).await
            };
        if let Ok(mut checks) = self.checks.lock() {
            checks.push(ImageCheck {
                image: image.to_owned(),
                source,
                registry_requests,
            });
        }
        outcome
    }

    /// [`RuleEval::verify`] without the cache.
    async fn verify_uncached(
        &self,
        ei: usize,
        entry: &crate::policy::ImageVerification,
        info: &ImageInfo,
        image: &str,
        scope: Option<&Scope<'_>>,
    ) -> Result<(Digest, String), (RuleStatus, String)> {
        let policy = &self.policy.name;
        let rule = &self.rule.name;
        let verifier = &*self.engine.verifier;
        // Several checks on a tag (attestor entries tried in turn, attestations): the tag is
        // resolved once, here, and every check reads the evidence of that one digest.
        let checks = entry.attestors.iter().map(check_count).sum::<usize>()
            + entry
                .attestations
                .iter()
                .flat_map(|a| &a.attestors)
                .map(check_count)
                .sum::<usize>();
        let resolved;
        let reference = if info.digest().is_none() && checks > 1 {
            match verifier.resolve(info.reference()).await {
                Ok(d) => {
                    resolved = info.reference().with_digest(d);
                    &resolved
                }
                Err(VerifyFailure::Unavailable(e)) => {
                    return Err((
                        RuleStatus::Error,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
                Err(e) => {
                    return Err((
                        RuleStatus::Fail,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
            }
        } else {
            info.reference()
        };
        let mut digest = None;
        for (si, set) in entry.attestors.iter().enumerate() {
            match verify_set(verifier, reference, set, &format!(".attestors[{si}]"), 0).await {
                Ok(d) => digest = Some(d),
                Err(Failure::Error(e)) => {
                    return Err((
                        RuleStatus::Error,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
                Err(Failure::Fail(e)) => {
                    return Err((
                        RuleStatus::Fail,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
            }
        }
        let mut message = format!("verified image signatures for {image}");
        for (ai, att) in entry.attestations.iter().enumerate() {
            for set in &att.attestors {
                let mut verified = 0usize;
                let mut errors = Vec::new();
                for (j, e) in set.entries.iter().enumerate() {
                    let Some(attestors) = single_set(e) else {
                        errors.push(format!(".attestations[{ai}].attestors.entries[{j}]: nested attestors are not supported for attestations"));
                        continue;
                    };
                    match verifier
                        .verify_attestations(reference, &attestors, &att.predicate_type)
                        .await
                    {
                        Ok(found) => {
                            if found.statements.is_empty() {
                                errors.push(format!(
                                    "attestions not found for predicate type {}",
                                    att.predicate_type
                                ));
                                continue;
                            }
                            digest = Some(found.digest);
                            let mut ok = true;
                            for statement in &found.statements {
                                match self.check_statement(statement, att, scope) {
                                    Ok(true) => {}
                                    Ok(false) => {
                                        ok = false;
                                        errors.push("attestation conditions not met".to_owned());
                                        break;
                                    }
                                    Err(e) => return Err((RuleStatus::Error, e)),
                                }
                            }
                            if ok {
                                verified += 1;
                            }
                        }
                        Err(VerifyFailure::Unavailable(e)) => {
                            return Err((
                                RuleStatus::Error,
                                format!("failed to verify image {image}: {e}"),
                            ));
                        }
                        Err(e) => errors.push(e.reason().to_owned()),
                    }
                    if verified >= set.required() {
                        break;
                    }
                }
                if verified < set.required() {
                    return Err((
                        RuleStatus::Fail,
                        format!(
                            "image attestations verification failed, verifiedCount: {verified}, requiredCount: {}, error: {}",
                            set.required(),
                            errors.join("; ")
                        ),
                    ));
                }
            }
            message = format!("verified image attestations for {image}");
        }
        let Some(digest) = digest else {
            return Err((
                RuleStatus::Error,
                format!("failed to verify image {image}: no digest"),
            ));
        };
        if let Some((deny_message, conditions)) = &entry.validate
            && let Some(scope) = scope
        {
            match conditions.evaluate(scope) {
                Ok((true, _)) => {
                    return Err((
                        RuleStatus::Fail,
                        format!(
                            "validation in verifyImages failed: {}",
                            deny_message.as_deref().unwrap_or("deny conditions met")
                        ),
                    ));
                }
                Ok((false, _)) => {}
                Err(e) => return Err((RuleStatus::Error, e)),
            }
        }
        // The image itself is remembered by `VerificationCache::get_or_verify`; the validate
        // phase sees the pinned image, remembered here.
        if entry.use_cache && !self.engine.cache.ttl.is_zero() {
            let pinned = format!("{}/{}@{digest}", info.registry(), info.path());
            if pinned != image {
                self.engine.cache.put(policy, rule, ei, &pinned, digest);
            }
        }
        Ok((digest, message))
    }

    fn check_statement(
        &self,
        statement: &Value,
        att: &crate::policy::Attestation,
        scope: Option<&Scope<'_>>,
    ) -> Result<bool, String> {
        if att.conditions.is_empty() {
            return Ok(true);
        }
        // The predicate is merged into the context root.
        let mut root = match scope {
            Some(_) => self.context()?,
            None => Value::Object(Map::new()),
        };
        if let (Value::Object(m), Some(Value::Object(pred))) =
            (&mut root, statement.get("predicate"))
        {
            for (k, v) in pred {
                m.insert(k.clone(), v.clone());
            }
        }
        let scope = Scope {
            templates: &self.policy.templates,
            data: to_rcvar(&root),
        };
        for c in &att.conditions {
            let (ok, _) = c.evaluate(&scope)?;
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// How many verifier calls an attestor set can make (nested sets included).
fn check_count(set: &AttestorSetSpec) -> usize {
    set.entries
        .iter()
        .map(|e| match &e.kind {
            AttestorKind::Nested(inner) => check_count(inner),
            _ => 1,
        })
        .sum()
}

fn references_match(patterns: &[String], image: &str) -> bool {
    patterns.iter().any(|p| wildcard::matches(p, image))
}

enum Failure {
    Fail(String),
    Error(String),
}

fn single_set(entry: &AttestorEntry) -> Option<AttestorSet> {
    let attestor = match &entry.kind {
        AttestorKind::Key(k) => Attestor::Key(*k),
        AttestorKind::Keyless { identity, trust } => Attestor::Keyless {
            identity: identity.clone(),
            trust: Arc::clone(trust),
        },
        AttestorKind::Nested(_) => return None,
    };
    let mut set = AttestorSet::all(vec![attestor]).transparency_log(entry.rekor_keys.clone());
    for (k, v) in &entry.annotations {
        set = set.annotation(k, v);
    }
    Some(set)
}

/// One attestor set: entries in order until `count` of them verify.
fn verify_set<'a>(
    verifier: &'a dyn Verifier,
    reference: &'a boltseal_reference::Reference,
    set: &'a AttestorSetSpec,
    label: &'a str,
    depth: usize,
) -> futures_util::future::BoxFuture<'a, Result<Digest, Failure>> {
    Box::pin(async move {
        let required = set.required();
        let mut verified = 0usize;
        let mut digest = None;
        let mut errors = Vec::new();
        for (j, entry) in set.entries.iter().enumerate() {
            let path = format!("{label}.entries[{j}].{}", entry.label);
            let result = match &entry.kind {
                AttestorKind::Nested(inner) if depth < 8 => {
                    verify_set(verifier, reference, inner, &path, depth + 1).await
                }
                AttestorKind::Nested(_) => {
                    Err(Failure::Fail("attestors nested too deeply".to_owned()))
                }
                _ => match single_set(entry) {
                    Some(s) => verifier
                        .verify_signatures(reference, &s)
                        .await
                        .map(|c| c.digest)
                        .map_err(|e| match e {
                            VerifyFailure::Unavailable(r) => Failure::Error(r),
                            other => Failure::Fail(other.reason().to_owned()),
                        }),
                    None => Err(Failure::Fail("unsupported attestor".to_owned())),
                },
            };
            match result {
                Ok(d) => {
                    verified += 1;
                    digest = Some(d);
                    if verified >= required {
                        break;
                    }
                }
                Err(Failure::Error(e)) => return Err(Failure::Error(format!("{path}: {e}"))),
                Err(Failure::Fail(e)) => errors.push(format!("{path}: {e}")),
            }
        }
        match digest {
            Some(d) if verified >= required => Ok(d),
            _ => Err(Failure::Fail(errors.join("; "))),
        }
    })
}
