//! Multi-document YAML to JSON values, the way Kubernetes tooling reads manifests: plain
//! scalars are resolved to null, booleans (YAML 1.1 spellings included, as `sigs.k8s.io/yaml`
//! does), integers and floats; quoted scalars stay strings; keys become strings. Anchors and
//! aliases are expanded within a node budget, so a small document cannot expand into gigabytes.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// Inputs larger than this are refused.
pub const MAX_YAML_BYTES: usize = 16 * 1024 * 1024;
/// At most this many nodes (after alias expansion) per input.
pub const MAX_NODES: usize = 2_000_000;
/// At most this nesting depth.
pub const MAX_DEPTH: usize = 256;

/// Why YAML text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    message: String,
}

impl boltseal_core::Classify for YamlError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

impl YamlError {
    fn new(message: impl Into<String>) -> Self {
        YamlError {
            message: message.into(),
        }
    }
}

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

/// Parses every document of `text` into a JSON value. Empty documents (only comments, or an
/// empty `---` section) are returned as `Value::Null` so that document indices match what
/// people count.
///
/// ```
/// let docs = boltseal_policy::yaml::documents("a: 1\n---\nb: [yes, '1', ~]\n")?;
/// assert_eq!(docs[0], serde_json::json!({"a": 1}));
/// assert_eq!(docs[1], serde_json::json!({"b": [true, "1", null]}));
/// # Ok::<(), boltseal_policy::yaml::YamlError>(())
/// ```
///
/// # Errors
/// [`YamlError`] for syntax errors (with line and column), duplicate keys, inputs over the
/// limits, and aliases to unknown anchors.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError::new(format!(
            "YAML input exceeds the {MAX_YAML_BYTES}-byte limit"
        )));
    }
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, Value, usize)> = Vec::new();
    let mut nodes = 0usize;
    let mut doc: Option<Value> = None;
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|e| YamlError::new(e.to_string()))?;
        let at = || format!("line {} column {}", mark.line(), mark.col() + 1);
        let (value, anchor, size) = match event {
            Event::StreamStart | Event::Nothing => continue,
            Event::StreamEnd => break,
            Event::DocumentStart => {
                doc = None;
                continue;
            }
            Event::DocumentEnd => {
                docs.push(doc.take().unwrap_or(Value::Null));
                anchors.clear();
                continue;
            }
            Event::Alias(id) => {
                let Some((_, v, size)) = anchors.iter().rev().find(|(a, _, _)| *a == id) else {
                    return Err(YamlError::new(format!("unknown alias at {}", at())));
                };
                (v.clone(), 0, *size)
            }
            Event::Scalar(text, style, anchor, tag) => {
                // Keys stay text (`y:`, `on:`, `1:` are names, not booleans or numbers).
                let is_key = matches!(stack.last(), Some(Frame::Map(_, None, _)));
                let v = if is_key {
                    Value::String(text)
                } else {
                    scalar(text, style, tag.as_ref())
                };
                (v, anchor, 1)
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError::new(format!(
                        "nesting deeper than {MAX_DEPTH} at {}",
                        at()
                    )));
                }
                stack.push(Frame::Seq(Vec::new(), anchor));
                nodes += 1;
                continue;
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError::new(format!(
                        "nesting deeper than {MAX_DEPTH} at {}",
                        at()
                    )));
                }
                stack.push(Frame::Map(Map::new(), None, anchor));
                nodes += 1;
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor)) => {
                    let size = 1 + items.len();
                    (Value::Array(items), anchor, size)
                }
                _ => return Err(YamlError::new(format!("unbalanced sequence at {}", at()))),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(map, None, anchor)) => {
                    let size = 1 + map.len();
                    (Value::Object(map), anchor, size)
                }
                _ => return Err(YamlError::new(format!("unbalanced mapping at {}", at()))),
            },
        };
        nodes = nodes.saturating_add(size);
        if nodes > MAX_NODES {
            return Err(YamlError::new(format!(
                "YAML input expands to more than {MAX_NODES} nodes"
            )));
        }
        if anchor > 0 {
            anchors.push((anchor, value.clone(), size.max(count(&value))));
        }
        match stack.last_mut() {
            None => doc = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => *key = Some(key_string(value)),
                Some(k) => {
                    if map.contains_key(&k) {
                        return Err(YamlError::new(format!("duplicate key {k:?} at {}", at())));
                    }
                    map.insert(k, value);
                }
            },
        }
    }
    Ok(docs)
}

/// Node count of a value (for the expansion budget of aliases).
fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

fn key_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag
        && (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!")
    {
        match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => return Value::String(text),
            _ => {}
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    resolve_plain(text)
}

/// Resolves a plain scalar as YAML 1.1 (go-yaml v2, which `sigs.k8s.io/yaml` uses) does.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Value::Bool(true);
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Value::String(text),
        _ => {}
    }
    if let Some(n) = parse_int(&text) {
        return Value::Number(n);
    }
    if looks_like_float(&text)
        && let Ok(f) = text.replace('_', "").parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text)
}

fn parse_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let clean = digits.replace('_', "");
    let (radix, body) = if let Some(h) = clean.strip_prefix("0x") {
        (16, h.to_owned())
    } else if let Some(b) = clean.strip_prefix("0b") {
        (2, b.to_owned())
    } else if let Some(o) = clean.strip_prefix("0o") {
        (8, o.to_owned())
    } else if clean.len() > 1 && clean.starts_with('0') {
        (8, clean[1..].to_owned())
    } else {
        (10, clean)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&body, radix).ok()?;
    if neg {
        let v = i64::try_from(magnitude).ok()?;
        Some(Number::from(-v))
    } else {
        Some(Number::from(magnitude))
    }
}

fn looks_like_float(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    let mut digits = false;
    let mut dot = false;
    let mut exp = false;
    let mut prev = ' ';
    for c in t.chars() {
        match c {
            '0'..='9' => digits = true,
            '_' if digits => {}
            '.' if !dot && !exp => dot = true,
            'e' | 'E' if digits && !exp => exp = true,
            '+' | '-' if prev == 'e' || prev == 'E' => {}
            _ => return false,
        }
        prev = c;
    }
    digits && (dot || exp)
}

#[cfg(test)]
mod tests {
    use super::documents;
    use serde_json::json;

    #[test]
    fn kubernetes_scalars() {
        let docs = documents(
            "a: 0755\nb: 1_000\nc: 1.5\nd: '2'\ne: \"on\"\nf: on\ng: 1e3\nh: v1\ni: 8h\nj: -3\n",
        )
        .unwrap();
        assert_eq!(
            docs[0],
            json!({"a": 493, "b": 1000, "c": 1.5, "d": "2", "e": "on", "f": true, "g": 1000.0, "h": "v1", "i": "8h", "j": -3})
        );
    }

    #[test]
    fn documents_aliases_and_errors() {
        let docs = documents("---\nx: &a [1, 2]\ny: *a\n---\n# nothing\n---\nz: 1").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], json!({"x": [1, 2], "y": [1, 2]}));
        assert_eq!(docs[1], serde_json::Value::Null);
        assert!(documents("a: 1\na: 2\n").is_err());
        assert!(documents("a: [\n").is_err());
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        assert!(documents(bomb).is_err());
    }
}
