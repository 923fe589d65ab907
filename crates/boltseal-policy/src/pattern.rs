//! Kyverno's validate pattern language: structural matching of a pattern against a resource,
//! with anchors (`(k)` condition, `=(k)` equality, `^(k)` existence, `X(k)` negation,
//! `<(k)` global), `|` / `&` alternatives, operators (`!`, `>`, `>=`, `<`, `<=`, ranges),
//! durations, quantities and wildcards.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::condition::{compare, parse_duration, parse_quantity};
use crate::wildcard;

/// Why a pattern did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The resource violates the pattern at `path` (a `/a/b/0/c/` path).
    Fail {
        /// Where.
        path: String,
        /// What.
        reason: String,
    },
    /// A condition anchor did not hold: the pattern does not apply.
    Skip {
        /// Where.
        path: String,
    },
    /// The pattern itself is malformed.
    Error(String),
}

/// Maximum nesting the matcher follows (patterns and resources are untrusted).
const MAX_DEPTH: usize = 128;

/// Matches `resource` against `pattern`.
///
/// ```
/// use boltseal_policy::pattern::{validate, Mismatch};
/// use serde_json::json;
///
/// let pattern = json!({"spec": {"containers": [{"image": "eu.foo.io/* | bar.io/*"}]}});
/// assert!(validate(&json!({"spec": {"containers": [{"image": "bar.io/app"}]}}), &pattern).is_ok());
/// assert!(matches!(
///     validate(&json!({"spec": {"containers": [{"image": "nginx"}]}}), &pattern),
///     Err(Mismatch::Fail { path, .. }) if path == "/spec/containers/0/image/"
/// ));
/// ```
///
/// # Errors
/// [`Mismatch`] saying whether the resource fails, the pattern does not apply, or the pattern
/// is malformed.
pub fn validate(resource: &Value, pattern: &Value) -> Result<(), Mismatch> {
    let mut path = String::from("/");
    element(resource, pattern, &mut path, 0)
}

fn fail(path: &str, reason: impl Into<String>) -> Mismatch {
    Mismatch::Fail {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn element(
    resource: &Value,
    pattern: &Value,
    path: &mut String,
    depth: usize,
) -> Result<(), Mismatch> {
    if depth > MAX_DEPTH {
        return Err(Mismatch::Error("pattern nested too deeply".to_owned()));
    }
    match pattern {
        Value::Object(p) => match resource {
            Value::Object(r) => map(r, p, path, depth),
            _ => Err(fail(path, "pattern and resource have different structures")),
        },
        Value::Array(p) => match resource {
            Value::Array(r) => array(r, p, path, depth),
            _ => Err(fail(path, "pattern and resource have different structures")),
        },
        scalar => match resource {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    push(path, &i.to_string());
                    let r = element(item, scalar, path, depth + 1);
                    path.truncate(len);
                    r?;
                }
                Ok(())
            }
            r => {
                if scalar_matches(r, scalar) {
                    Ok(())
                } else {
                    Err(fail(path, "value does not match the pattern"))
                }
            }
        },
    }
}

fn push(path: &mut String, segment: &str) {
    path.push_str(segment);
    path.push('/');
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Anchor {
    Condition,
    Global,
    Equality,
    Existence,
    Negation,
    Add,
}

/// Splits `(k)`, `=(k)`, `^(k)`, `X(k)`, `<(k)`, `+(k)` into the anchor and the key.
fn anchor(key: &str) -> Option<(Anchor, &str)> {
    let k = key.trim();
    let (kind, rest) = match k.as_bytes().first()? {
        b'(' => (Anchor::Condition, k),
        b'=' => (Anchor::Equality, &k[1..]),
        b'^' => (Anchor::Existence, &k[1..]),
        b'X' => (Anchor::Negation, &k[1..]),
        b'<' => (Anchor::Global, &k[1..]),
        b'+' => (Anchor::Add, &k[1..]),
        _ => return None,
    };
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    if inner.is_empty() {
        return None;
    }
    Some((kind, inner))
}

fn map(
    r: &Map<String, Value>,
    p: &Map<String, Value>,
    path: &mut String,
    depth: usize,
) -> Result<(), Mismatch> {
    // Anchors first, in key order (serde_json keeps keys sorted).
    for (key, pv) in p {
        let Some((kind, name)) = anchor(key) else {
            continue;
        };
        let len = path.len();
        push(path, name);
        let result = match kind {
            Anchor::Condition | Anchor::Global => match r.get(name) {
                None => Err(Mismatch::Skip { path: path.clone() }),
                Some(rv) => match element(rv, pv, path, depth + 1) {
                    Ok(()) => Ok(()),
                    Err(Mismatch::Fail { .. }) | Err(Mismatch::Skip { .. }) => {
                        Err(Mismatch::Skip { path: path.clone() })
                    }
                    Err(e) => Err(e),
                },
            },
            Anchor::Equality => match r.get(name) {
                None => Ok(()),
                Some(rv) => element(rv, pv, path, depth + 1),
            },
            Anchor::Negation => match r.get(name) {
                None => Ok(()),
                Some(_) => Err(fail(path, format!("{name} is not allowed"))),
            },
            Anchor::Existence => match (r.get(name), pv) {
                (Some(Value::Array(items)), Value::Array(pats)) if !pats.is_empty() => {
                    let any = items
                        .iter()
                        .any(|item| element(item, &pats[0], &mut path.clone(), depth + 1).is_ok());
                    if any {
                        Ok(())
                    } else {
                        Err(fail(path, format!("no element of {name} matches")))
                    }
                }
                (Some(rv), _) => element(rv, pv, path, depth + 1),
                (None, _) => Err(fail(path, format!("{name} not found"))),
            },
            Anchor::Add => Ok(()),
        };
        path.truncate(len);
        result?;
    }
    for (key, pv) in p {
        let name = match anchor(key) {
            Some((Anchor::Add, name)) => name,
            Some(_) => continue,
            None => key.as_str(),
        };
        let len = path.len();
        push(path, name);
        let result = if pv.as_str() == Some("*") {
            match r.get(name) {
                Some(v) if !v.is_null() => Ok(()),
                _ => Err(fail(path, format!("field {name} not found"))),
            }
        } else {
            match r.get(name) {
                Some(rv) => element(rv, pv, path, depth + 1),
                None => match pv {
                    Value::Object(_) | Value::Array(_) => {
                        Err(fail(path, format!("field {name} not found")))
                    }
                    scalar => {
                        if scalar_matches(&Value::Null, scalar) {
                            Ok(())
                        } else {
                            Err(fail(path, format!("field {name} not found")))
                        }
                    }
                },
            }
        };
        path.truncate(len);
        result?;
    }
    Ok(())
}

fn array(r: &[Value], p: &[Value], path: &mut String, depth: usize) -> Result<(), Mismatch> {
    let Some(first) = p.first() else {
        return Err(Mismatch::Error(format!("{path}: empty pattern array")));
    };
    match first {
        Value::Object(pm) => {
            let mut applied = 0usize;
            let mut skipped = false;
            for (i, item) in r.iter().enumerate() {
                let len = path.len();
                push(path, &i.to_string());
                let result = match item {
                    Value::Object(rm) => map(rm, pm, path, depth + 1),
                    _ => Err(fail(path, "pattern and resource have different structures")),
                };
                path.truncate(len);
                match result {
                    Ok(()) => applied += 1,
                    Err(Mismatch::Skip { .. }) => skipped = true,
                    Err(e) => return Err(e),
                }
            }
            if applied == 0 && skipped {
                return Err(Mismatch::Skip { path: path.clone() });
            }
            Ok(())
        }
        Value::Array(_) => {
            if r.len() < p.len() {
                return Err(fail(path, "fewer elements than the pattern"));
            }
            for (i, (item, pat)) in r.iter().zip(p).enumerate() {
                let len = path.len();
                push(path, &i.to_string());
                let result = element(item, pat, path, depth + 1);
                path.truncate(len);
                result?;
            }
            Ok(())
        }
        scalar => {
            for (i, item) in r.iter().enumerate() {
                let len = path.len();
                push(path, &i.to_string());
                let result = element(item, scalar, path, depth + 1);
                path.truncate(len);
                result?;
            }
            Ok(())
        }
    }
}

/// Kyverno's scalar comparison (`pattern.Validate`).
pub(crate) fn scalar_matches(resource: &Value, pattern: &Value) -> bool {
    match pattern {
        Value::Bool(b) => resource.as_bool() == Some(*b),
        Value::Number(n) => match resource {
            Value::Number(r) => numbers_equal(r, n),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .zip(n.as_f64())
                .is_some_and(|(a, b)| a == b),
            _ => false,
        },
        Value::Null => match resource {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::Bool(b) => !b,
            _ => false,
        },
        Value::Object(_) => resource.is_object(),
        Value::Array(_) => false,
        Value::String(p) => string_pattern(resource, p),
    }
}

fn numbers_equal(r: &serde_json::Number, p: &serde_json::Number) -> bool {
    match (r.as_i64(), p.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => match (r.as_f64(), p.as_f64()) {
            // A float with a fraction never equals an integer.
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

fn resource_text(resource: &Value) -> String {
    match resource {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map(|f| format!("{f:E}")).unwrap_or_default(),
        },
        other => other.to_string(),
    }
}

fn string_pattern(resource: &Value, pattern: &str) -> bool {
    if matches!(resource, Value::Object(_) | Value::Array(_)) {
        return false;
    }
    let text = resource_text(resource);
    if text == pattern {
        return true;
    }
    pattern.split('|').any(|alt| {
        alt.split('&')
            .all(|atom| atom_matches(&text, resource, atom.trim()))
    })
}

fn atom_matches(text: &str, resource: &Value, atom: &str) -> bool {
    if let Some((lo, hi, negate)) = range(atom) {
        let inside = match (magnitude(text, resource, lo), magnitude(text, resource, hi)) {
            (Some((v, a)), Some((_, b))) => v >= a && v <= b,
            _ => false,
        };
        return inside != negate;
    }
    for (op, ord) in [
        (">=", [Ordering::Greater, Ordering::Equal]),
        ("<=", [Ordering::Less, Ordering::Equal]),
    ] {
        if let Some(v) = atom.strip_prefix(op) {
            return ordering(text, resource, v.trim()).is_some_and(|o| ord.contains(&o));
        }
    }
    if let Some(v) = atom.strip_prefix('>') {
        return ordering(text, resource, v.trim()) == Some(Ordering::Greater);
    }
    if let Some(v) = atom.strip_prefix('<') {
        return ordering(text, resource, v.trim()) == Some(Ordering::Less);
    }
    if let Some(v) = atom.strip_prefix('!') {
        return !equal(text, v.trim());
    }
    equal(text, atom)
}

fn equal(text: &str, pattern: &str) -> bool {
    if let (Some(a), Some(b)) = (parse_duration(text), parse_duration(pattern)) {
        return a == b;
    }
    if !wildcard::has_wildcard(pattern)
        && let (Some(a), Some(b)) = (parse_quantity(text), parse_quantity(pattern))
    {
        return a == b;
    }
    wildcard::matches(pattern, text)
}

fn ordering(text: &str, resource: &Value, value: &str) -> Option<Ordering> {
    let r = match resource {
        Value::Number(n) => Value::Number(n.clone()),
        _ => Value::String(text.to_owned()),
    };
    compare(&r, &Value::String(value.to_owned()))
}

fn magnitude(text: &str, resource: &Value, bound: &str) -> Option<(f64, f64)> {
    if let (Some(a), Some(b)) = (parse_duration(text), parse_duration(bound)) {
        return Some((a, b));
    }
    let r = match resource {
        Value::Number(n) => n.as_f64()?,
        _ => parse_quantity(text)?,
    };
    Some((r, parse_quantity(bound)?))
}

/// `a-b` (in range) or `a!-b` (not in range), both bounds numeric with an optional unit.
fn range(atom: &str) -> Option<(&str, &str, bool)> {
    let numeric = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && s.as_bytes()[0].is_ascii_digit()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
    };
    if let Some((a, b)) = atom.split_once("!-")
        && numeric(a)
        && numeric(b)
    {
        return Some((a.trim(), b.trim(), true));
    }
    let (a, b) = atom.split_once('-')?;
    if numeric(a) && numeric(b) {
        return Some((a.trim(), b.trim(), false));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_operators_and_anchors() {
        assert!(scalar_matches(&json!("nginx:1.12"), &json!("!*:latest")));
        assert!(!scalar_matches(&json!("nginx:latest"), &json!("!*:latest")));
        assert!(scalar_matches(&json!("nginx"), &json!("*:latest | !*:*")));
        assert!(scalar_matches(&json!(5), &json!(">3 & <10")));
        assert!(scalar_matches(&json!("200Mi"), &json!("<1Gi")));
        assert!(scalar_matches(&json!(5), &json!("1-10")));
        assert!(scalar_matches(&json!(15), &json!("1!-10")));
        assert!(!scalar_matches(&json!(""), &json!("?*")));
        let pattern = json!({"spec": {"containers": [{"(image)": "*:latest | !*:*", "imagePullPolicy": "Always"}]}});
        assert!(
            validate(
                &json!({"spec": {"containers": [{"image": "nginx:1"}]}}),
                &pattern
            )
            .is_err_and(|e| matches!(e, Mismatch::Skip { .. }))
        );
        assert!(
            validate(
                &json!({"spec": {"containers": [{"image": "nginx", "imagePullPolicy": "Always"}]}}),
                &pattern
            )
            .is_ok()
        );
        assert!(matches!(
            validate(
                &json!({"spec": {"containers": [{"image": "nginx"}]}}),
                &pattern
            ),
            Err(Mismatch::Fail { .. })
        ));
        let negation = json!({"spec": {"X(hostNetwork)": "null"}});
        assert!(validate(&json!({"spec": {"hostNetwork": true}}), &negation).is_err());
        assert!(validate(&json!({"spec": {}}), &negation).is_ok());
    }
}
