//! JSON Patch (RFC 6902): the operations a mutating webhook answers with, and applying them
//! to a document the way the API server does.
//!
//! ```
//! use boltseal_policy::patch::{self, PatchOperation};
//! use serde_json::json;
//!
//! let mut pod = json!({"spec": {"containers": [{"image": "nginx:1.27"}]}});
//! let ops = patch::parse(&json!([
//!     {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx@sha256:abc"},
//!     {"op": "add", "path": "/metadata", "value": {"annotations": {"a/b": "x"}}},
//! ]))?;
//! patch::apply(&mut pod, &ops)?;
//! assert_eq!(pod["spec"]["containers"][0]["image"], "nginx@sha256:abc");
//! assert_eq!(pod.pointer("/metadata/annotations/a~1b"), Some(&json!("x")));
//! assert_eq!(ops[0], PatchOperation::replace("/spec/containers/0/image", json!("nginx@sha256:abc")));
//! # Ok::<(), boltseal_policy::patch::PatchError>(())
//! ```

use serde_json::Value;

/// One JSON Patch operation: `add`, `remove`, `replace`, `move`, `copy` or `test`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchOperation {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: &'static str,
    /// The target, a JSON pointer.
    pub path: String,
    /// The value (`add`, `replace`, `test`; `Null` otherwise).
    pub value: Value,
    /// The source pointer of `move` and `copy`.
    pub from: Option<String>,
}

/// Why a patch could not be read or applied.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// An operation is not a JSON Patch operation object.
    #[error("patch operation {index}: {reason}")]
    Malformed {
        /// The operation's index in the patch.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An operation does not apply to the document.
    #[error("{op} {path}: {reason}")]
    Failed {
        /// The operation.
        op: &'static str,
        /// Its target.
        path: String,
        /// Why (`no such member`, `index out of range`, `test failed`, …).
        reason: &'static str,
    },
}

impl boltseal_core::Classify for PatchError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            PatchError::Malformed { .. } => boltseal_core::ErrorKind::InvalidInput,
            PatchError::Failed { .. } => boltseal_core::ErrorKind::Refused,
        }
    }
}

const OPS: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];

impl PatchOperation {
    fn new(op: &'static str, path: impl Into<String>, value: Value) -> Self {
        PatchOperation {
            op,
            path: path.into(),
            value,
            from: None,
        }
    }

    /// A `replace` operation.
    #[must_use]
    pub fn replace(path: impl Into<String>, value: Value) -> Self {
        Self::new("replace", path, value)
    }

    /// An `add` operation.
    #[must_use]
    pub fn add(path: impl Into<String>, value: Value) -> Self {
        Self::new("add", path, value)
    }

    /// A `remove` operation.
    #[must_use]
    pub fn remove(path: impl Into<String>) -> Self {
        Self::new("remove", path, Value::Null)
    }

    /// The operation as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::json!({"op": self.op, "path": self.path});
        match (self.op, &self.from) {
            ("move" | "copy", Some(from)) => out["from"] = Value::String(from.clone()),
            ("remove", _) => {}
            _ => out["value"] = self.value.clone(),
        }
        out
    }

    /// Reads one operation object (`index` is its place in the patch, for errors).
    ///
    /// # Errors
    /// [`PatchError::Malformed`] when `op` is unknown or a member it needs is missing.
    pub fn from_json(index: usize, op: &Value) -> Result<Self, PatchError> {
        let malformed = |reason: &str| PatchError::Malformed {
            index,
            reason: reason.to_owned(),
        };
        let name = op["op"].as_str().ok_or_else(|| malformed("no `op`"))?;
        let name = OPS
            .into_iter()
            .find(|o| *o == name)
            .ok_or_else(|| malformed(&format!("unknown op {name:?}")))?;
        let path = op["path"].as_str().ok_or_else(|| malformed("no `path`"))?;
        pointer(path).map_err(|_| malformed("`path` is not a JSON pointer"))?;
        let mut out = Self::new(name, path, Value::Null);
        match name {
            "move" | "copy" => {
                let from = op["from"].as_str().ok_or_else(|| malformed("no `from`"))?;
                pointer(from).map_err(|_| malformed("`from` is not a JSON pointer"))?;
                out.from = Some(from.to_owned());
            }
            "remove" => {}
            _ => {
                out.value = op
                    .get("value")
                    .cloned()
                    .ok_or_else(|| malformed("no `value`"))?;
            }
        }
        Ok(out)
    }

    /// Applies this one operation to `doc`.
    ///
    /// # Errors
    /// [`PatchError::Failed`] when its target (or source) does not exist, an array index is out
    /// of range, or a `test` does not hold; `doc` may then be partly changed only for `move`.
    pub fn apply_to(&self, doc: &mut Value) -> Result<(), PatchError> {
        let fail = |reason| PatchError::Failed {
            op: self.op,
            path: self.path.clone(),
            reason,
        };
        match self.op {
            "add" => add(doc, &self.path, self.value.clone()).map_err(fail),
            "remove" => remove(doc, &self.path).map(drop).map_err(fail),
            "replace" => {
                let slot = doc
                    .pointer_mut(&self.path)
                    .ok_or_else(|| fail("no such member"))?;
                *slot = self.value.clone();
                Ok(())
            }
            "test" => match doc.pointer(&self.path) {
                Some(v) if *v == self.value => Ok(()),
                Some(_) => Err(fail("test failed")),
                None => Err(fail("no such member")),
            },
            "copy" | "move" => {
                let from = self.from.as_deref().unwrap_or_default();
                if self.op == "move" && self.path.starts_with(&format!("{from}/")) {
                    return Err(fail("cannot move a value into itself"));
                }
                let value = if self.op == "move" {
                    remove(doc, from).map_err(fail)?
                } else {
                    doc.pointer(from)
                        .cloned()
                        .ok_or_else(|| fail("no such member"))?
                };
                add(doc, &self.path, value).map_err(fail)
            }
            _ => Err(fail("unknown operation")),
        }
    }
}

/// Reads a JSON Patch document (an array of operation objects).
///
/// # Errors
/// [`PatchError::Malformed`] naming the first bad operation.
pub fn parse(patch: &Value) -> Result<Vec<PatchOperation>, PatchError> {
    let Value::Array(ops) = patch else {
        return Err(PatchError::Malformed {
            index: 0,
            reason: "a JSON Patch is an array of operations".to_owned(),
        });
    };
    ops.iter()
        .enumerate()
        .map(|(i, op)| PatchOperation::from_json(i, op))
        .collect()
}

/// Applies operations in order, all or nothing: on an error `doc` is left as it was.
///
/// # Errors
/// The first operation's [`PatchError`] that does not apply.
pub fn apply(doc: &mut Value, ops: &[PatchOperation]) -> Result<(), PatchError> {
    let mut out = doc.clone();
    for op in ops {
        op.apply_to(&mut out)?;
    }
    *doc = out;
    Ok(())
}

/// A pointer's unescaped reference tokens (`~1` is `/`, `~0` is `~`).
fn pointer(path: &str) -> Result<Vec<String>, &'static str> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("not a JSON pointer");
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The parent of `path` and its last token.
fn parent<'d>(doc: &'d mut Value, path: &str) -> Result<(&'d mut Value, String), &'static str> {
    let mut tokens = pointer(path)?;
    let last = tokens.pop().ok_or("the whole document")?;
    let at = path.len() - path.rsplit('/').next().map_or(0, str::len) - 1;
    let parent = doc.pointer_mut(&path[..at]).ok_or("no such member")?;
    Ok((parent, last))
}

fn index(token: &str, len: usize) -> Result<usize, &'static str> {
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    match token.parse::<usize>() {
        Ok(i) if valid && i < len => Ok(i),
        _ => Err("index out of range"),
    }
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), &'static str> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    match parent(doc, path)? {
        (Value::Object(m), key) => {
            m.insert(key, value);
            Ok(())
        }
        (Value::Array(a), key) if key == "-" => {
            a.push(value);
            Ok(())
        }
        (Value::Array(a), key) => {
            let i = index(&key, a.len() + 1)?;
            a.insert(i, value);
            Ok(())
        }
        _ => Err("parent is not an object or array"),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, &'static str> {
    match parent(doc, path)? {
        (Value::Object(m), key) => m.remove(&key).ok_or("no such member"),
        (Value::Array(a), key) => {
            let i = index(&key, a.len())?;
            Ok(a.remove(i))
        }
        _ => Err("no such member"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, patch: Value) -> Result<Value, PatchError> {
        let mut doc = doc;
        apply(&mut doc, &parse(&patch)?)?;
        Ok(doc)
    }

    #[test]
    fn rfc_6902_operations() {
        let doc = json!({"a": {"b": [1, 2]}, "c": "x"});
        let out = run(
            doc.clone(),
            json!([
                {"op": "add", "path": "/a/b/1", "value": 9},
                {"op": "add", "path": "/a/b/-", "value": 3},
                {"op": "remove", "path": "/c"},
                {"op": "copy", "from": "/a/b", "path": "/d"},
                {"op": "move", "from": "/d", "path": "/e"},
                {"op": "test", "path": "/e/0", "value": 1},
            ]),
        )
        .unwrap();
        assert_eq!(out, json!({"a": {"b": [1, 9, 2, 3]}, "e": [1, 9, 2, 3]}));
        // All or nothing.
        let mut same = doc.clone();
        let ops = parse(&json!([
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "test", "path": "/c", "value": "z"},
        ]))
        .unwrap();
        assert!(apply(&mut same, &ops).is_err());
        assert_eq!(same, doc);
        assert!(run(doc.clone(), json!([{"op": "remove", "path": "/a/b/01"}])).is_err());
        assert!(run(doc.clone(), json!([{"op": "frob", "path": "/a"}])).is_err());
        assert!(run(doc, json!([{"op": "move", "from": "/a", "path": "/a/x"}])).is_err());
    }

    #[test]
    fn round_trips_through_json() {
        for op in [
            PatchOperation::add("/a~1b", json!(1)),
            PatchOperation::remove("/x"),
            PatchOperation::replace("/y/0", json!("z")),
        ] {
            assert_eq!(PatchOperation::from_json(0, &op.to_json()).unwrap(), op);
        }
    }
}
