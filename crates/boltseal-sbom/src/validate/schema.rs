//! The schema interpreter: JSON-schema-like rules written as static tables ([`Shape`],
//! [`Prop`], [`Rule`]) and one walker that checks a JSON value against them, keeping a JSON
//! pointer to name what it rejects.
//!
//! Rules are versioned: a property is allowed from the version named in its [`Prop`], and
//! [`Rule::Versioned`] picks the rule of the newest version not newer than the document's.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Finding, Severity};

/// A format version that rules can depend on: CycloneDX versions, or `()` for SPDX, whose
/// schema rules do not vary between 2.2 and 2.3.
pub(super) trait Version: Copy + Ord + 'static {
    /// The oldest version: what a rule without a version applies from.
    const OLDEST: Self;
    /// The version as findings name it.
    fn name(self) -> &'static str;
}

impl Version for () {
    const OLDEST: Self = ();
    fn name(self) -> &'static str {
        ""
    }
}

/// A string format: a test and what a failing string is not (`is not an IRI reference`).
pub(super) struct Format {
    pub(super) test: fn(&str) -> bool,
    pub(super) is_not: &'static str,
}

/// What one JSON value must be.
pub(super) enum Rule<V: 'static> {
    /// Anything.
    Any,
    /// A property that is not allowed (reported as such), for versions that dropped it.
    NotAllowed,
    /// A string.
    Str,
    /// A string of at least this many characters.
    MinChars(usize),
    /// A string of at most this many characters.
    MaxChars(usize),
    /// A boolean.
    Bool,
    /// An integer, at least the minimum when there is one.
    Int(Option<i64>),
    /// A number.
    Num,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// One of these strings, each allowed from a version on.
    VersionedEnum(&'static [(&'static str, V)]),
    /// A string of a format.
    Format(&'static Format),
    /// An object, its properties not checked.
    AnyObject,
    /// An array of items, with at least `min` of them, unique when `unique`.
    List {
        item: &'static Rule<V>,
        unique: bool,
        min: usize,
    },
    /// An object of a shape.
    Obj(&'static Shape<V>),
    /// The rule of the newest version (ascending) that is not newer than the document's.
    Versioned(&'static [(V, Rule<V>)]),
    /// `oneOf`: exactly one of the choices holds.
    OneOf(&'static OneOf<V>),
    /// `then` for an object that has the property `key`, `otherwise` for anything else.
    IfKey {
        key: &'static str,
        then: &'static Rule<V>,
        otherwise: &'static Rule<V>,
    },
    /// A rule written as code.
    Custom(fn(&mut Walker<V>, &Value)),
}

/// An array of items: `list!(item, unique)` or `list!(item, unique, min)`. A macro, not a
/// `const fn`, so that a rule naming a static shape can be a constant.
macro_rules! list {
    ($item:expr, $unique:expr $(,)?) => {
        list!($item, $unique, 0)
    };
    ($item:expr, $unique:expr, $min:expr $(,)?) => {
        $crate::validate::schema::Rule::List {
            item: &$item,
            unique: $unique,
            min: $min,
        }
    };
}
pub(super) use list;

/// An array of strings.
pub(super) const fn strings<V>(unique: bool) -> Rule<V> {
    Rule::List {
        item: &Rule::Str,
        unique,
        min: 0,
    }
}

/// An array of objects whose properties are not checked.
pub(super) const fn objects<V>() -> Rule<V> {
    Rule::List {
        item: &Rule::AnyObject,
        unique: false,
        min: 0,
    }
}

/// `oneOf` choices, and what to say when none (or more than one) holds.
pub(super) struct OneOf<V: 'static> {
    pub(super) choices: &'static [Rule<V>],
    pub(super) message: &'static str,
    /// When no choice holds, report the findings of the choice whose JSON type (object or
    /// array) the value has, instead of the message (the message stays for other types).
    pub(super) explain: bool,
}

/// A check on an object as a whole, made before its properties are.
pub(super) enum Check<V: 'static> {
    /// Exactly one of these properties is present.
    ExactlyOne(&'static [&'static str], &'static str),
    /// At least one of these properties is present.
    AnyOf(&'static [&'static str], &'static str),
    /// A check written as code.
    Custom(fn(&mut Walker<V>, &Map<String, Value>)),
}

/// An object: its required properties, checks, and the properties it allows.
pub(super) struct Shape<V: 'static> {
    pub(super) required: &'static [&'static str],
    pub(super) checks: &'static [Check<V>],
    pub(super) props: &'static [Prop<V>],
    /// Whether properties not listed are allowed (the object is not closed).
    pub(super) open: bool,
}

impl<V: Version> Shape<V> {
    /// A closed object with these required properties and properties.
    pub(super) const fn new(required: &'static [&'static str], props: &'static [Prop<V>]) -> Self {
        Shape {
            required,
            checks: &[],
            props,
            open: false,
        }
    }
}

/// Properties allowed in an object from a version on, and the rule their values follow.
pub(super) struct Prop<V: 'static> {
    pub(super) names: &'static [&'static str],
    pub(super) since: V,
    pub(super) rule: Rule<V>,
}

/// Properties allowed in every version.
pub(super) const fn p<V: Version>(names: &'static [&'static str], rule: Rule<V>) -> Prop<V> {
    Prop {
        names,
        since: V::OLDEST,
        rule,
    }
}

/// Properties allowed from version `since` on.
pub(super) const fn since<V: Version>(
    since: V,
    names: &'static [&'static str],
    rule: Rule<V>,
) -> Prop<V> {
    Prop { names, since, rule }
}

/// The walker: the document's version, the JSON pointer being checked and the findings.
pub(super) struct Walker<V> {
    pub(super) v: V,
    path: String,
    pub(super) out: Vec<Finding>,
    /// Inside a `oneOf` probe: only whether there was an error matters.
    probing: bool,
    /// The node of the next error when it is not the current path.
    node: Option<String>,
}

impl<V: Version> Walker<V> {
    pub(super) fn new(v: V) -> Self {
        Walker {
            v,
            path: String::new(),
            out: Vec::new(),
            probing: false,
            node: None,
        }
    }

    /// An error at the current path.
    pub(super) fn err(&mut self, msg: impl Into<String>) {
        if self.probing {
            self.node = None;
            self.out.push(Finding {
                severity: Severity::Error,
                element: String::new(),
                message: String::new(),
                node: String::new(),
            });
            return;
        }
        self.out.push(Finding {
            severity: Severity::Error,
            element: self.path.clone(),
            message: msg.into(),
            node: self.node.take().unwrap_or_else(|| self.path.clone()),
        });
    }

    /// A semantic finding about an element (no schema node).
    pub(super) fn finding(&mut self, severity: Severity, element: &str, msg: impl Into<String>) {
        self.out.push(Finding {
            severity,
            element: element.to_owned(),
            message: msg.into(),
            node: String::new(),
        });
    }

    /// Runs `f` one property deeper.
    pub(super) fn at<F: FnOnce(&mut Self)>(&mut self, key: &str, f: F) {
        let len = self.path.len();
        self.path.push('/');
        for c in key.chars() {
            match c {
                '~' => self.path.push_str("~0"),
                '/' => self.path.push_str("~1"),
                c => self.path.push(c),
            }
        }
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` one array item deeper.
    pub(super) fn at_index<F: FnOnce(&mut Self)>(&mut self, i: usize, f: F) {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&i.to_string());
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` without recording findings; returns whether it found none.
    fn probe<F: FnOnce(&mut Self)>(&mut self, f: F) -> bool {
        let saved = std::mem::take(&mut self.out);
        let was = std::mem::replace(&mut self.probing, true);
        f(self);
        self.probing = was;
        let ok = self.out.is_empty();
        self.out = saved;
        ok
    }

    /// The value as an object with the required properties.
    pub(super) fn object<'v>(
        &mut self,
        v: &'v Value,
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            self.err(format!("expected an object, found {}", kind(v)));
            return None;
        };
        for r in required {
            if !m.contains_key(*r) {
                self.err(format!("required property {r:?} is missing"));
            }
        }
        Some(m)
    }

    /// Reports the property at the current path as not allowed, at its object.
    fn unknown(&mut self, key: &str) {
        let parent = self.path.rfind('/').unwrap_or(0);
        self.node = Some(self.path.clone());
        let saved = self.path.split_off(parent);
        self.err(format!("property {key:?} is not allowed here"));
        self.path.push_str(&saved);
    }

    /// The value as a string.
    pub(super) fn string<'v>(&mut self, v: &'v Value) -> Option<&'v str> {
        let s = v.as_str();
        if s.is_none() {
            self.err(format!("expected a string, found {}", kind(v)));
        }
        s
    }

    /// The value as an array, its items unique when `unique`.
    pub(super) fn array<'v>(&mut self, v: &'v Value, unique: bool) -> Option<&'v [Value]> {
        let Some(a) = v.as_array() else {
            self.err(format!("expected an array, found {}", kind(v)));
            return None;
        };
        if unique && a.len() > 1 {
            let mut seen = HashSet::with_capacity(a.len());
            for x in a {
                let key = match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !seen.insert(key) {
                    self.err("items must be unique");
                    break;
                }
            }
        }
        Some(a)
    }

    /// The rule that applies in the document's version.
    fn resolve<'r>(&self, mut rule: &'r Rule<V>) -> &'r Rule<V> {
        while let Rule::Versioned(table) = rule {
            rule = table
                .iter()
                .rev()
                .find(|(since, _)| *since <= self.v)
                .map_or(&Rule::NotAllowed, |(_, r)| r);
        }
        rule
    }

    /// Checks `x` against a shape.
    pub(super) fn shape(&mut self, shape: &Shape<V>, x: &Value) {
        if let Some(m) = x.as_object() {
            for check in shape.checks {
                match check {
                    Check::ExactlyOne(keys, msg) | Check::AnyOf(keys, msg) => {
                        let n = keys.iter().filter(|k| m.contains_key(**k)).count();
                        let exact = matches!(check, Check::ExactlyOne(..));
                        if (exact && n != 1) || n == 0 {
                            self.err(*msg);
                        }
                    }
                    Check::Custom(f) => f(self, m),
                }
            }
        }
        let Some(m) = self.object(x, shape.required) else {
            return;
        };
        for (k, x) in m {
            let v = self.v;
            let prop = shape
                .props
                .iter()
                .find(|p| p.since <= v && p.names.contains(&k.as_str()));
            self.at(k, |w| match prop.map(|p| w.resolve(&p.rule)) {
                Some(Rule::NotAllowed) => w.unknown(k),
                Some(rule) => w.check(rule, x),
                None if shape.open => {}
                None => w.unknown(k),
            });
        }
    }

    /// Checks `x` against a rule.
    pub(super) fn check(&mut self, rule: &Rule<V>, x: &Value) {
        match self.resolve(rule) {
            Rule::Any | Rule::NotAllowed => {}
            Rule::Str => {
                self.string(x);
            }
            Rule::MinChars(min) => {
                if let Some(s) = self.string(x)
                    && s.chars().count() < *min
                {
                    self.err(format!("must have at least {min} character(s)"));
                }
            }
            Rule::MaxChars(max) => {
                if let Some(s) = self.string(x)
                    && s.chars().count() > *max
                {
                    self.err(format!("longer than {max} characters"));
                }
            }
            Rule::Bool => {
                if !x.is_boolean() {
                    self.err(format!("expected a boolean, found {}", kind(x)));
                }
            }
            Rule::Int(min) => self.integer(x, *min),
            Rule::Num => {
                if x.as_f64().is_none() {
                    self.err(format!("expected a number, found {}", kind(x)));
                }
            }
            Rule::Enum(allowed) => {
                if let Some(s) = self.string(x)
                    && !allowed.contains(&s)
                {
                    self.err(format!("{s:?} is not one of the allowed values"));
                }
            }
            Rule::VersionedEnum(table) => {
                let v = self.v;
                if let Some(s) = self.string(x)
                    && !table.iter().any(|(name, since)| *name == s && v >= *since)
                {
                    self.err(format!(
                        "{s:?} is not an allowed value in CycloneDX {}",
                        v.name()
                    ));
                }
            }
            Rule::Format(format) => {
                if let Some(s) = self.string(x)
                    && !(format.test)(s)
                {
                    self.err(format!("{s:?} {}", format.is_not));
                }
            }
            Rule::AnyObject => {
                self.object(x, &[]);
            }
            Rule::List { item, unique, min } => {
                let Some(a) = self.array(x, *unique) else {
                    return;
                };
                if a.len() < *min {
                    self.err(format!("needs at least {min} item(s)"));
                }
                for (i, value) in a.iter().enumerate() {
                    self.at_index(i, |w| w.check(item, value));
                }
            }
            Rule::Obj(shape) => self.shape(shape, x),
            Rule::Versioned(_) => unreachable!("resolved above"),
            Rule::OneOf(one) => self.one_of(one, x),
            Rule::IfKey {
                key,
                then,
                otherwise,
            } => {
                let has = x.as_object().is_some_and(|m| m.contains_key(*key));
                self.check(if has { then } else { otherwise }, x);
            }
            Rule::Custom(f) => f(self, x),
        }
    }

    fn integer(&mut self, v: &Value, min: Option<i64>) {
        match v.as_i64() {
            Some(n) => {
                if let Some(m) = min
                    && n < m
                {
                    self.err(format!("{n} is less than the minimum {m}"));
                }
            }
            None if v.as_u64().is_some() => {}
            None if v.as_f64().is_some_and(|f| f.fract() == 0.0) => {}
            None => self.err(format!("expected an integer, found {}", kind(v))),
        }
    }

    fn one_of(&mut self, one: &OneOf<V>, x: &Value) {
        let holding = one
            .choices
            .iter()
            .filter(|choice| self.probe(|w| w.check(choice, x)))
            .count();
        if holding == 1 {
            return;
        }
        let by_type = one.explain.then(|| {
            one.choices
                .iter()
                .find(|choice| match self.resolve(choice) {
                    Rule::Obj(_) | Rule::AnyObject => x.is_object(),
                    Rule::List { .. } => x.is_array(),
                    _ => false,
                })
        });
        match by_type.flatten() {
            Some(choice) => self.check(choice, x),
            None => self.err(one.message),
        }
    }
}

/// The JSON type of a value, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
