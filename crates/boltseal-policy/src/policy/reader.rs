//! The one field reader policy loading goes through: a JSON object seen at a field path, with
//! typed getters whose errors name the full path (`spec.rules[2].verifyImages[0].attestors`).

use serde_json::{Map, Value};

use crate::condition::Templates;
use crate::error::{LoadError, Origin};

/// What loading one policy document carries along: where it came from, the warnings so far
/// and the templates (variables, JMESPath) it uses.
pub(crate) struct Cx<'a> {
    pub(crate) origin: &'a Origin,
    pub(crate) warnings: Vec<String>,
    pub(crate) templates: Templates,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(origin: &'a Origin) -> Self {
        Cx {
            origin,
            warnings: Vec::new(),
            templates: Templates::default(),
        }
    }

    pub(crate) fn invalid(&self, field: &str, reason: impl Into<String>) -> LoadError {
        invalid(self.origin, field, reason)
    }

    pub(crate) fn unsupported(&self, field: &str, feature: impl Into<String>) -> LoadError {
        LoadError::Unsupported {
            origin: self.origin.clone(),
            field: field.to_owned(),
            feature: feature.into(),
        }
    }

    /// Reads `v` (at `path`) as an object whose keys are `known`; keys in `unsupported` are
    /// refused as such, any other key as unknown. Null values count as absent.
    pub(crate) fn object<'v>(
        &self,
        v: &'v Value,
        path: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<Obj<'v>, LoadError>
    where
        'a: 'v,
    {
        Obj::read(self.origin, v, path, known, unsupported)
    }

    /// Records a template use (variables, JMESPath) found in `value` at `field`.
    pub(crate) fn template(&mut self, field: &str, value: &Value) -> Result<(), LoadError> {
        self.templates
            .collect(value)
            .map_err(|e| invalid(self.origin, field, e))
    }

    /// Compiles a JMESPath expression found at `field`.
    pub(crate) fn expression(&mut self, field: &str, expression: &str) -> Result<(), LoadError> {
        self.templates
            .compile_expression(expression)
            .map_err(|e| invalid(self.origin, field, e))
            .map(drop)
    }
}

fn invalid(origin: &Origin, field: &str, reason: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        origin: origin.clone(),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// `path.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A JSON object at a field path.
#[derive(Clone)]
pub(crate) struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
    origin: &'v Origin,
}

impl<'v> Obj<'v> {
    fn read(
        origin: &'v Origin,
        v: &'v Value,
        path: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<Self, LoadError> {
        let Some(map) = v.as_object() else {
            return Err(invalid(origin, path, "expected an object"));
        };
        let obj = Obj {
            map,
            path: path.to_owned(),
            origin,
        };
        for (k, val) in map {
            if val.is_null() {
                continue;
            }
            if unsupported.contains(&k.as_str()) {
                return Err(obj.unsupported(k, format!("`{k}`")));
            }
            if !known.contains(&k.as_str()) {
                return Err(obj.invalid(k, "unknown field"));
            }
        }
        Ok(obj)
    }

    /// The object's own path.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The path of one of its fields.
    pub(crate) fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// An error about field `key` (about the object itself when `key` is empty).
    pub(crate) fn invalid(&self, key: &str, reason: impl Into<String>) -> LoadError {
        invalid(self.origin, &self.at(key), reason)
    }

    /// A refusal of an unsupported feature at field `key`.
    pub(crate) fn unsupported(&self, key: &str, feature: impl Into<String>) -> LoadError {
        LoadError::Unsupported {
            origin: self.origin.clone(),
            field: self.at(key),
            feature: feature.into(),
        }
    }

    fn at(&self, key: &str) -> String {
        if key.is_empty() {
            self.path.clone()
        } else {
            self.field(key)
        }
    }

    /// The value of `key` unless absent or null.
    pub(crate) fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present (even as null).
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Whether `key` is present and not null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A nested object, read like [`Cx::object`].
    pub(crate) fn object(
        &self,
        key: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<Option<Obj<'v>>, LoadError> {
        self.get(key)
            .map(|v| Obj::read(self.origin, v, &self.field(key), known, unsupported))
            .transpose()
    }

    /// A nested object whose keys are not checked (`metadata`); `None` when it is not one.
    pub(crate) fn open(&self, key: &str) -> Option<Obj<'v>> {
        let map = self.get(key)?.as_object()?;
        Some(Obj {
            map,
            path: self.field(key),
            origin: self.origin,
        })
    }

    /// Another value read as an object at `path` (list items, whole documents).
    pub(crate) fn object_at(
        &self,
        v: &'v Value,
        path: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<Obj<'v>, LoadError> {
        Obj::read(self.origin, v, path, known, unsupported)
    }

    /// An optional string.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, LoadError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(key, "expected a string")),
        }
    }

    /// A string that must be there and not be empty (else `missing`).
    pub(crate) fn required_string(&self, key: &str) -> Result<String, LoadError> {
        self.string(key)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.invalid(key, "missing"))
    }

    /// A string that must be one of `choices`; `expected` names them in the error.
    pub(crate) fn choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
        expected: &str,
    ) -> Result<Option<T>, LoadError> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        match choices.iter().find(|(name, _)| *name == s) {
            Some((_, value)) => Ok(Some(*value)),
            None => Err(self.invalid(key, format!("{s:?}: expected {expected}"))),
        }
    }

    /// A boolean, `default` when absent.
    pub(crate) fn boolean(&self, key: &str, default: bool) -> Result<bool, LoadError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.invalid(key, "expected a boolean")),
        }
    }

    /// A list of strings (empty when absent).
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, LoadError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(_)) => self
                .items(key)?
                .into_iter()
                .map(|(path, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(invalid(self.origin, &path, "expected a string")),
                })
                .collect(),
            Some(_) => Err(self.invalid(key, "expected a list of strings")),
        }
    }

    /// A list (empty when absent).
    pub(crate) fn array(&self, key: &str) -> Result<&'v [Value], LoadError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.invalid(key, "expected a list")),
        }
    }

    /// The items of a list with their paths (`key[i]`).
    pub(crate) fn items(&self, key: &str) -> Result<Vec<(String, &'v Value)>, LoadError> {
        let base = self.field(key);
        Ok(self
            .array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{base}[{i}]"), v))
            .collect())
    }

    /// A map of strings (empty when absent).
    pub(crate) fn string_map(&self, key: &str) -> Result<Vec<(String, String)>, LoadError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(invalid(
                        self.origin,
                        &join(&self.field(key), k),
                        "expected a string",
                    )),
                })
                .collect(),
            Some(_) => Err(self.invalid(key, "expected a map of strings")),
        }
    }

    /// An integer from 1 to 30 (webhook timeouts).
    pub(crate) fn timeout(&self, key: &str) -> Result<Option<u32>, LoadError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n @ 1..=30) => Ok(Some(u32::try_from(n).unwrap_or(30))),
                _ => Err(self.invalid(key, "expected an integer from 1 to 30")),
            },
        }
    }
}
