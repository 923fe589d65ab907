//! Variables (`{{ JMESPath }}` substitution), conditions (`preconditions`, `deny`, attestation
//! conditions) and their operators, and the duration/quantity arithmetic both conditions and
//! patterns use.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use jmespath::{Rcvar, Variable};
use serde_json::Value;

use crate::error::LoadError;
use crate::policy::Cx;
use crate::wildcard;

/// Compiled JMESPath expressions of one policy, by their text. Compiled once at load time;
/// evaluation only looks them up.
#[derive(Default)]
pub(crate) struct Templates {
    exprs: HashMap<String, Arc<jmespath::Expression<'static>>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("expressions", &self.exprs.len())
            .finish()
    }
}

impl Templates {
    pub(crate) fn compile_expression(&mut self, text: &str) -> Result<(), String> {
        let key = text.trim();
        if self.exprs.contains_key(key) {
            return Ok(());
        }
        let expr = jmespath::compile(key).map_err(|e| {
            format!(
                "invalid JMESPath expression {key:?}: {}",
                one_line(&e.to_string())
            )
        })?;
        self.exprs.insert(key.to_owned(), Arc::new(expr));
        Ok(())
    }

    /// Compiles every `{{ … }}` found in the strings of `v`.
    pub(crate) fn collect(&mut self, v: &Value) -> Result<(), String> {
        match v {
            Value::String(s) => {
                for part in split_template(s) {
                    if let Part::Expr(e) = part {
                        self.compile_expression(e)?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|i| self.collect(i)),
            Value::Object(m) => {
                for (k, v) in m {
                    self.collect(&Value::String(k.clone()))?;
                    self.collect(v)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn search(&self, text: &str, data: &Rcvar) -> Result<Value, String> {
        let key = text.trim();
        let compiled;
        let expr = match self.exprs.get(key) {
            Some(e) => e.as_ref(),
            None => {
                compiled = jmespath::compile(key).map_err(|e| {
                    format!(
                        "invalid JMESPath expression {key:?}: {}",
                        one_line(&e.to_string())
                    )
                })?;
                &compiled
            }
        };
        let mut ctx = jmespath::Context::new(expr.as_str(), &jmespath::DEFAULT_RUNTIME);
        let found = jmespath::interpret(data, expr.as_ast(), &mut ctx)
            .map_err(|e| format!("JMESPath {key:?}: {}", one_line(&e.to_string())))?;
        serde_json::to_value(&*found).map_err(|e| e.to_string())
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Converts a JSON value into a JMESPath variable (once per evaluation scope).
pub(crate) fn to_rcvar(v: &Value) -> Rcvar {
    Rcvar::new(Variable::from_serializable(v).unwrap_or(Variable::Null))
}

enum Part<'a> {
    Text(&'a str),
    Expr(&'a str),
}

fn split_template(s: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        // `\{{` escapes a literal.
        if start > 0 && rest.as_bytes()[start - 1] == b'\\' {
            out.push(Part::Text(&rest[..start + 2]));
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Part::Text(&rest[..start]));
        }
        out.push(Part::Expr(&rest[start + 2..start + 2 + len]));
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        out.push(Part::Text(rest));
    }
    out
}

/// Whether a value contains `{{`.
pub(crate) fn has_variables(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(items) => items.iter().any(has_variables),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains("{{") || has_variables(v)),
        _ => false,
    }
}

/// Evaluation scope: the JSON context (`request`, `images`, context entries, `element`).
pub(crate) struct Scope<'a> {
    pub(crate) templates: &'a Templates,
    pub(crate) data: Rcvar,
}

impl Scope<'_> {
    /// Substitutes the variables of every string in `v`. A string that is exactly one
    /// `{{ … }}` takes the value's JSON type; otherwise values are interpolated as text.
    pub(crate) fn substitute(&self, v: &Value) -> Result<Value, String> {
        match v {
            Value::String(s) if s.contains("{{") => self.substitute_str(s),
            Value::Array(items) => items
                .iter()
                .map(|i| self.substitute(i))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Value::Object(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    let key = if k.contains("{{") {
                        match self.substitute_str(k)? {
                            Value::String(s) => s,
                            other => other.to_string(),
                        }
                    } else {
                        k.clone()
                    };
                    out.insert(key, self.substitute(v)?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    pub(crate) fn substitute_str(&self, s: &str) -> Result<Value, String> {
        let parts = split_template(s);
        if let [Part::Expr(e)] = parts.as_slice() {
            return self.lookup(e);
        }
        let mut out = String::with_capacity(s.len());
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(&t.replace("\\{{", "{{")),
                Part::Expr(e) => match self.lookup(e)? {
                    Value::String(v) => out.push_str(&v),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(Value::String(out))
    }

    fn lookup(&self, expr: &str) -> Result<Value, String> {
        let v = self.templates.search(expr, &self.data)?;
        if v.is_null() {
            return Err(format!("variable {{{{{}}}}} is not defined", expr.trim()));
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Equals,
    NotEquals,
    In,
    AnyIn,
    AllIn,
    NotIn,
    AnyNotIn,
    AllNotIn,
    GreaterThan,
    GreaterThanOrEquals,
    LessThan,
    LessThanOrEquals,
    DurationGreaterThan,
    DurationGreaterThanOrEquals,
    DurationLessThan,
    DurationLessThanOrEquals,
}

impl Operator {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Equals" | "Equal" => Operator::Equals,
            "NotEquals" | "NotEqual" => Operator::NotEquals,
            "In" => Operator::In,
            "AnyIn" => Operator::AnyIn,
            "AllIn" => Operator::AllIn,
            "NotIn" => Operator::NotIn,
            "AnyNotIn" => Operator::AnyNotIn,
            "AllNotIn" => Operator::AllNotIn,
            "GreaterThan" => Operator::GreaterThan,
            "GreaterThanOrEquals" => Operator::GreaterThanOrEquals,
            "LessThan" => Operator::LessThan,
            "LessThanOrEquals" => Operator::LessThanOrEquals,
            "DurationGreaterThan" => Operator::DurationGreaterThan,
            "DurationGreaterThanOrEquals" => Operator::DurationGreaterThanOrEquals,
            "DurationLessThan" => Operator::DurationLessThan,
            "DurationLessThanOrEquals" => Operator::DurationLessThanOrEquals,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
struct Condition {
    key: Value,
    operator: Operator,
    value: Value,
    message: Option<String>,
}

/// `any` (OR) and `all` (AND) condition lists; both must hold when both are given; none at
/// all is true (so `deny: {}` always denies).
#[derive(Clone, Debug, Default)]
pub(crate) struct Conditions {
    any: Vec<Condition>,
    all: Vec<Condition>,
}

impl Conditions {
    pub(crate) fn always() -> Self {
        Conditions::default()
    }

    pub(crate) fn parse(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Self, LoadError> {
        let mut out = Conditions::default();
        match raw {
            Value::Array(items) => {
                for (i, c) in items.iter().enumerate() {
                    out.all
                        .push(parse_condition(cx, &format!("{path}[{i}]"), c)?);
                }
            }
            Value::Object(_) => {
                let lists = cx.object(raw, path, &["any", "all"], &[])?;
                for (path, c) in lists.items("any")? {
                    out.any.push(parse_condition(cx, &path, c)?);
                }
                for (path, c) in lists.items("all")? {
                    out.all.push(parse_condition(cx, &path, c)?);
                }
            }
            _ => return Err(cx.invalid(path, "expected a list or any/all")),
        }
        Ok(out)
    }

    /// Evaluates; `Err` when a variable cannot be resolved. On `Ok(false)` the message of the
    /// first failing condition (if any) is returned too.
    pub(crate) fn evaluate(&self, scope: &Scope<'_>) -> Result<(bool, Option<String>), String> {
        let mut message = None;
        if !self.any.is_empty() {
            let mut any = false;
            for c in &self.any {
                if c.evaluate(scope)? {
                    any = true;
                    break;
                }
                if message.is_none() {
                    message.clone_from(&c.message);
                }
            }
            if !any {
                return Ok((false, message));
            }
        }
        for c in &self.all {
            if !c.evaluate(scope)? {
                return Ok((false, c.message.clone()));
            }
        }
        Ok((true, None))
    }
}

fn parse_condition(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Condition, LoadError> {
    let c = cx.object(raw, path, &["key", "operator", "value", "message"], &[])?;
    let op_text = c
        .string("operator")?
        .ok_or_else(|| c.invalid("operator", "missing"))?;
    let operator = Operator::parse(&op_text)
        .ok_or_else(|| c.unsupported("operator", format!("operator {op_text:?}")))?;
    let key = c.get("key").cloned().unwrap_or(Value::Null);
    let value = c.get("value").cloned().unwrap_or(Value::Null);
    cx.template(&c.field("key"), &key)?;
    cx.template(&c.field("value"), &value)?;
    Ok(Condition {
        key,
        operator,
        value,
        message: c.string("message")?,
    })
}

impl Condition {
    fn evaluate(&self, scope: &Scope<'_>) -> Result<bool, String> {
        let key = scope.substitute(&self.key)?;
        let value = scope.substitute(&self.value)?;
        Ok(match self.operator {
            Operator::Equals => equals(&key, &value),
            Operator::NotEquals => !equals(&key, &value),
            Operator::In => in_set(&key, &value, true),
            Operator::NotIn => !in_set(&key, &value, true),
            Operator::AnyIn => as_list(&key).iter().any(|k| member(k, &value)),
            Operator::AllIn => as_list(&key).iter().all(|k| member(k, &value)),
            Operator::AnyNotIn => as_list(&key).iter().any(|k| !member(k, &value)),
            Operator::AllNotIn => as_list(&key).iter().all(|k| !member(k, &value)),
            Operator::GreaterThan => compare(&key, &value) == Some(Ordering::Greater),
            Operator::GreaterThanOrEquals => {
                matches!(
                    compare(&key, &value),
                    Some(Ordering::Greater | Ordering::Equal)
                )
            }
            Operator::LessThan => compare(&key, &value) == Some(Ordering::Less),
            Operator::LessThanOrEquals => {
                matches!(
                    compare(&key, &value),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
            Operator::DurationGreaterThan => duration_cmp(&key, &value) == Some(Ordering::Greater),
            Operator::DurationGreaterThanOrEquals => {
                matches!(
                    duration_cmp(&key, &value),
                    Some(Ordering::Greater | Ordering::Equal)
                )
            }
            Operator::DurationLessThan => duration_cmp(&key, &value) == Some(Ordering::Less),
            Operator::DurationLessThanOrEquals => {
                matches!(
                    duration_cmp(&key, &value),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
        })
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::String(s) if s.trim_start().starts_with('[') => match serde_json::from_str(s) {
            Ok(Value::Array(items)) => items,
            _ => vec![v.clone()],
        },
        other => vec![other.clone()],
    }
}

fn member(key: &Value, set: &Value) -> bool {
    as_list(set).iter().any(|candidate| match (candidate, key) {
        (Value::String(pattern), Value::String(k)) => wildcard::matches(pattern, k),
        (c, k) => equals(k, c),
    })
}

fn in_set(key: &Value, set: &Value, _deprecated: bool) -> bool {
    match key {
        Value::Array(items) => items.iter().all(|k| member(k, set)),
        k => member(k, set),
    }
}

/// `Equals`: a string value is a wildcard pattern against the key; durations and quantities
/// compare by magnitude; numbers numerically; the rest structurally.
pub(crate) fn equals(key: &Value, value: &Value) -> bool {
    match (key, value) {
        (Value::String(k), Value::String(v)) => {
            if k == v || wildcard::matches(v, k) {
                return true;
            }
            if let (Some(a), Some(b)) = (parse_duration(k), parse_duration(v)) {
                return a == b;
            }
            if let (Some(a), Some(b)) = (parse_quantity(k), parse_quantity(v)) {
                return a == b;
            }
            false
        }
        (Value::Number(_), _) | (_, Value::Number(_)) => match (number(key), number(value)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        (k, v) => k == v,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn duration_value(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => parse_duration(s),
        // Plain numbers count as seconds.
        Value::Number(n) => n.as_f64().map(|s| s * 1e9),
        _ => None,
    }
}

fn duration_cmp(key: &Value, value: &Value) -> Option<Ordering> {
    duration_value(key)?.partial_cmp(&duration_value(value)?)
}

/// Ordering for `GreaterThan` & co.: durations, then numbers, then quantities.
pub(crate) fn compare(key: &Value, value: &Value) -> Option<Ordering> {
    if let (Value::String(k), Value::String(v)) = (key, value)
        && let (Some(a), Some(b)) = (parse_duration(k), parse_duration(v))
    {
        return a.partial_cmp(&b);
    }
    if let (Some(a), Some(b)) = (number(key), number(value)) {
        return a.partial_cmp(&b);
    }
    let q = |v: &Value| match v {
        Value::String(s) => parse_quantity(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    q(key)?.partial_cmp(&q(value)?)
}

/// A Go duration (`1h30m`, `-1.5s`, `300ms`) in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(if neg { -total } else { total })
}

/// A Kubernetes resource quantity (`100m`, `1.5Gi`, `2e3`, `10`) as a number.
pub(crate) fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let suffixes: [(&str, f64); 16] = [
        ("Ki", 1024.0),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("", 1.0),
    ];
    for (suffix, factor) in suffixes {
        if let Some(num) = s.strip_suffix(suffix) {
            if num.is_empty() {
                continue;
            }
            let ok = num
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'));
            if !ok || !num.bytes().any(|b| b.is_ascii_digit()) {
                continue;
            }
            if suffix.is_empty() && num.contains(['e', 'E']) {
                return num.parse::<f64>().ok();
            }
            if num.contains(['e', 'E']) {
                continue;
            }
            return num.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_and_quantities() {
        assert_eq!(parse_duration("8h"), Some(8.0 * 3600e9));
        assert_eq!(parse_duration("1h30m"), Some(5400e9));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_quantity("100m"), Some(0.1));
        assert_eq!(parse_quantity("1Gi"), Some(1024f64.powi(3)));
        assert_eq!(parse_quantity("nginx"), None);
        assert_eq!(
            compare(&json!("24h"), &json!("8h")),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&json!("40"), &json!(10)), Some(Ordering::Greater));
    }

    #[test]
    fn equality_uses_wildcards_on_the_value() {
        assert!(equals(
            &json!("k8s.gcr.io/pause:3.2"),
            &json!("k8s.gcr.io/*")
        ));
        assert!(!equals(
            &json!("registry.k8s.io/pause"),
            &json!("k8s.gcr.io/*")
        ));
        assert!(equals(&json!(1), &json!("1")));
    }

    #[test]
    fn templates_split() {
        let parts = split_template("a {{ b }} c {{d}}");
        assert_eq!(parts.len(), 4);
    }
}
