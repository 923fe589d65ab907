//! Reading one `ClusterPolicy` / `Policy` document into a [`Policy`]: the top level, rules,
//! context entries and `validate` checks (`verifyImages` entries are in `images`).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::autogen::{self, Autogen};
use super::images::parse_image_verification;
use super::reader::{Cx, Obj};
use super::{
    Check, ContextEntry, ContextSource, FailureAction, Foreach, Policy, PolicyKind, Rule, RuleBody,
    Validation,
};
use crate::admission::FailurePolicy;
use crate::condition::Conditions;
use crate::error::{LoadError, Origin};
use crate::matching::parse_match;

const FAILURE_POLICIES: [(&str, FailurePolicy); 2] = [
    ("Fail", FailurePolicy::Fail),
    ("Ignore", FailurePolicy::Ignore),
];
const ACTIONS: [(&str, FailureAction); 4] = [
    ("Audit", FailureAction::Audit),
    ("audit", FailureAction::Audit),
    ("Enforce", FailureAction::Enforce),
    ("enforce", FailureAction::Enforce),
];

/// A `failureAction` / `validationFailureAction` field.
pub(super) fn action(obj: &Obj<'_>, key: &str) -> Result<Option<FailureAction>, LoadError> {
    obj.choice(key, &ACTIONS, "Audit or Enforce")
}

pub(super) fn parse_policy(
    origin: &Origin,
    doc: &Value,
) -> Result<(Policy, Vec<String>), LoadError> {
    let mut cx = Cx::new(origin);
    let top = cx.object(
        doc,
        "",
        &["apiVersion", "kind", "metadata", "spec", "status"],
        &[],
    )?;
    let api_version = top.string("apiVersion")?.unwrap_or_default();
    let kind = match top.string("kind")?.as_deref() {
        Some("ClusterPolicy") => PolicyKind::ClusterPolicy,
        Some("Policy") => PolicyKind::Policy,
        Some(other) => {
            return Err(top.invalid(
                "kind",
                format!("{other:?} is not a Kyverno ClusterPolicy or Policy"),
            ));
        }
        None => return Err(top.invalid("kind", "missing")),
    };
    if !matches!(api_version.as_str(), "kyverno.io/v1" | "kyverno.io/v2beta1") {
        return Err(top.invalid(
            "apiVersion",
            format!("{api_version:?}: expected kyverno.io/v1"),
        ));
    }
    let meta = top
        .open("metadata")
        .ok_or_else(|| top.invalid("metadata", "missing"))?;
    let name = meta.required_string("name")?;
    let namespace = match kind {
        PolicyKind::ClusterPolicy => None,
        PolicyKind::Policy => Some(
            meta.string("namespace")?
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
        ),
    };
    let annotations = meta.string_map("annotations")?;
    if !top.contains("spec") {
        return Err(top.invalid("spec", "missing"));
    }
    let spec = top.object_at(
        top.get("spec").unwrap_or(&Value::Null),
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
    let validation_failure_action =
        action(&spec, "validationFailureAction")?.unwrap_or(FailureAction::Audit);
    let expected = "Fail or Ignore";
    let mut failure_policy = spec
        .choice("failurePolicy", &FAILURE_POLICIES, expected)?
        .unwrap_or(FailurePolicy::Fail);
    let mut timeout_seconds = spec.timeout("webhookTimeoutSeconds")?;
    if let Some(wc) = spec.object(
        "webhookConfiguration",
        &["failurePolicy", "timeoutSeconds"],
        &["matchConditions"],
    )? {
        if wc.string("failurePolicy")?.is_some() && spec.has("failurePolicy") {
            return Err(wc.invalid(
                "failurePolicy",
                "set together with the deprecated spec.failurePolicy",
            ));
        }
        if let Some(p) = wc.choice("failurePolicy", &FAILURE_POLICIES, expected)? {
            failure_policy = p;
        }
        if let Some(t) = wc.timeout("timeoutSeconds")? {
            timeout_seconds = Some(t);
        }
    }
    let apply_one = spec
        .choice("applyRules", &[("All", false), ("One", true)], "All or One")?
        .unwrap_or(false);
    let background = spec.boolean("background", true)?;
    let admission = spec.boolean("admission", true)?;

    let raw_rules = spec.array("rules")?;
    if raw_rules.is_empty() {
        return Err(spec.invalid("rules", "a policy needs at least one rule"));
    }
    let mut rules = Vec::new();
    let mut names = HashSet::new();
    for (path, raw) in spec.items("rules")? {
        let rule = parse_rule(&mut cx, &path, raw, Autogen::None)?;
        if !names.insert(rule.name.clone()) {
            return Err(cx.invalid(
                &format!("{path}.name"),
                format!("duplicate rule name {:?}", rule.name),
            ));
        }
        rules.push((path, raw, rule));
    }

    // Autogen for pod controllers.
    let controllers = autogen::controllers(&meta, &annotations)?;
    let mut generated = Vec::new();
    if !controllers.is_empty() && autogen::can_autogen(raw_rules) {
        for (path, raw, rule) in &rules {
            if !rule.matches.mentions_only_pods() {
                continue;
            }
            for (target, raw) in autogen::rules_for(raw, &rule.name, &controllers) {
                generated.push(parse_rule(&mut cx, path, &raw, target)?);
            }
        }
    }
    let mut all: Vec<Rule> = rules.into_iter().map(|(_, _, r)| r).collect();
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

fn parse_rule(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    autogen: Autogen,
) -> Result<Rule, LoadError> {
    let rule = cx.object(
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
    let name = rule.required_string("name")?;
    if name.len() > 63 && autogen == Autogen::None {
        return Err(rule.invalid("name", "longer than 63 characters"));
    }
    let matches = match rule.contains("match").then(|| rule.get("match")) {
        Some(m) => parse_match(cx, &rule.field("match"), m.unwrap_or(&Value::Null))?,
        None => return Err(rule.invalid("match", "missing")),
    };
    let exclude = match rule.get("exclude") {
        Some(m) => Some(parse_match(cx, &rule.field("exclude"), m)?),
        None => None,
    };
    let mut context = Vec::new();
    for (path, c) in rule.items("context")? {
        context.push(parse_context(cx, &path, c)?);
    }
    let preconditions = optional_conditions(cx, &rule, "preconditions")?;
    let body = match (rule.contains("validate"), rule.contains("verifyImages")) {
        (true, false) => {
            let v = rule.get("validate").unwrap_or(&Value::Null);
            RuleBody::Validate(parse_validation(cx, &rule.field("validate"), v)?)
        }
        (false, true) => {
            let items = match rule.get("verifyImages") {
                Some(Value::Array(items)) => items,
                _ => return Err(rule.invalid("verifyImages", "expected a list")),
            };
            if items.is_empty() {
                return Err(rule.invalid("verifyImages", "empty"));
            }
            let mut out = Vec::new();
            for (path, item) in rule.items("verifyImages")? {
                out.push(parse_image_verification(cx, &path, item)?);
            }
            RuleBody::VerifyImages(out)
        }
        (true, true) => {
            return Err(rule.invalid("", "a rule has exactly one of validate or verifyImages"));
        }
        (false, false) => {
            return Err(rule.invalid("", "a rule needs validate or verifyImages"));
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

/// An optional `preconditions` / `conditions` block.
pub(super) fn optional_conditions(
    cx: &mut Cx<'_>,
    obj: &Obj<'_>,
    key: &str,
) -> Result<Option<Conditions>, LoadError> {
    match obj.get(key) {
        Some(c) => Ok(Some(Conditions::parse(cx, &obj.field(key), c)?)),
        None => Ok(None),
    }
}

/// A `deny: {conditions}` block; no conditions always deny.
pub(super) fn deny(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Result<Conditions, LoadError> {
    let d = obj.get("deny").unwrap_or(&Value::Null);
    let d = obj.object_at(d, &obj.field("deny"), &["conditions"], &[])?;
    Ok(optional_conditions(cx, &d, "conditions")?.unwrap_or_else(Conditions::always))
}

fn parse_context(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<ContextEntry, LoadError> {
    let entry = cx.object(
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
    let name = entry
        .string("name")?
        .ok_or_else(|| entry.invalid("name", "missing"))?;
    let source = if entry.contains("variable") {
        let v = entry.get("variable").unwrap_or(&Value::Null);
        let var = entry.object_at(
            v,
            &entry.field("variable"),
            &["value", "jmesPath", "default"],
            &[],
        )?;
        let jmes_path = var.string("jmesPath")?;
        if let Some(j) = &jmes_path {
            cx.expression(&var.field("jmesPath"), j)?;
        }
        if let Some(value) = var.get("value") {
            cx.template(&var.field("value"), value)?;
        }
        ContextSource::Variable {
            value: var.get("value").cloned(),
            jmes_path,
            default: var.get("default").cloned(),
        }
    } else if let Some(external) = ["apiCall", "configMap", "imageRegistry", "globalReference"]
        .into_iter()
        .find(|k| entry.contains(k))
    {
        ContextSource::External(external)
    } else {
        return Err(entry.invalid("", "a context entry needs a source"));
    };
    Ok(ContextEntry { name, source })
}

fn parse_validation(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Validation, LoadError> {
    let v = cx.object(
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
    let message = v.string("message")?;
    if let Some(m) = &message {
        cx.template(&v.field("message"), &Value::String(m.clone()))?;
    }
    Ok(Validation {
        message,
        failure_action: action(&v, "failureAction")?,
        allow_existing_violations: v.boolean("allowExistingViolations", true)?,
        check: parse_check(cx, &v, true)?,
    })
}

fn parse_check(cx: &mut Cx<'_>, obj: &Obj<'_>, allow_foreach: bool) -> Result<Check, LoadError> {
    let present: Vec<&str> = ["pattern", "anyPattern", "deny", "foreach"]
        .into_iter()
        .filter(|k| obj.has(k))
        .collect();
    if present.len() != 1 {
        return Err(obj.invalid(
            "",
            "exactly one of pattern, anyPattern, deny or foreach is required",
        ));
    }
    match present[0] {
        "pattern" => {
            let p = obj.get("pattern").cloned().unwrap_or(Value::Null);
            cx.template(&obj.field("pattern"), &p)?;
            Ok(Check::Pattern(p))
        }
        "anyPattern" => {
            let items = obj.array("anyPattern")?.to_vec();
            if items.is_empty() {
                return Err(obj.invalid("anyPattern", "empty"));
            }
            for p in &items {
                cx.template(&obj.field("anyPattern"), p)?;
            }
            Ok(Check::AnyPattern(items))
        }
        "deny" => Ok(Check::Deny(deny(cx, obj)?)),
        _ => {
            if !allow_foreach {
                return Err(obj.unsupported("foreach", "nested `foreach`"));
            }
            let mut out = Vec::new();
            for (fp, f) in obj.items("foreach")? {
                let each = cx.object(
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
                let list = each
                    .string("list")?
                    .ok_or_else(|| each.invalid("list", "missing"))?;
                cx.expression(&each.field("list"), &list)?;
                out.push(Foreach {
                    list,
                    preconditions: optional_conditions(cx, &each, "preconditions")?,
                    check: parse_check(cx, &each, false)?,
                });
            }
            if out.is_empty() {
                return Err(obj.invalid("foreach", "empty"));
            }
            Ok(Check::Foreach(out))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::PolicySet;

    const HEAD: &str = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\n";

    #[test]
    fn errors_name_the_field_path() {
        let rule =
            "spec:\n  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n";
        for (body, expected) in [
            ("spec:\n", "spec: expected an object"),
            (
                "spec: {rules: []}\n",
                "spec.rules: a policy needs at least one rule",
            ),
            (
                "spec: {failurePolicy: Never, rules: []}\n",
                "spec.failurePolicy: \"Never\": expected Fail or Ignore",
            ),
            (
                "    verifyImages:\n    - imageReferences: ['*']\n      attestors:\n      \
                 - entries:\n        - keys: {publicKeys: x, colour: red}\n",
                "spec.rules[0].verifyImages[0].attestors[0].entries[0].keys.colour: unknown field",
            ),
            (
                "    validate: {deny: {conditions: {any: [{key: a, operator: Sometimes}]}}}\n",
                "spec.rules[0].validate.deny.conditions.any[0].operator: operator \"Sometimes\" \
                 is not supported",
            ),
            (
                "    validate: {pattern: {}, failureAction: Block}\n",
                "spec.rules[0].validate.failureAction: \"Block\": expected Audit or Enforce",
            ),
        ] {
            let text = if body.starts_with("spec") {
                format!("{HEAD}{body}")
            } else {
                format!("{HEAD}{rule}{body}")
            };
            let err = PolicySet::from_yaml_str("p.yaml", &text)
                .unwrap_err()
                .to_string();
            assert_eq!(err, format!("p.yaml (document 0): {expected}"), "{text}");
        }
    }
}
