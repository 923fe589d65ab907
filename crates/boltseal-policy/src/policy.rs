//! The policy model: `kyverno.io/v1` `ClusterPolicy` and `Policy` documents parsed into typed
//! rules, with the CRD schema defaults applied and pod-controller rules generated (autogen).

use std::path::Path;
use std::sync::Arc;

use boltseal_keys::PublicKey;
use boltseal_verify::bundle::{Identity, Matcher};
use boltseal_verify::trust::TrustedRoot;
use serde_json::{Map, Value};

use crate::condition::{Conditions, Templates};
use crate::error::{LoadError, Origin};
use crate::matching::{MatchResources, parse_match};

/// Whether a failed rule blocks the request or is only reported.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FailureAction {
    /// Report only (Kyverno's default).
    #[default]
    Audit,
    /// Block the request.
    Enforce,
}

impl FailureAction {
    /// Kyverno's reading: `Enforce` and `enforce` enforce, anything else audits.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        if s == "Enforce" || s == "enforce" {
            FailureAction::Enforce
        } else {
            FailureAction::Audit
        }
    }

    /// `Audit` or `Enforce`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FailureAction::Audit => "Audit",
            FailureAction::Enforce => "Enforce",
        }
    }
}

/// What happens when evaluation errors or times out (the webhook's `failurePolicy`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FailurePolicy {
    /// Refuse the request (fail closed, the default).
    #[default]
    Fail,
    /// Admit the request.
    Ignore,
}

/// `ClusterPolicy` or namespaced `Policy`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Cluster-wide.
    ClusterPolicy,
    /// Applies only to resources in its own namespace.
    Policy,
}

/// One parsed policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) origin: Origin,
    pub(crate) validation_failure_action: FailureAction,
    pub(crate) failure_policy: FailurePolicy,
    pub(crate) timeout_seconds: Option<u32>,
    pub(crate) apply_one: bool,
    pub(crate) background: bool,
    pub(crate) admission: bool,
    pub(crate) rules: Vec<Rule>,
    pub(crate) templates: Arc<Templates>,
}

impl Policy {
    /// The policy's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace of a `Policy`; `None` for a `ClusterPolicy`.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// `ClusterPolicy` or `Policy`.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// Where it was loaded from.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The effective failure policy (`webhookConfiguration.failurePolicy`, else
    /// `failurePolicy`, else `Fail`).
    #[must_use]
    pub fn failure_policy(&self) -> FailurePolicy {
        self.failure_policy
    }

    /// The webhook timeout the policy asks for (`webhookConfiguration.timeoutSeconds`, else
    /// `webhookTimeoutSeconds`), 1–30 s; `None` means the default of 10 s.
    #[must_use]
    pub fn webhook_timeout_seconds(&self) -> Option<u32> {
        self.timeout_seconds
    }

    /// The spec-level `validationFailureAction`.
    #[must_use]
    pub fn validation_failure_action(&self) -> FailureAction {
        self.validation_failure_action
    }

    /// Rule names in evaluation order, generated `autogen-` rules included.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// Whether the policy has `verifyImages` rules (they run in the mutating webhook).
    #[must_use]
    pub fn has_verify_images(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.body, RuleBody::VerifyImages(_)))
    }

    /// Whether `spec.background` is true.
    #[must_use]
    pub fn background(&self) -> bool {
        self.background
    }

    /// Whether `spec.admission` is true (rules apply at admission).
    #[must_use]
    pub fn admission(&self) -> bool {
        self.admission
    }
}

/// Which resources a generated rule was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Autogen {
    /// Written by the author.
    None,
    /// `autogen-`: Deployment, StatefulSet, … (pod template at `spec.template`).
    Controllers,
    /// `autogen-cronjob-`: CronJob (pod template at `spec.jobTemplate.spec.template`).
    CronJob,
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) matches: MatchResources,
    pub(crate) exclude: Option<MatchResources>,
    pub(crate) context: Vec<ContextEntry>,
    pub(crate) preconditions: Option<Conditions>,
    pub(crate) body: RuleBody,
}

#[derive(Clone, Debug)]
pub(crate) enum RuleBody {
    Validate(Validation),
    VerifyImages(Vec<ImageVerification>),
}

#[derive(Clone, Debug)]
pub(crate) struct ContextEntry {
    pub(crate) name: String,
    pub(crate) source: ContextSource,
}

#[derive(Clone, Debug)]
pub(crate) enum ContextSource {
    /// `variable: {value, jmesPath, default}`.
    Variable {
        value: Option<Value>,
        jmes_path: Option<String>,
        default: Option<Value>,
    },
    /// `apiCall`, `configMap`, `imageRegistry`, `globalReference`: need a cluster or a registry;
    /// only usable when a `kyverno test` values file provides the variable.
    External(&'static str),
}

#[derive(Clone, Debug)]
pub(crate) struct Validation {
    pub(crate) message: Option<String>,
    pub(crate) failure_action: Option<FailureAction>,
    pub(crate) allow_existing_violations: bool,
    pub(crate) check: Check,
}

#[derive(Clone, Debug)]
pub(crate) enum Check {
    Pattern(Value),
    AnyPattern(Vec<Value>),
    Deny(Conditions),
    Foreach(Vec<Foreach>),
}

#[derive(Clone, Debug)]
pub(crate) struct Foreach {
    pub(crate) list: String,
    pub(crate) preconditions: Option<Conditions>,
    pub(crate) check: Check,
}

#[derive(Clone, Debug)]
pub(crate) struct ImageVerification {
    pub(crate) failure_action: Option<FailureAction>,
    pub(crate) image_references: Vec<String>,
    pub(crate) skip_image_references: Vec<String>,
    pub(crate) attestors: Vec<AttestorSetSpec>,
    pub(crate) attestations: Vec<Attestation>,
    pub(crate) mutate_digest: bool,
    pub(crate) verify_digest: bool,
    pub(crate) required: bool,
    pub(crate) use_cache: bool,
    pub(crate) validate: Option<(Option<String>, Conditions)>,
}

#[derive(Clone, Debug)]
pub(crate) struct AttestorSetSpec {
    /// `None` (or 0): all entries.
    pub(crate) count: Option<usize>,
    pub(crate) entries: Vec<AttestorEntry>,
}

impl AttestorSetSpec {
    pub(crate) fn required(&self) -> usize {
        match self.count {
            None | Some(0) => self.entries.len(),
            Some(n) => n,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AttestorEntry {
    pub(crate) kind: AttestorKind,
    pub(crate) annotations: Vec<(String, String)>,
    /// Key attestors: the Rekor keys a signature's log entry must verify with (empty with
    /// `rekor.ignoreTlog: true`).
    pub(crate) rekor_keys: Vec<PublicKey>,
    /// `.attestors[i].entries[j].keys` style label for messages.
    pub(crate) label: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) enum AttestorKind {
    Key(PublicKey),
    Keyless {
        identity: Identity,
        trust: Arc<TrustedRoot>,
    },
    Nested(AttestorSetSpec),
}

#[derive(Clone, Debug)]
pub(crate) struct Attestation {
    pub(crate) predicate_type: String,
    pub(crate) attestors: Vec<AttestorSetSpec>,
    pub(crate) conditions: Vec<Conditions>,
}

/// A set of policies, evaluated together.
///
/// ```
/// let yaml = r#"
/// apiVersion: kyverno.io/v1
/// kind: ClusterPolicy
/// metadata: {name: require-digest}
/// spec:
///   rules:
///   - name: check-digest
///     match: {any: [{resources: {kinds: [Pod]}}]}
///     verifyImages:
///     - imageReferences: ["*"]
///       mutateDigest: false
///       verifyDigest: true
///       required: false
/// "#;
/// let set = boltseal_policy::PolicySet::from_yaml_str("policy.yaml", yaml)?;
/// let policy = &set.policies()[0];
/// assert_eq!(policy.name(), "require-digest");
/// // Pod rules also apply to pod controllers.
/// let rules: Vec<&str> = policy.rule_names().collect();
/// assert_eq!(rules, ["check-digest", "autogen-check-digest", "autogen-cronjob-check-digest"]);
/// # Ok::<(), boltseal_policy::LoadError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub(crate) policies: Vec<Policy>,
    pub(crate) warnings: Vec<String>,
}

impl PolicySet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// Parses every document of a multi-document YAML text. Empty documents are skipped;
    /// every other document must be a `kyverno.io/v1` `ClusterPolicy` or `Policy`.
    ///
    /// # Errors
    /// [`LoadError`] naming the source, the document index and the field.
    pub fn from_yaml_str(source: &str, text: &str) -> Result<Self, LoadError> {
        let mut set = PolicySet::new();
        set.add_yaml_str(source, text)?;
        Ok(set)
    }

    /// Loads files, or every `.yaml`/`.yml`/`.json` file under directories (sorted,
    /// recursively; symbolic links are not followed).
    ///
    /// # Errors
    /// [`LoadError`] for unreadable files and invalid policies.
    pub fn from_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Self, LoadError> {
        let mut set = PolicySet::new();
        for p in paths {
            for (name, text) in crate::files::read_yaml_files(p.as_ref())? {
                set.add_yaml_str(&name, &text)?;
            }
        }
        Ok(set)
    }

    /// Adds the policies of a YAML text.
    ///
    /// # Errors
    /// [`LoadError`] naming the source, the document index and the field.
    pub fn add_yaml_str(&mut self, source: &str, text: &str) -> Result<(), LoadError> {
        let docs = crate::yaml::documents(text).map_err(|e| LoadError::Yaml {
            source_name: source.to_owned(),
            reason: e.to_string(),
        })?;
        for (i, doc) in docs.iter().enumerate() {
            if doc.is_null() {
                continue;
            }
            let origin = Origin {
                source: source.to_owned(),
                document: i,
            };
            let (policy, warnings) = parse_policy(&origin, doc)?;
            self.warnings.extend(warnings);
            self.policies.push(policy);
        }
        Ok(())
    }

    /// Adds one policy document already parsed into JSON.
    ///
    /// # Errors
    /// [`LoadError`] naming the field.
    pub fn add_value(&mut self, origin: Origin, doc: &Value) -> Result<(), LoadError> {
        let (policy, warnings) = parse_policy(&origin, doc)?;
        self.warnings.extend(warnings);
        self.policies.push(policy);
        Ok(())
    }

    /// The policies, in load order.
    #[must_use]
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Things that load but behave differently from Kyverno. Callers should show them.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The failure policy for a request the engine could not finish (deadline, crash): `Fail`
    /// when any policy says `Fail` (the default), `Ignore` only when all say `Ignore`.
    #[must_use]
    pub fn failure_policy(&self) -> FailurePolicy {
        if self
            .policies
            .iter()
            .any(|p| p.failure_policy == FailurePolicy::Fail)
            || self.policies.is_empty()
        {
            FailurePolicy::Fail
        } else {
            FailurePolicy::Ignore
        }
    }

    /// The webhook timeout: the largest `webhookTimeoutSeconds` of the policies, else
    /// Kyverno's default of 10 s (always within 1–30).
    #[must_use]
    pub fn webhook_timeout_seconds(&self) -> u32 {
        self.policies
            .iter()
            .filter_map(|p| p.timeout_seconds)
            .max()
            .unwrap_or(10)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

pub(crate) struct Cx<'a> {
    pub(crate) origin: &'a Origin,
    pub(crate) warnings: Vec<String>,
    pub(crate) templates: Templates,
}

impl Cx<'_> {
    pub(crate) fn invalid(&self, field: &str, reason: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            origin: self.origin.clone(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(&self, field: &str, feature: impl Into<String>) -> LoadError {
        LoadError::Unsupported {
            origin: self.origin.clone(),
            field: field.to_owned(),
            feature: feature.into(),
        }
    }

    /// Checks the keys of an object: `known` are accepted, `unsupported` refused as such,
    /// anything else refused as unknown.
    pub(crate) fn fields<'v>(
        &self,
        v: &'v Value,
        path: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<&'v Map<String, Value>, LoadError> {
        let Some(map) = v.as_object() else {
            return Err(self.invalid(path, "expected an object"));
        };
        for (k, val) in map {
            if val.is_null() {
                continue;
            }
            if unsupported.contains(&k.as_str()) {
                return Err(self.unsupported(&join(path, k), format!("`{k}`")));
            }
            if !known.contains(&k.as_str()) {
                return Err(self.invalid(&join(path, k), "unknown field"));
            }
        }
        Ok(map)
    }

    pub(crate) fn string(
        &self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Option<String>, LoadError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(&join(path, key), "expected a string")),
        }
    }

    pub(crate) fn boolean(
        &self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
        default: bool,
    ) -> Result<bool, LoadError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.invalid(&join(path, key), "expected a boolean")),
        }
    }

    pub(crate) fn strings(
        &self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Vec<String>, LoadError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => {
                        Err(self.invalid(&format!("{}[{i}]", join(path, key)), "expected a string"))
                    }
                })
                .collect(),
            Some(_) => Err(self.invalid(&join(path, key), "expected a list of strings")),
        }
    }

    pub(crate) fn array<'v>(
        &self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<&'v [Value], LoadError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.invalid(&join(path, key), "expected a list")),
        }
    }

    pub(crate) fn string_map(
        &self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Vec<(String, String)>, LoadError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(self.invalid(&join(&join(path, key), k), "expected a string")),
                })
                .collect(),
            Some(_) => Err(self.invalid(&join(path, key), "expected a map of strings")),
        }
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

const AUTOGEN_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";
const CONTROLLERS: [(&str, &str); 6] = [
    ("DaemonSet", "apps/v1/DaemonSet"),
    ("Deployment", "apps/v1/Deployment"),
    ("Job", "batch/v1/Job"),
    ("StatefulSet", "apps/v1/StatefulSet"),
    ("ReplicaSet", "apps/v1/ReplicaSet"),
    ("ReplicationController", "v1/ReplicationController"),
];

fn parse_policy(origin: &Origin, doc: &Value) -> Result<(Policy, Vec<String>), LoadError> {
    let mut cx = Cx {
        origin,
        warnings: Vec::new(),
        templates: Templates::default(),
    };
    let top = cx.fields(
        doc,
        "",
        &["apiVersion", "kind", "metadata", "spec", "status"],
        &[],
    )?;
    let api_version = cx.string(top, "", "apiVersion")?.unwrap_or_default();
    let kind = match cx.string(top, "", "kind")?.as_deref() {
        Some("ClusterPolicy") => PolicyKind::ClusterPolicy,
        Some("Policy") => PolicyKind::Policy,
        Some(other) => {
            return Err(cx.invalid(
                "kind",
                format!("{other:?} is not a Kyverno ClusterPolicy or Policy"),
            ));
        }
        None => return Err(cx.invalid("kind", "missing")),
    };
    if !matches!(api_version.as_str(), "kyverno.io/v1" | "kyverno.io/v2beta1") {
        return Err(cx.invalid(
            "apiVersion",
            format!("{api_version:?}: expected kyverno.io/v1"),
        ));
    }
    let meta = top
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| cx.invalid("metadata", "missing"))?;
    let name = cx
        .string(meta, "metadata", "name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| cx.invalid("metadata.name", "missing"))?;
    let namespace = match kind {
        PolicyKind::ClusterPolicy => None,
        PolicyKind::Policy => Some(
            cx.string(meta, "metadata", "namespace")?
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
        ),
    };
    let annotations = cx.string_map(meta, "metadata", "annotations")?;
    let spec_v = top
        .get("spec")
        .ok_or_else(|| cx.invalid("spec", "missing"))?;
    let spec = cx.fields(
        spec_v,
        "spec",
        &[
            "rules",
            "validationFailureAction",
            "background",
            "admission",
            "emitWarning",
            "failurePolicy",
            "webhookTimeoutSeconds",
            "webhookConfiguration",
            "applyRules",
            "schemaValidation",
            "useServerSideApply",
            "mutateExistingOnPolicyUpdate",
            "generateExisting",
            "generateExistingOnPolicyUpdate",
        ],
        &["validationFailureActionOverrides"],
    )?;
    let validation_failure_action = match cx.string(spec, "spec", "validationFailureAction")? {
        None => FailureAction::Audit,
        Some(s) => parse_action(&cx, "spec.validationFailureAction", &s)?,
    };
    let mut failure_policy = match cx.string(spec, "spec", "failurePolicy")?.as_deref() {
        None | Some("Fail") => FailurePolicy::Fail,
        Some("Ignore") => FailurePolicy::Ignore,
        Some(other) => {
            return Err(cx.invalid(
                "spec.failurePolicy",
                format!("{other:?}: expected Fail or Ignore"),
            ));
        }
    };
    let mut timeout_seconds = timeout(&cx, spec, "spec", "webhookTimeoutSeconds")?;
    if let Some(wc) = spec.get("webhookConfiguration").filter(|v| !v.is_null()) {
        let wc = cx.fields(
            wc,
            "spec.webhookConfiguration",
            &["failurePolicy", "timeoutSeconds"],
            &["matchConditions"],
        )?;
        match cx
            .string(wc, "spec.webhookConfiguration", "failurePolicy")?
            .as_deref()
        {
            None => {}
            Some(_) if spec.get("failurePolicy").is_some_and(|v| !v.is_null()) => {
                return Err(cx.invalid(
                    "spec.webhookConfiguration.failurePolicy",
                    "set together with the deprecated spec.failurePolicy",
                ));
            }
            Some("Fail") => failure_policy = FailurePolicy::Fail,
            Some("Ignore") => failure_policy = FailurePolicy::Ignore,
            Some(other) => {
                return Err(cx.invalid(
                    "spec.webhookConfiguration.failurePolicy",
                    format!("{other:?}: expected Fail or Ignore"),
                ));
            }
        }
        if let Some(t) = timeout(&cx, wc, "spec.webhookConfiguration", "timeoutSeconds")? {
            timeout_seconds = Some(t);
        }
    }
    let apply_one = match cx.string(spec, "spec", "applyRules")?.as_deref() {
        None | Some("All") => false,
        Some("One") => true,
        Some(other) => {
            return Err(cx.invalid("spec.applyRules", format!("{other:?}: expected All or One")));
        }
    };
    let background = cx.boolean(spec, "spec", "background", true)?;
    let admission = cx.boolean(spec, "spec", "admission", true)?;

    let raw_rules = cx.array(spec, "spec", "rules")?;
    if raw_rules.is_empty() {
        return Err(cx.invalid("spec.rules", "a policy needs at least one rule"));
    }
    let mut rules = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, raw) in raw_rules.iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        let rule = parse_rule(&mut cx, &path, raw, Autogen::None)?;
        if !names.insert(rule.name.clone()) {
            return Err(cx.invalid(
                &format!("{path}.name"),
                format!("duplicate rule name {:?}", rule.name),
            ));
        }
        rules.push((raw, rule));
    }

    // Autogen for pod controllers.
    let controllers = autogen_controllers(&cx, &annotations)?;
    let mut generated = Vec::new();
    if !controllers.is_empty() && can_autogen(raw_rules) {
        for (i, (raw, rule)) in rules.iter().enumerate() {
            if !rule.matches.mentions_only_pods() {
                continue;
            }
            let path = format!("spec.rules[{i}]");
            let plain: Vec<&str> = CONTROLLERS
                .iter()
                .filter(|(k, _)| controllers.contains(k))
                .map(|(_, gvk)| *gvk)
                .collect();
            if !plain.is_empty() {
                let raw = autogen_rule(raw, &rule.name, "autogen-", &plain, Autogen::Controllers);
                generated.push(parse_rule(&mut cx, &path, &raw, Autogen::Controllers)?);
            }
            if controllers.contains(&"CronJob") {
                let raw = autogen_rule(
                    raw,
                    &rule.name,
                    "autogen-cronjob-",
                    &["batch/v1/CronJob"],
                    Autogen::CronJob,
                );
                generated.push(parse_rule(&mut cx, &path, &raw, Autogen::CronJob)?);
            }
        }
    }
    let mut all: Vec<Rule> = rules.into_iter().map(|(_, r)| r).collect();
    all.extend(generated);

    let mut warnings = std::mem::take(&mut cx.warnings);
    for w in &mut warnings {
        *w = format!("{origin}: policy {name}: {w}");
    }
    let templates = Arc::new(std::mem::take(&mut cx.templates));
    Ok((
        Policy {
            kind,
            name,
            namespace,
            origin: origin.clone(),
            validation_failure_action,
            failure_policy,
            timeout_seconds,
            apply_one,
            background,
            admission,
            rules: all,
            templates,
        },
        warnings,
    ))
}

fn timeout(
    cx: &Cx<'_>,
    map: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<u32>, LoadError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n @ 1..=30) => Ok(Some(u32::try_from(n).unwrap_or(30))),
            _ => Err(cx.invalid(&join(path, key), "expected an integer from 1 to 30")),
        },
    }
}

pub(crate) fn parse_action(cx: &Cx<'_>, path: &str, s: &str) -> Result<FailureAction, LoadError> {
    match s {
        "Audit" | "audit" => Ok(FailureAction::Audit),
        "Enforce" | "enforce" => Ok(FailureAction::Enforce),
        other => Err(cx.invalid(path, format!("{other:?}: expected Audit or Enforce"))),
    }
}

fn autogen_controllers<'a>(
    cx: &Cx<'_>,
    annotations: &'a [(String, String)],
) -> Result<Vec<&'a str>, LoadError> {
    let all = || {
        let mut v: Vec<&'a str> = CONTROLLERS.iter().map(|(k, _)| *k).collect();
        v.push("CronJob");
        v
    };
    let Some((_, value)) = annotations.iter().find(|(k, _)| k == AUTOGEN_ANNOTATION) else {
        return Ok(all());
    };
    match value.trim() {
        "none" => Ok(Vec::new()),
        "all" => Ok(all()),
        list => {
            let mut out = Vec::new();
            for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                if k != "CronJob" && !CONTROLLERS.iter().any(|(c, _)| *c == k) {
                    return Err(cx.invalid(
                        &format!("metadata.annotations.{AUTOGEN_ANNOTATION}"),
                        format!("{k:?} is not a pod controller"),
                    ));
                }
                out.push(k);
            }
            Ok(out)
        }
    }
}

/// Kyverno's `CanAutoGen`: no rule selects by name, label selector or annotations, and no
/// rule mixes Pod with other kinds.
fn can_autogen(raw_rules: &[Value]) -> bool {
    for rule in raw_rules {
        for block in ["match", "exclude"] {
            let Some(m) = rule.get(block) else { continue };
            let mut filters: Vec<&Value> = Vec::new();
            for list in ["any", "all"] {
                if let Some(Value::Array(items)) = m.get(list) {
                    filters.extend(items.iter());
                }
            }
            if m.get("resources").is_some() {
                filters.push(m);
            }
            for f in filters {
                let Some(res) = f.get("resources") else {
                    continue;
                };
                for key in ["name", "names", "selector", "annotations"] {
                    if res.get(key).is_some_and(|v| !v.is_null()) {
                        return false;
                    }
                }
                if let Some(Value::Array(kinds)) = res.get("kinds") {
                    let pods = kinds.iter().any(|k| is_pod_kind(k.as_str().unwrap_or("")));
                    if pods && kinds.len() > 1 {
                        return false;
                    }
                }
            }
        }
        if rule.get("mutate").is_some() || rule.get("generate").is_some() {
            return false;
        }
    }
    true
}

pub(crate) fn is_pod_kind(k: &str) -> bool {
    matches!(k, "Pod" | "v1/Pod")
}

/// Builds the raw JSON of a generated rule: renamed, kinds replaced, pattern re-rooted and
/// `request.object.spec`/`metadata` variables moved under the pod template.
fn autogen_rule(raw: &Value, name: &str, prefix: &str, kinds: &[&str], target: Autogen) -> Value {
    let mut rule = raw.clone();
    let mut new_name = format!("{prefix}{name}");
    if new_name.len() > 63 {
        let mut cut = 63;
        while !new_name.is_char_boundary(cut) {
            cut -= 1;
        }
        new_name.truncate(cut);
    }
    if let Some(obj) = rule.as_object_mut() {
        obj.insert("name".to_owned(), Value::String(new_name));
        for block in ["match", "exclude"] {
            if let Some(m) = obj.get_mut(block) {
                replace_kinds(m, kinds);
            }
        }
    }
    let is_validate = rule.get("validate").is_some();
    if is_validate {
        let wrap = |p: Value| -> Value {
            match target {
                Autogen::CronJob => {
                    serde_json::json!({"spec": {"jobTemplate": {"spec": {"template": p}}}})
                }
                _ => serde_json::json!({"spec": {"template": p}}),
            }
        };
        if let Some(v) = rule.get_mut("validate").and_then(Value::as_object_mut) {
            if let Some(p) = v.remove("pattern") {
                v.insert("pattern".to_owned(), wrap(p));
            }
            if let Some(Value::Array(ps)) = v.remove("anyPattern") {
                v.insert(
                    "anyPattern".to_owned(),
                    Value::Array(ps.into_iter().map(wrap).collect()),
                );
            }
        }
        let text = rule.to_string();
        let template = match target {
            Autogen::CronJob => "spec.jobTemplate.spec.template",
            _ => "spec.template",
        };
        let mut out = text;
        for root in ["request.object", "request.oldObject"] {
            out = out
                .replace(&format!("{root}.spec"), &format!("{root}.{template}.spec"))
                .replace(
                    &format!("{root}.metadata"),
                    &format!("{root}.{template}.metadata"),
                );
        }
        if let Ok(v) = serde_json::from_str(&out) {
            rule = v;
        }
    }
    rule
}

fn replace_kinds(m: &mut Value, kinds: &[&str]) {
    let new_kinds = Value::Array(
        kinds
            .iter()
            .map(|k| Value::String((*k).to_owned()))
            .collect(),
    );
    let fix = |f: &mut Value| {
        if let Some(res) = f.get_mut("resources").and_then(Value::as_object_mut) {
            let has_pod = res
                .get("kinds")
                .and_then(Value::as_array)
                .is_some_and(|ks| ks.iter().any(|k| is_pod_kind(k.as_str().unwrap_or(""))));
            if has_pod {
                res.insert("kinds".to_owned(), new_kinds.clone());
            }
        }
    };
    for list in ["any", "all"] {
        if let Some(Value::Array(items)) = m.get_mut(list) {
            items.iter_mut().for_each(fix);
        }
    }
    fix(m);
}

fn parse_rule(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    autogen: Autogen,
) -> Result<Rule, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &[
            "name",
            "match",
            "exclude",
            "context",
            "preconditions",
            "validate",
            "verifyImages",
            "skipBackgroundRequests",
            "reportProperties",
        ],
        &["mutate", "generate", "celPreconditions", "imageExtractors"],
    )?;
    let name = cx
        .string(map, path, "name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| cx.invalid(&join(path, "name"), "missing"))?;
    if name.len() > 63 && autogen == Autogen::None {
        return Err(cx.invalid(&join(path, "name"), "longer than 63 characters"));
    }
    let matches = match map.get("match") {
        Some(m) => parse_match(cx, &join(path, "match"), m)?,
        None => return Err(cx.invalid(&join(path, "match"), "missing")),
    };
    let exclude = match map.get("exclude").filter(|v| !v.is_null()) {
        Some(m) => Some(parse_match(cx, &join(path, "exclude"), m)?),
        None => None,
    };
    let mut context = Vec::new();
    for (i, c) in cx.array(map, path, "context")?.iter().enumerate() {
        context.push(parse_context(cx, &format!("{path}.context[{i}]"), c)?);
    }
    let preconditions = match map.get("preconditions").filter(|v| !v.is_null()) {
        Some(p) => Some(Conditions::parse(cx, &join(path, "preconditions"), p)?),
        None => None,
    };
    let body = match (map.get("validate"), map.get("verifyImages")) {
        (Some(v), None) => RuleBody::Validate(parse_validation(cx, &join(path, "validate"), v)?),
        (None, Some(v)) => {
            let items = v
                .as_array()
                .ok_or_else(|| cx.invalid(&join(path, "verifyImages"), "expected a list"))?;
            if items.is_empty() {
                return Err(cx.invalid(&join(path, "verifyImages"), "empty"));
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(parse_image_verification(
                    cx,
                    &format!("{path}.verifyImages[{i}]"),
                    item,
                )?);
            }
            RuleBody::VerifyImages(out)
        }
        (Some(_), Some(_)) => {
            return Err(cx.invalid(path, "a rule has exactly one of validate or verifyImages"));
        }
        (None, None) => {
            return Err(cx.invalid(path, "a rule needs validate or verifyImages"));
        }
    };
    Ok(Rule {
        name,
        matches,
        exclude,
        context,
        preconditions,
        body,
    })
}

fn parse_context(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<ContextEntry, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &[
            "name",
            "variable",
            "apiCall",
            "configMap",
            "imageRegistry",
            "globalReference",
        ],
        &[],
    )?;
    let name = cx
        .string(map, path, "name")?
        .ok_or_else(|| cx.invalid(&join(path, "name"), "missing"))?;
    let source = if let Some(v) = map.get("variable") {
        let vp = join(path, "variable");
        let vm = cx.fields(v, &vp, &["value", "jmesPath", "default"], &[])?;
        let jmes_path = cx.string(vm, &vp, "jmesPath")?;
        if let Some(j) = &jmes_path {
            cx.templates
                .compile_expression(j)
                .map_err(|e| cx.invalid(&join(&vp, "jmesPath"), e))?;
        }
        if let Some(value) = vm.get("value") {
            cx.templates
                .collect(value)
                .map_err(|e| cx.invalid(&join(&vp, "value"), e))?;
        }
        ContextSource::Variable {
            value: vm.get("value").cloned(),
            jmes_path,
            default: vm.get("default").cloned(),
        }
    } else if map.contains_key("apiCall") {
        ContextSource::External("apiCall")
    } else if map.contains_key("configMap") {
        ContextSource::External("configMap")
    } else if map.contains_key("imageRegistry") {
        ContextSource::External("imageRegistry")
    } else if map.contains_key("globalReference") {
        ContextSource::External("globalReference")
    } else {
        return Err(cx.invalid(path, "a context entry needs a source"));
    };
    Ok(ContextEntry { name, source })
}

fn parse_validation(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Validation, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &[
            "message",
            "pattern",
            "anyPattern",
            "deny",
            "foreach",
            "failureAction",
            "allowExistingViolations",
        ],
        &[
            "failureActionOverrides",
            "podSecurity",
            "cel",
            "manifests",
            "assert",
        ],
    )?;
    let message = cx.string(map, path, "message")?;
    if let Some(m) = &message {
        cx.templates
            .collect(&Value::String(m.clone()))
            .map_err(|e| cx.invalid(&join(path, "message"), e))?;
    }
    let failure_action = match cx.string(map, path, "failureAction")? {
        Some(s) => Some(parse_action(cx, &join(path, "failureAction"), &s)?),
        None => None,
    };
    let allow_existing_violations = cx.boolean(map, path, "allowExistingViolations", true)?;
    let check = parse_check(cx, path, map, true)?;
    Ok(Validation {
        message,
        failure_action,
        allow_existing_violations,
        check,
    })
}

fn parse_check(
    cx: &mut Cx<'_>,
    path: &str,
    map: &Map<String, Value>,
    allow_foreach: bool,
) -> Result<Check, LoadError> {
    let present: Vec<&str> = ["pattern", "anyPattern", "deny", "foreach"]
        .into_iter()
        .filter(|k| map.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if present.len() != 1 {
        return Err(cx.invalid(
            path,
            "exactly one of pattern, anyPattern, deny or foreach is required",
        ));
    }
    match present[0] {
        "pattern" => {
            let p = map.get("pattern").cloned().unwrap_or(Value::Null);
            cx.templates
                .collect(&p)
                .map_err(|e| cx.invalid(&join(path, "pattern"), e))?;
            Ok(Check::Pattern(p))
        }
        "anyPattern" => {
            let items = cx.array(map, path, "anyPattern")?.to_vec();
            if items.is_empty() {
                return Err(cx.invalid(&join(path, "anyPattern"), "empty"));
            }
            for p in &items {
                cx.templates
                    .collect(p)
                    .map_err(|e| cx.invalid(&join(path, "anyPattern"), e))?;
            }
            Ok(Check::AnyPattern(items))
        }
        "deny" => {
            let dp = join(path, "deny");
            let d = cx.fields(
                map.get("deny").unwrap_or(&Value::Null),
                &dp,
                &["conditions"],
                &[],
            )?;
            let conditions = match d.get("conditions").filter(|v| !v.is_null()) {
                Some(c) => Conditions::parse(cx, &join(&dp, "conditions"), c)?,
                None => Conditions::always(),
            };
            Ok(Check::Deny(conditions))
        }
        _ => {
            if !allow_foreach {
                return Err(cx.unsupported(&join(path, "foreach"), "nested `foreach`"));
            }
            let mut out = Vec::new();
            for (i, f) in cx.array(map, path, "foreach")?.iter().enumerate() {
                let fp = format!("{path}.foreach[{i}]");
                let fm = cx.fields(
                    f,
                    &fp,
                    &[
                        "list",
                        "pattern",
                        "anyPattern",
                        "deny",
                        "preconditions",
                        "elementScope",
                        "foreach",
                    ],
                    &["context"],
                )?;
                let list = cx
                    .string(fm, &fp, "list")?
                    .ok_or_else(|| cx.invalid(&join(&fp, "list"), "missing"))?;
                cx.templates
                    .compile_expression(&list)
                    .map_err(|e| cx.invalid(&join(&fp, "list"), e))?;
                let preconditions = match fm.get("preconditions").filter(|v| !v.is_null()) {
                    Some(p) => Some(Conditions::parse(cx, &join(&fp, "preconditions"), p)?),
                    None => None,
                };
                let check = parse_check(cx, &fp, fm, false)?;
                out.push(Foreach {
                    list,
                    preconditions,
                    check,
                });
            }
            if out.is_empty() {
                return Err(cx.invalid(&join(path, "foreach"), "empty"));
            }
            Ok(Check::Foreach(out))
        }
    }
}

fn parse_image_verification(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
) -> Result<ImageVerification, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &[
            "failureAction",
            "type",
            "imageReferences",
            "skipImageReferences",
            "attestors",
            "attestations",
            "mutateDigest",
            "verifyDigest",
            "required",
            "useCache",
            "validate",
            "cosignOCI11",
            "image",
            "key",
            "subject",
            "issuer",
            "roots",
            "annotations",
        ],
        &[
            "repository",
            "imageRegistryCredentials",
            "additionalExtensions",
        ],
    )?;
    match cx.string(map, path, "type")?.as_deref() {
        None | Some("Cosign") | Some("SigstoreBundle") => {}
        Some("Notary") => return Err(cx.unsupported(&join(path, "type"), "`type: Notary`")),
        Some(other) => {
            return Err(cx.invalid(&join(path, "type"), format!("unknown type {other:?}")));
        }
    }
    let failure_action = match cx.string(map, path, "failureAction")? {
        Some(s) => Some(parse_action(cx, &join(path, "failureAction"), &s)?),
        None => None,
    };
    let mut image_references = cx.strings(map, path, "imageReferences")?;
    if let Some(image) = cx.string(map, path, "image")? {
        image_references.push(image);
    }
    if image_references.is_empty() {
        return Err(cx.invalid(&join(path, "imageReferences"), "at least one is required"));
    }
    let skip_image_references = cx.strings(map, path, "skipImageReferences")?;
    let mut attestors = Vec::new();
    for (i, a) in cx.array(map, path, "attestors")?.iter().enumerate() {
        attestors.push(parse_attestor_set(
            cx,
            &format!("{path}.attestors[{i}]"),
            a,
            0,
        )?);
    }
    // Deprecated single-attestor fields.
    let legacy_annotations = cx.string_map(map, path, "annotations")?;
    if let Some(key) = cx.string(map, path, "key")? {
        let keys = parse_keys(cx, &join(path, "key"), &key)?;
        // As Kyverno converts it: a static key whose signatures must be in the public Rekor log.
        let rekor_keys = public_rekor_keys();
        attestors.push(AttestorSetSpec {
            count: None,
            entries: keys
                .into_iter()
                .map(|k| AttestorEntry {
                    kind: AttestorKind::Key(k),
                    annotations: legacy_annotations.clone(),
                    rekor_keys: rekor_keys.clone(),
                    label: "keys",
                })
                .collect(),
        });
    } else if map.contains_key("subject") || map.contains_key("issuer") {
        let subject = cx.string(map, path, "subject")?;
        let issuer = cx.string(map, path, "issuer")?;
        let roots = cx.string(map, path, "roots")?;
        let kind = keyless(cx, path, subject, None, issuer, None, roots)?;
        attestors.push(AttestorSetSpec {
            count: None,
            entries: vec![AttestorEntry {
                kind,
                annotations: legacy_annotations,
                rekor_keys: Vec::new(),
                label: "keyless",
            }],
        });
    }
    let mut attestations = Vec::new();
    for (i, a) in cx.array(map, path, "attestations")?.iter().enumerate() {
        attestations.push(parse_attestation(
            cx,
            &format!("{path}.attestations[{i}]"),
            a,
        )?);
    }
    let validate = match map.get("validate").filter(|v| !v.is_null()) {
        Some(v) => {
            let vp = join(path, "validate");
            let vm = cx.fields(v, &vp, &["message", "deny"], &[])?;
            let message = cx.string(vm, &vp, "message")?;
            let dp = join(&vp, "deny");
            let d = cx.fields(
                vm.get("deny").unwrap_or(&Value::Null),
                &dp,
                &["conditions"],
                &[],
            )?;
            let conditions = match d.get("conditions").filter(|v| !v.is_null()) {
                Some(c) => Conditions::parse(cx, &join(&dp, "conditions"), c)?,
                None => Conditions::always(),
            };
            Some((message, conditions))
        }
        None => None,
    };
    let mutate_digest = cx.boolean(map, path, "mutateDigest", true)?;
    let action = failure_action.unwrap_or(FailureAction::Audit);
    if mutate_digest && failure_action.is_some() && action == FailureAction::Audit {
        return Err(cx.invalid(
            &join(path, "mutateDigest"),
            "mutateDigest must be set to false for 'Audit' failure action",
        ));
    }
    Ok(ImageVerification {
        failure_action,
        image_references,
        skip_image_references,
        attestors,
        attestations,
        mutate_digest,
        verify_digest: cx.boolean(map, path, "verifyDigest", true)?,
        required: cx.boolean(map, path, "required", true)?,
        use_cache: cx.boolean(map, path, "useCache", true)?,
        validate,
    })
}

const MAX_ATTESTOR_DEPTH: usize = 8;

fn parse_attestor_set(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    depth: usize,
) -> Result<AttestorSetSpec, LoadError> {
    if depth > MAX_ATTESTOR_DEPTH {
        return Err(cx.invalid(path, "attestors nested too deeply"));
    }
    let map = cx.fields(raw, path, &["count", "entries"], &[])?;
    let count = match map.get("count") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    cx.invalid(&join(path, "count"), "expected a non-negative integer")
                })?,
        ),
    };
    let mut entries = Vec::new();
    for (j, e) in cx.array(map, path, "entries")?.iter().enumerate() {
        entries.extend(parse_attestor_entry(
            cx,
            &format!("{path}.entries[{j}]"),
            e,
            depth,
        )?);
    }
    if entries.is_empty() {
        return Err(cx.invalid(&join(path, "entries"), "at least one entry is required"));
    }
    if let Some(n) = count
        && n > entries.len()
    {
        return Err(cx.invalid(
            &join(path, "count"),
            format!("count {n} is larger than the {} entries", entries.len()),
        ));
    }
    Ok(AttestorSetSpec { count, entries })
}

fn parse_attestor_entry(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    depth: usize,
) -> Result<Vec<AttestorEntry>, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &[
            "keys",
            "keyless",
            "attestor",
            "annotations",
            "signatureAlgorithm",
        ],
        &["certificates", "repository"],
    )?;
    let annotations = cx.string_map(map, path, "annotations")?;
    let kinds = ["keys", "keyless", "attestor"]
        .into_iter()
        .filter(|k| map.get(*k).is_some_and(|v| !v.is_null()))
        .count();
    if kinds != 1 {
        return Err(cx.invalid(path, "exactly one of keys, keyless or attestor is required"));
    }
    if let Some(keys) = map.get("keys").filter(|v| !v.is_null()) {
        let kp = join(path, "keys");
        let km = cx.fields(
            keys,
            &kp,
            &["publicKeys", "signatureAlgorithm", "rekor", "ctlog"],
            &["kms", "secret"],
        )?;
        signature_algorithm(cx, km, &kp)?;
        let pem = cx
            .string(km, &kp, "publicKeys")?
            .ok_or_else(|| cx.invalid(&join(&kp, "publicKeys"), "missing"))?;
        if pem.starts_with("k8s://") {
            return Err(cx.unsupported(&join(&kp, "publicKeys"), "`k8s://` secret references"));
        }
        let rekor_keys = rekor_keys(cx, km, &kp)?;
        let keys = parse_keys(cx, &join(&kp, "publicKeys"), &pem)?;
        return Ok(keys
            .into_iter()
            .map(|k| AttestorEntry {
                kind: AttestorKind::Key(k),
                annotations: annotations.clone(),
                rekor_keys: rekor_keys.clone(),
                label: "keys",
            })
            .collect());
    }
    if let Some(kl) = map.get("keyless").filter(|v| !v.is_null()) {
        let kp = join(path, "keyless");
        let km = cx.fields(
            kl,
            &kp,
            &[
                "subject",
                "issuer",
                "subjectRegExp",
                "issuerRegExp",
                "roots",
                "rekor",
                "ctlog",
            ],
            &["additionalExtensions"],
        )?;
        let subject = cx.string(km, &kp, "subject")?;
        let subject_re = cx.string(km, &kp, "subjectRegExp")?;
        let issuer = cx.string(km, &kp, "issuer")?;
        let issuer_re = cx.string(km, &kp, "issuerRegExp")?;
        let roots = cx.string(km, &kp, "roots")?;
        let kind = keyless(cx, &kp, subject, subject_re, issuer, issuer_re, roots)?;
        return Ok(vec![AttestorEntry {
            kind,
            annotations,
            rekor_keys: Vec::new(),
            label: "keyless",
        }]);
    }
    let nested = map.get("attestor").unwrap_or(&Value::Null);
    let set = parse_attestor_set(cx, &join(path, "attestor"), nested, depth + 1)?;
    Ok(vec![AttestorEntry {
        kind: AttestorKind::Nested(set),
        annotations,
        rekor_keys: Vec::new(),
        label: "attestor",
    }])
}

/// The public Sigstore Rekor log's URL, whose keys come with boltseal.
const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";

/// The ECDSA P-256 keys of the public Rekor log (from the embedded Sigstore trusted root).
fn public_rekor_keys() -> Vec<PublicKey> {
    // Read from the embedded root once per process, not once per attestor.
    static KEYS: std::sync::OnceLock<Vec<PublicKey>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        TrustedRoot::public_good()
            .tlogs()
            .iter()
            .filter_map(|log| log.key())
            .filter_map(|k| PublicKey::from_spki_der(k.spki_der()).ok())
            .collect()
    })
    .clone()
}

/// What a `keys` attestor's `rekor` asks for, as Kyverno reads it: nothing with
/// `ignoreTlog: true`; else a log entry whose SET verifies with `pubkey`, or with the public
/// Rekor log's keys when neither `pubkey` nor another `url` is given. Log entries are checked
/// offline, so another log's `url` without its `pubkey` cannot be honoured and is refused.
fn rekor_keys(
    cx: &Cx<'_>,
    keys: &Map<String, Value>,
    path: &str,
) -> Result<Vec<PublicKey>, LoadError> {
    let rp = join(path, "rekor");
    let empty = Map::new();
    let rekor = match keys.get("rekor").filter(|v| !v.is_null()) {
        Some(r) => cx.fields(
            r,
            &rp,
            &["url", "pubkey", "ignoreTlog", "tsaCertChain"],
            &[],
        )?,
        None => &empty,
    };
    let ignore = match rekor.get("ignoreTlog") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(cx.invalid(&join(&rp, "ignoreTlog"), "not a boolean")),
    };
    if ignore {
        return Ok(Vec::new());
    }
    if let Some(pem) = cx.string(rekor, &rp, "pubkey")? {
        return parse_keys(cx, &join(&rp, "pubkey"), &pem);
    }
    match cx.string(rekor, &rp, "url")?.as_deref() {
        None | Some("") => Ok(public_rekor_keys()),
        Some(url) if url.trim_end_matches('/') == PUBLIC_REKOR => Ok(public_rekor_keys()),
        Some(url) => Err(cx.unsupported(
            &join(&rp, "url"),
            format!(
                "a transparency log at {url} without its `pubkey` (boltseal checks log entries \
                 offline; give `rekor.pubkey`, or `rekor.ignoreTlog: true`)"
            ),
        )),
    }
}

fn signature_algorithm(cx: &Cx<'_>, map: &Map<String, Value>, path: &str) -> Result<(), LoadError> {
    match cx.string(map, path, "signatureAlgorithm")?.as_deref() {
        None | Some("") | Some("sha256") => Ok(()),
        Some(other) => Err(cx.unsupported(
            &join(path, "signatureAlgorithm"),
            format!("signature algorithm {other:?} (only sha256)"),
        )),
    }
}

/// Splits a `publicKeys` string holding one or more PEM public keys.
fn parse_keys(cx: &Cx<'_>, path: &str, text: &str) -> Result<Vec<PublicKey>, LoadError> {
    const END: &str = "-----END PUBLIC KEY-----";
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(END) {
        let (pem, tail) = rest.split_at(at + END.len());
        let key = PublicKey::from_pem(pem.trim().as_bytes())
            .map_err(|e| cx.invalid(path, format!("public key {}: {e}", keys.len())))?;
        keys.push(key);
        rest = tail;
    }
    if !rest.trim().is_empty() || keys.is_empty() {
        return Err(cx.invalid(path, "expected one or more PEM public keys"));
    }
    Ok(keys)
}

/// Whether a regular expression only matches whole values: it starts with `^` or `\A` and ends
/// with an unescaped `$` or `\z`. Kyverno and cosign match unanchored (a match anywhere in the
/// identity counts), so `.*@example\.com` also accepts `x@example.com.evil.org`.
pub(crate) fn is_anchored(pattern: &str) -> bool {
    let starts = pattern.starts_with('^') || pattern.starts_with("\\A");
    let ends = pattern.ends_with("\\z")
        || (pattern.ends_with('$') && {
            let backslashes = pattern[..pattern.len() - 1]
                .chars()
                .rev()
                .take_while(|&c| c == '\\')
                .count();
            backslashes % 2 == 0
        });
    starts && ends
}

fn keyless(
    cx: &mut Cx<'_>,
    path: &str,
    subject: Option<String>,
    subject_re: Option<String>,
    issuer: Option<String>,
    issuer_re: Option<String>,
    roots: Option<String>,
) -> Result<AttestorKind, LoadError> {
    // Kyverno accepts any identity when none is given; a gate must not.
    if subject.is_none() && subject_re.is_none() && issuer.is_none() && issuer_re.is_none() {
        return Err(cx.invalid(
            path,
            "a keyless attestor must constrain the signer's identity \
             (subject or subjectRegExp, issuer or issuerRegExp): without them any certificate counts",
        ));
    }
    if subject.is_none() && subject_re.is_none() {
        cx.warnings.push(format!(
            "{}: no subject or subjectRegExp: any identity the issuer vouches for counts",
            path
        ));
    }
    for (field, exact, re) in [
        ("subjectRegExp", &subject, &subject_re),
        ("issuerRegExp", &issuer, &issuer_re),
    ] {
        if let (None, Some(re)) = (exact, re)
            && !is_anchored(re)
        {
            cx.warnings.push(format!(
                "{}: {re:?} is not anchored (^…$): it matches any identity that merely contains a match",
                join(path, field)
            ));
        }
    }
    let matcher =
        |exact: Option<String>, re: Option<String>, field: &str| -> Result<Matcher, LoadError> {
            match (exact, re) {
                (Some(s), _) => Ok(Matcher::exact(s)),
                (None, Some(r)) => {
                    Matcher::regex(&r).map_err(|e| cx.invalid(&join(path, field), e.to_string()))
                }
                (None, None) => {
                    Matcher::regex(".*").map_err(|e| cx.invalid(&join(path, field), e.to_string()))
                }
            }
        };
    let subject = matcher(subject, subject_re, "subjectRegExp")?;
    let issuer = matcher(issuer, issuer_re, "issuerRegExp")?;
    let trust = match roots {
        None => TrustedRoot::public_good(),
        Some(text) => {
            let t = text.trim_start();
            if t.starts_with('{') {
                TrustedRoot::from_json(t.as_bytes())
                    .map_err(|e| cx.invalid(&join(path, "roots"), e.to_string()))?
            } else {
                return Err(cx.unsupported(
                    &join(path, "roots"),
                    "PEM certificate roots (give a trusted_root.json document)",
                ));
            }
        }
    };
    Ok(AttestorKind::Keyless {
        identity: Identity::new(subject, issuer),
        trust: Arc::new(trust),
    })
}

fn parse_attestation(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Attestation, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &["name", "type", "predicateType", "attestors", "conditions"],
        &[],
    )?;
    let predicate_type = cx
        .string(map, path, "type")?
        .filter(|s| !s.is_empty())
        .or(cx.string(map, path, "predicateType")?)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| cx.invalid(&join(path, "type"), "missing type"))?;
    let mut attestors = Vec::new();
    for (i, a) in cx.array(map, path, "attestors")?.iter().enumerate() {
        attestors.push(parse_attestor_set(
            cx,
            &format!("{path}.attestors[{i}]"),
            a,
            0,
        )?);
    }
    if attestors.is_empty() {
        return Err(cx.unsupported(
            &join(path, "attestors"),
            "attestations without attestors (statements read without identity checks)",
        ));
    }
    let mut conditions = Vec::new();
    for (i, c) in cx.array(map, path, "conditions")?.iter().enumerate() {
        conditions.push(Conditions::parse(
            cx,
            &format!("{path}.conditions[{i}]"),
            c,
        )?);
    }
    Ok(Attestation {
        predicate_type,
        attestors,
        conditions,
    })
}
