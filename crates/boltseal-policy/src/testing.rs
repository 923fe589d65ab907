//! `kyverno test`: runs `kyverno-test.yaml` files (`cli.kyverno.io/v1alpha1` `Test`) with
//! their policies, resources and values, and compares the results the way the Kyverno CLI
//! does: resources by `name` or `namespace/name` (the `kind` of a result is informational),
//! `rule: X` also answering for `autogen-X` and `autogen-cronjob-X`, and a resource for which
//! a policy produced no rule result at all counting as passed ("Excluded").

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::admission::{Operation, Phase};
use crate::engine::{AdmissionInput, Engine, VariableSource};
use crate::error::{LoadError, Origin};
use crate::policy::PolicySet;
use crate::response::{EngineResponse, RuleStatus};
use boltseal_evidence::ImageVerifier;

/// The file name `kyverno test` looks for.
pub const TEST_FILE_NAME: &str = "kyverno-test.yaml";

/// Every `kyverno-test.yaml` below `dir` (sorted; symbolic links not followed).
///
/// # Errors
/// [`LoadError::Io`] when a directory cannot be read.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    walk(dir, &mut out, 0)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    if depth > 32 {
        return Ok(());
    }
    let io = |source| LoadError::Io {
        path: dir.to_owned(),
        source,
    };
    if dir.is_file() {
        out.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let ty = entry.file_type().map_err(io)?;
        let p = entry.path();
        if ty.is_dir() {
            walk(&p, out, depth + 1)?;
        } else if ty.is_file() && entry.file_name() == TEST_FILE_NAME {
            out.push(p);
        }
    }
    Ok(())
}

/// One expected result, checked.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The policy named by the test.
    pub policy: String,
    /// The rule named by the test.
    pub rule: String,
    /// The resource named by the test (`name` or `namespace/name`).
    pub resource: String,
    /// The `kind` the test gives (informational).
    pub kind: String,
    /// The expected result.
    pub expected: RuleStatus,
    /// What the engine said (`None`: no result found).
    pub actual: Option<RuleStatus>,
    /// Whether it matches.
    pub ok: bool,
    /// Explanation: the rule message, `Excluded`, or why nothing matched.
    pub reason: String,
}

/// The outcome of one test file.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct TestReport {
    /// The test file.
    pub file: PathBuf,
    /// Its `metadata.name`.
    pub name: String,
    /// One entry per (result, resource) pair.
    pub cases: Vec<CaseResult>,
}

impl TestReport {
    /// Whether every case matched.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.ok)
    }
}

struct Expected {
    policy: String,
    rule: String,
    resources: Vec<String>,
    kind: String,
    result: RuleStatus,
    patched: Option<PathBuf>,
}

/// Values (`kind: Values`): variables per policy, resource and rule.
#[derive(Default)]
struct Values {
    global: Vec<(String, Value)>,
    policies: Vec<PolicyValues>,
    namespace_labels: Vec<(String, Map<String, Value>)>,
}

struct PolicyValues {
    name: String,
    resources: Vec<(String, Vec<(String, Value)>)>,
    rules: Vec<(String, Vec<(String, Value)>)>,
}

struct ResourceVars<'a> {
    values: &'a Values,
    resource: &'a str,
}

impl VariableSource for ResourceVars<'_> {
    fn variables(&self, policy: &str, rule: &str) -> Vec<(String, Value)> {
        let mut out = self.values.global.clone();
        for p in self.values.policies.iter().filter(|p| p.name == policy) {
            for (name, vars) in &p.resources {
                if name == self.resource {
                    out.extend(vars.iter().cloned());
                }
            }
            for (name, vars) in &p.rules {
                if rule_matches(name, rule) {
                    out.extend(vars.iter().cloned());
                }
            }
        }
        out
    }
}

fn rule_matches(expected: &str, actual: &str) -> bool {
    actual == expected
        || actual.strip_prefix("autogen-cronjob-") == Some(expected)
        || actual.strip_prefix("autogen-") == Some(expected)
}

fn invalid(origin: &Origin, field: &str, reason: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        origin: origin.clone(),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn relative(base: &Path, origin: &Origin, field: &str, p: &str) -> Result<PathBuf, LoadError> {
    if p.contains("://") {
        return Err(LoadError::Unsupported {
            origin: origin.clone(),
            field: field.to_owned(),
            feature: format!("remote path {p:?}"),
        });
    }
    Ok(base.join(p))
}

fn vars_of(v: Option<&Value>) -> Vec<(String, Value)> {
    v.and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn parse_values(doc: &Value) -> Values {
    let mut values = Values {
        global: vars_of(doc.get("globalValues")),
        ..Values::default()
    };
    for p in doc
        .get("policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let list = |key: &str| -> Vec<(String, Vec<(String, Value)>)> {
            p.get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| {
                    (
                        r.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        vars_of(r.get("values")),
                    )
                })
                .collect()
        };
        values.policies.push(PolicyValues {
            name,
            resources: list("resources"),
            rules: list("rules"),
        });
    }
    for ns in doc
        .get("namespaceSelector")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(name), Some(labels)) = (
            ns.get("name").and_then(Value::as_str),
            ns.get("labels").and_then(Value::as_object),
        ) {
            values
                .namespace_labels
                .push((name.to_owned(), labels.clone()));
        }
    }
    values
}

/// Runs one `kyverno-test.yaml`.
///
/// # Errors
/// [`LoadError`] when the test file, a policy, a resource or the values cannot be loaded;
/// mismatches are reported in the [`TestReport`], not as errors.
pub async fn run_test_file(
    file: &Path,
    verifier: Arc<dyn ImageVerifier>,
) -> Result<TestReport, LoadError> {
    let text = crate::files::read_bounded(file)?;
    let source = file.display().to_string();
    let docs = crate::yaml::documents(&text).map_err(|e| LoadError::Yaml {
        source_name: source.clone(),
        reason: e.to_string(),
    })?;
    let origin = Origin {
        source,
        document: 0,
    };
    let doc = docs
        .into_iter()
        .find(|d| !d.is_null())
        .ok_or_else(|| invalid(&origin, "", "empty test file"))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let strings = |key: &str| -> Result<Vec<String>, LoadError> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(&origin, key, "expected a list of paths"))
                })
                .collect(),
            Some(_) => Err(invalid(&origin, key, "expected a list of paths")),
        }
    };
    for unsupported in [
        "exceptions",
        "targetResources",
        "clusterResources",
        "apiCallResponses",
        "globalContextEntries",
        "userinfo",
    ] {
        if doc.get(unsupported).is_some_and(|v| !v.is_null()) {
            return Err(LoadError::Unsupported {
                origin: origin.clone(),
                field: unsupported.to_owned(),
                feature: format!("`{unsupported}` in kyverno-test.yaml"),
            });
        }
    }
    let mut policy_paths = Vec::new();
    for p in strings("policies")? {
        policy_paths.push(relative(base, &origin, "policies", &p)?);
    }
    let mut resource_paths = Vec::new();
    for p in strings("resources")? {
        resource_paths.push(relative(base, &origin, "resources", &p)?);
    }
    let policies = PolicySet::from_paths(&policy_paths)?;
    let resources = crate::files::load_resources(&resource_paths)?;
    let mut values = match doc.get("variables").and_then(Value::as_str) {
        Some(p) => {
            let path = relative(base, &origin, "variables", p)?;
            let text = crate::files::read_bounded(&path)?;
            let vdocs = crate::yaml::documents(&text).map_err(|e| LoadError::Yaml {
                source_name: path.display().to_string(),
                reason: e.to_string(),
            })?;
            vdocs
                .iter()
                .find(|d| !d.is_null())
                .map(parse_values)
                .unwrap_or_default()
        }
        None => Values::default(),
    };
    if let Some(inline) = doc.get("values").filter(|v| v.is_object()) {
        let more = parse_values(inline);
        values.global.extend(more.global);
        values.policies.extend(more.policies);
        values.namespace_labels.extend(more.namespace_labels);
    }
    let mut expected = Vec::new();
    for (i, r) in doc
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("results[{i}]");
        let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let result_text = r
            .get("result")
            .or_else(|| r.get("status"))
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&origin, &field, "missing result"))?;
        let result: RuleStatus = result_text
            .parse()
            .map_err(|e: String| invalid(&origin, &format!("{field}.result"), e))?;
        let mut res: Vec<String> = r
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if let Some(one) = r.get("resource").and_then(Value::as_str) {
            res.push(one.to_owned());
        }
        if r.get("resourceSpecs").is_some() || r.get("generatedResource").is_some() {
            return Err(LoadError::Unsupported {
                origin: origin.clone(),
                field,
                feature: "resourceSpecs / generatedResource".to_owned(),
            });
        }
        let patched = r
            .get("patchedResources")
            .or_else(|| r.get("patchedResource"))
            .and_then(Value::as_str)
            .map(|p| relative(base, &origin, "patchedResources", p))
            .transpose()?;
        expected.push(Expected {
            policy: get("policy"),
            rule: get("rule"),
            resources: res,
            kind: get("kind"),
            result,
            patched,
        });
    }

    let engine = Engine::new(policies, verifier);
    // Evaluate every resource once.
    let mut evaluated: Vec<(String, String, EngineResponse)> = Vec::new();
    for (_, resource) in &resources {
        let name = resource
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let namespace = resource
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut input = AdmissionInput::new(Phase::Validate, Operation::Create, resource.clone());
        if let Some((_, labels)) = values
            .namespace_labels
            .iter()
            .find(|(n, _)| *n == namespace)
        {
            input = input.with_namespace_labels(labels.clone());
        }
        let vars = ResourceVars {
            values: &values,
            resource: &name,
        };
        let response = engine.apply_with(&input, &vars).await;
        evaluated.push((namespace, name, response));
    }

    let mut cases = Vec::new();
    for exp in &expected {
        let (policy_ns, policy_name) = match exp.policy.split_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, exp.policy.as_str()),
        };
        for res in &exp.resources {
            let (want_ns, want_name) = match res.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (None, res.as_str()),
            };
            let mut case = CaseResult {
                policy: exp.policy.clone(),
                rule: exp.rule.clone(),
                resource: res.clone(),
                kind: exp.kind.clone(),
                expected: exp.result,
                actual: None,
                ok: false,
                reason: String::new(),
            };
            let candidates: Vec<&(String, String, EngineResponse)> = evaluated
                .iter()
                .filter(|(ns, n, _)| n == want_name && want_ns.is_none_or(|w| w == ns))
                .collect();
            if candidates.is_empty() {
                case.reason = "resource not found".to_owned();
                cases.push(case);
                continue;
            }
            let mut found_policy = false;
            for (_, _, response) in &candidates {
                for p in &response.policies {
                    if p.policy != policy_name
                        || policy_ns.is_some_and(|ns| p.namespace.as_deref() != Some(ns))
                    {
                        continue;
                    }
                    found_policy = true;
                    for r in p.rules.iter().filter(|r| rule_matches(&exp.rule, &r.rule)) {
                        case.actual = Some(r.status);
                        case.reason.clone_from(&r.message);
                    }
                }
                if let (Some(path), Some(actual)) = (&exp.patched, &response.patched) {
                    match compare_patched(path, actual) {
                        Ok(()) => {}
                        Err(e) => {
                            case.reason = e;
                            case.actual = None;
                        }
                    }
                }
            }
            if !found_policy {
                case.ok = true;
                case.reason = "Excluded".to_owned();
            } else {
                case.ok = case.actual == Some(exp.result);
                if case.actual.is_none() && case.reason.is_empty() {
                    case.reason = "no result for this rule".to_owned();
                }
            }
            cases.push(case);
        }
    }
    Ok(TestReport {
        file: file.to_owned(),
        name: doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        cases,
    })
}

fn compare_patched(path: &Path, actual: &Value) -> Result<(), String> {
    let text = crate::files::read_bounded(path).map_err(|e| e.to_string())?;
    let docs = crate::yaml::documents(&text).map_err(|e| e.to_string())?;
    let name = actual.pointer("/metadata/name");
    let want = docs
        .iter()
        .find(|d| d.pointer("/metadata/name") == name)
        .ok_or_else(|| format!("{}: no patched resource for this name", path.display()))?;
    if want == actual {
        Ok(())
    } else {
        Err(format!("patched resource differs from {}", path.display()))
    }
}
