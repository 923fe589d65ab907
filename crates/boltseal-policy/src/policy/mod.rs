//! The policy model: `kyverno.io/v1` `ClusterPolicy` and `Policy` documents parsed into typed
//! rules, with the CRD schema defaults applied and pod-controller rules generated (autogen).

mod autogen;
mod images;
mod load;
mod reader;

use std::path::Path;
use std::sync::Arc;

use boltseal_keys::PublicKey;
use boltseal_verify::bundle::Identity;
use boltseal_verify::trust::TrustedRoot;
use serde_json::Value;

pub(crate) use self::autogen::is_pod_kind;
pub(crate) use self::reader::Cx;
use crate::admission::FailurePolicy;
use crate::condition::{Conditions, Templates};
use crate::error::{LoadError, Origin};
use crate::matching::MatchResources;

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
            let (policy, warnings) = load::parse_policy(&origin, doc)?;
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
        let (policy, warnings) = load::parse_policy(&origin, doc)?;
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
