//! One rule on one resource: its JSON context, preconditions and `validate` checks.

use serde_json::{Map, Value};

use crate::admission::{Operation, Phase};
use crate::cache::ImageCheck;
use crate::condition::{Scope, has_variables, to_rcvar};
use crate::image::{FoundImage, extract, images_context};
use crate::pattern::{Mismatch, validate};
use crate::policy::{Check, ContextSource, FailureAction, Policy, Rule, RuleBody, Validation};
use crate::response::{RuleResponse, RuleStatus, RuleType};

use super::images::references_match;
use super::{AdmissionInput, Engine, VariableSource};

#[derive(Clone, Copy)]
pub(super) struct RuleEval<'a> {
    pub(super) engine: &'a Engine,
    pub(super) policy: &'a Policy,
    pub(super) rule: &'a Rule,
    pub(super) input: &'a AdmissionInput,
    pub(super) object: &'a Value,
    pub(super) images: &'a [FoundImage],
    pub(super) vars: &'a dyn VariableSource,
    /// What checking each image cost (verifyImages rules).
    pub(super) checks: &'a std::sync::Mutex<Vec<ImageCheck>>,
}

impl RuleEval<'_> {
    pub(super) fn response(
        &self,
        rule_type: RuleType,
        status: RuleStatus,
        message: String,
    ) -> RuleResponse {
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

    pub(super) fn failure_action(&self) -> FailureAction {
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

    pub(super) fn rule_type(&self) -> RuleType {
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
    pub(super) fn context(&self) -> Result<Value, String> {
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

    pub(super) async fn run(&self) -> Vec<RuleResponse> {
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
