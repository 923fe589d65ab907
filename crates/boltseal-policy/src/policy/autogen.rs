//! Kyverno's autogen: Pod rules copied for pod controllers (`autogen-` for Deployment,
//! StatefulSet, …; `autogen-cronjob-` for CronJob), with patterns and variables re-rooted
//! under the pod template.

use serde_json::{Value, json};

use super::reader::Obj;
use crate::error::LoadError;

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

const AUTOGEN_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";
const CONTROLLERS: [(&str, &str); 6] = [
    ("DaemonSet", "apps/v1/DaemonSet"),
    ("Deployment", "apps/v1/Deployment"),
    ("Job", "batch/v1/Job"),
    ("StatefulSet", "apps/v1/StatefulSet"),
    ("ReplicaSet", "apps/v1/ReplicaSet"),
    ("ReplicationController", "v1/ReplicationController"),
];

pub(crate) fn is_pod_kind(k: &str) -> bool {
    matches!(k, "Pod" | "v1/Pod")
}

/// The controllers the policy's autogen annotation asks for (all by default).
pub(super) fn controllers<'a>(
    metadata: &Obj<'_>,
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
                    return Err(metadata.invalid(
                        &format!("annotations.{AUTOGEN_ANNOTATION}"),
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
pub(super) fn can_autogen(raw_rules: &[Value]) -> bool {
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

/// The raw rules generated from the Pod rule `raw` named `name` for `controllers`.
pub(super) fn rules_for(raw: &Value, name: &str, controllers: &[&str]) -> Vec<(Autogen, Value)> {
    let mut out = Vec::new();
    let plain: Vec<&str> = CONTROLLERS
        .iter()
        .filter(|(k, _)| controllers.contains(k))
        .map(|(_, gvk)| *gvk)
        .collect();
    if !plain.is_empty() {
        let rule = autogen_rule(raw, name, "autogen-", &plain, Autogen::Controllers);
        out.push((Autogen::Controllers, rule));
    }
    if controllers.contains(&"CronJob") {
        let kinds = ["batch/v1/CronJob"];
        let rule = autogen_rule(raw, name, "autogen-cronjob-", &kinds, Autogen::CronJob);
        out.push((Autogen::CronJob, rule));
    }
    out
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
    if rule.get("validate").is_none() {
        return rule;
    }
    let wrap = |p: Value| -> Value {
        match target {
            Autogen::CronJob => json!({"spec": {"jobTemplate": {"spec": {"template": p}}}}),
            _ => json!({"spec": {"template": p}}),
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
    let template = match target {
        Autogen::CronJob => "spec.jobTemplate.spec.template",
        _ => "spec.template",
    };
    let mut out = rule.to_string();
    for root in ["request.object", "request.oldObject"] {
        out = out
            .replace(&format!("{root}.spec"), &format!("{root}.{template}.spec"))
            .replace(
                &format!("{root}.metadata"),
                &format!("{root}.{template}.metadata"),
            );
    }
    serde_json::from_str(&out).unwrap_or(rule)
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
