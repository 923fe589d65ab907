//! `match` / `exclude`: resource filters (kinds with group/version forms, names, namespaces,
//! annotations, label selectors, operations, subjects).

use serde_json::Value;

use crate::error::LoadError;
use crate::policy::{Cx, is_pod_kind, join};
use crate::wildcard;

/// An admission operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Operation {
    /// `CREATE`
    #[default]
    Create,
    /// `UPDATE`
    Update,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
}

impl Operation {
    /// The Kubernetes spelling (`CREATE`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl std::str::FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CREATE" => Ok(Operation::Create),
            "UPDATE" => Ok(Operation::Update),
            "DELETE" => Ok(Operation::Delete),
            "CONNECT" => Ok(Operation::Connect),
            other => Err(format!("unknown operation {other:?}")),
        }
    }
}

/// The requesting user, for `subjects` filters.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// `userInfo.username`.
    pub username: String,
    /// `userInfo.groups`.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with groups.
    #[must_use]
    pub fn new(username: impl Into<String>, groups: Vec<String>) -> Self {
        UserInfo {
            username: username.into(),
            groups,
        }
    }
}

/// What the filters look at, extracted once per request.
pub(crate) struct Subject<'a> {
    pub(crate) group: &'a str,
    pub(crate) version: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) subresource: &'a str,
    pub(crate) name: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) labels: Option<&'a serde_json::Map<String, Value>>,
    pub(crate) annotations: Option<&'a serde_json::Map<String, Value>>,
    pub(crate) namespace_labels: Option<&'a serde_json::Map<String, Value>>,
    pub(crate) operation: Operation,
    pub(crate) user: Option<&'a UserInfo>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MatchResources {
    any: Vec<ResourceFilter>,
    all: Vec<ResourceFilter>,
}

#[derive(Clone, Debug, Default)]
struct ResourceFilter {
    kinds: Vec<KindSelector>,
    names: Vec<String>,
    namespaces: Vec<String>,
    annotations: Vec<(String, String)>,
    selector: Option<LabelSelector>,
    namespace_selector: Option<LabelSelector>,
    operations: Vec<Operation>,
    subjects: Vec<SubjectRef>,
}

#[derive(Clone, Debug)]
struct KindSelector {
    group: String,
    version: String,
    kind: String,
    subresource: String,
}

#[derive(Clone, Debug)]
struct SubjectRef {
    kind: String,
    name: String,
    namespace: String,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct LabelSelector {
    match_labels: Vec<(String, String)>,
    expressions: Vec<(String, SelectorOp, Vec<String>)>,
}

#[derive(Clone, Copy, Debug)]
enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl MatchResources {
    /// Whether every filter selects only Pods (autogen applies).
    pub(crate) fn mentions_only_pods(&self) -> bool {
        let filters: Vec<&ResourceFilter> = self.any.iter().chain(self.all.iter()).collect();
        !filters.is_empty()
            && filters.iter().any(|f| {
                f.kinds
                    .iter()
                    .any(|k| is_pod_kind(&k.kind) && k.subresource.is_empty())
            })
    }

    /// Match semantics: `any` = some filter matches, `all` = every filter matches.
    pub(crate) fn matches(&self, s: &Subject<'_>) -> bool {
        if !self.any.is_empty() {
            return self.any.iter().any(|f| f.matches(s));
        }
        !self.all.is_empty() && self.all.iter().all(|f| f.matches(s))
    }
}

impl ResourceFilter {
    fn matches(&self, s: &Subject<'_>) -> bool {
        if !self.operations.is_empty() && !self.operations.contains(&s.operation) {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k.matches(s)) {
            return false;
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| wildcard::matches(n, s.name)) {
            return false;
        }
        if !self.namespaces.is_empty() {
            let ns = if s.kind == "Namespace" {
                s.name
            } else {
                s.namespace
            };
            if !self.namespaces.iter().any(|n| wildcard::matches(n, ns)) {
                return false;
            }
        }
        if !self.annotations.is_empty() {
            let Some(actual) = s.annotations else {
                return false;
            };
            let ok = self.annotations.iter().all(|(k, v)| {
                actual.iter().any(|(ak, av)| {
                    wildcard::matches(k, ak)
                        && av.as_str().is_some_and(|av| wildcard::matches(v, av))
                })
            });
            if !ok {
                return false;
            }
        }
        if let Some(sel) = &self.selector
            && !sel.matches(s.labels)
        {
            return false;
        }
        if let Some(sel) = &self.namespace_selector
            && (s.kind == "Namespace" || !sel.matches(s.namespace_labels))
        {
            return false;
        }
        if !self.subjects.is_empty() {
            let Some(user) = s.user else {
                // No admission information (background): user filters are ignored.
                return true;
            };
            if !self.subjects.iter().any(|r| r.matches(user)) {
                return false;
            }
        }
        true
    }
}

impl KindSelector {
    fn parse(text: &str) -> KindSelector {
        let (main, sub_dot) = match text.split_once('.') {
            Some((m, sub)) if !text.contains('/') || text.rfind('.') > text.rfind('/') => {
                (m, Some(sub))
            }
            _ => (text, None),
        };
        let parts: Vec<&str> = main.split('/').collect();
        let version_like = |s: &str| s == "*" || is_version(s);
        let (g, v, k, sub) = match parts.as_slice() {
            [k] => ("*", "*", *k, ""),
            ["*", "*"] => ("*", "*", "*", "*"),
            [a, b] if version_like(a) => ("*", *a, *b, ""),
            [a, b] => ("*", "*", *a, *b),
            [g, v, k] => (*g, *v, *k, ""),
            [g, v, k, s, ..] => (*g, *v, *k, *s),
            [] => ("*", "*", "", ""),
        };
        KindSelector {
            group: g.to_owned(),
            version: v.to_owned(),
            kind: k.to_owned(),
            subresource: sub_dot.unwrap_or(sub).to_owned(),
        }
    }

    fn matches(&self, s: &Subject<'_>) -> bool {
        if !wildcard::matches(&self.group, s.group)
            || !wildcard::matches(&self.version, s.version)
            || !wildcard::matches(&self.kind, s.kind)
        {
            return false;
        }
        if self.subresource.is_empty() {
            s.subresource.is_empty() || (s.kind == "Pod" && s.subresource == "ephemeralcontainers")
        } else {
            wildcard::matches(&self.subresource, s.subresource)
        }
    }
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    if tail.is_empty() {
        return true;
    }
    for pre in ["alpha", "beta"] {
        if let Some(n) = tail.strip_prefix(pre) {
            return !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        }
    }
    false
}

impl SubjectRef {
    fn matches(&self, user: &UserInfo) -> bool {
        match self.kind.as_str() {
            "User" => self.name == user.username,
            "Group" => user.groups.contains(&self.name),
            "ServiceAccount" => {
                user.username == format!("system:serviceaccount:{}:{}", self.namespace, self.name)
            }
            _ => false,
        }
    }
}

impl LabelSelector {
    fn matches(&self, labels: Option<&serde_json::Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        for (k, v) in &self.match_labels {
            let ok = if wildcard::has_wildcard(k) {
                labels.is_some_and(|l| {
                    l.iter().any(|(lk, lv)| {
                        wildcard::matches(k, lk)
                            && lv.as_str().is_some_and(|lv| wildcard::matches(v, lv))
                    })
                })
            } else {
                get(k).is_some_and(|lv| wildcard::matches(v, lv))
            };
            if !ok {
                return false;
            }
        }
        for (k, op, values) in &self.expressions {
            let actual = get(k);
            let ok = match op {
                SelectorOp::In => actual.is_some_and(|a| values.iter().any(|v| v == a)),
                SelectorOp::NotIn => actual.is_none_or(|a| !values.iter().any(|v| v == a)),
                SelectorOp::Exists => actual.is_some(),
                SelectorOp::DoesNotExist => actual.is_none(),
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

pub(crate) fn parse_match(
    cx: &Cx<'_>,
    path: &str,
    raw: &Value,
) -> Result<MatchResources, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &["any", "all", "resources", "subjects"],
        &["roles", "clusterRoles"],
    )?;
    let mut out = MatchResources::default();
    for list in ["any", "all"] {
        for (i, f) in cx.array(map, path, list)?.iter().enumerate() {
            let filter = parse_filter(cx, &format!("{path}.{list}[{i}]"), f)?;
            if list == "any" {
                out.any.push(filter);
            } else {
                out.all.push(filter);
            }
        }
    }
    let legacy = map.contains_key("resources") || map.contains_key("subjects");
    if legacy {
        if !out.any.is_empty() || !out.all.is_empty() {
            return Err(cx.invalid(path, "resources cannot be combined with any/all"));
        }
        out.all.push(parse_filter(cx, path, raw)?);
    }
    if !out.any.is_empty() && !out.all.is_empty() {
        return Err(cx.invalid(path, "any and all cannot be used together"));
    }
    if out.any.is_empty() && out.all.is_empty() {
        return Err(cx.invalid(path, "needs any, all or resources"));
    }
    Ok(out)
}

fn parse_filter(cx: &Cx<'_>, path: &str, raw: &Value) -> Result<ResourceFilter, LoadError> {
    let map = cx.fields(
        raw,
        path,
        &["resources", "subjects", "any", "all"],
        &["roles", "clusterRoles"],
    )?;
    let mut f = ResourceFilter::default();
    if let Some(res) = map.get("resources").filter(|v| !v.is_null()) {
        let rp = join(path, "resources");
        let rm = cx.fields(
            res,
            &rp,
            &[
                "kinds",
                "name",
                "names",
                "namespaces",
                "annotations",
                "selector",
                "namespaceSelector",
                "operations",
            ],
            &[],
        )?;
        f.kinds = cx
            .strings(rm, &rp, "kinds")?
            .iter()
            .map(|k| KindSelector::parse(k))
            .collect();
        f.names = cx.strings(rm, &rp, "names")?;
        if let Some(n) = cx.string(rm, &rp, "name")? {
            f.names.push(n);
        }
        f.namespaces = cx.strings(rm, &rp, "namespaces")?;
        f.annotations = cx.string_map(rm, &rp, "annotations")?;
        if let Some(s) = rm.get("selector").filter(|v| !v.is_null()) {
            f.selector = Some(parse_selector(cx, &join(&rp, "selector"), s)?);
        }
        if let Some(s) = rm.get("namespaceSelector").filter(|v| !v.is_null()) {
            f.namespace_selector = Some(parse_selector(cx, &join(&rp, "namespaceSelector"), s)?);
        }
        for (i, op) in cx.strings(rm, &rp, "operations")?.iter().enumerate() {
            f.operations.push(
                op.parse()
                    .map_err(|e: String| cx.invalid(&format!("{rp}.operations[{i}]"), e))?,
            );
        }
    }
    for (i, s) in cx.array(map, path, "subjects")?.iter().enumerate() {
        let sp = format!("{path}.subjects[{i}]");
        let sm = cx.fields(s, &sp, &["kind", "name", "namespace", "apiGroup"], &[])?;
        f.subjects.push(SubjectRef {
            kind: cx.string(sm, &sp, "kind")?.unwrap_or_default(),
            name: cx.string(sm, &sp, "name")?.unwrap_or_default(),
            namespace: cx.string(sm, &sp, "namespace")?.unwrap_or_default(),
        });
    }
    Ok(f)
}

pub(crate) fn parse_selector(
    cx: &Cx<'_>,
    path: &str,
    raw: &Value,
) -> Result<LabelSelector, LoadError> {
    let map = cx.fields(raw, path, &["matchLabels", "matchExpressions"], &[])?;
    let mut sel = LabelSelector {
        match_labels: cx.string_map(map, path, "matchLabels")?,
        expressions: Vec::new(),
    };
    for (i, e) in cx.array(map, path, "matchExpressions")?.iter().enumerate() {
        let ep = format!("{path}.matchExpressions[{i}]");
        let em = cx.fields(e, &ep, &["key", "operator", "values"], &[])?;
        let key = cx
            .string(em, &ep, "key")?
            .ok_or_else(|| cx.invalid(&join(&ep, "key"), "missing"))?;
        let op = match cx.string(em, &ep, "operator")?.as_deref() {
            Some("In") => SelectorOp::In,
            Some("NotIn") => SelectorOp::NotIn,
            Some("Exists") => SelectorOp::Exists,
            Some("DoesNotExist") => SelectorOp::DoesNotExist,
            other => {
                return Err(cx.invalid(
                    &join(&ep, "operator"),
                    format!("{other:?}: expected In, NotIn, Exists or DoesNotExist"),
                ));
            }
        };
        sel.expressions
            .push((key, op, cx.strings(em, &ep, "values")?));
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::KindSelector;

    #[test]
    fn kind_selectors() {
        let k = KindSelector::parse("apps/v1/Deployment");
        assert_eq!(
            (k.group.as_str(), k.version.as_str(), k.kind.as_str()),
            ("apps", "v1", "Deployment")
        );
        let k = KindSelector::parse("v1/Pod");
        assert_eq!(
            (k.group.as_str(), k.version.as_str(), k.kind.as_str()),
            ("*", "v1", "Pod")
        );
        let k = KindSelector::parse("Pod/status");
        assert_eq!((k.kind.as_str(), k.subresource.as_str()), ("Pod", "status"));
        let k = KindSelector::parse("Pod.status");
        assert_eq!((k.kind.as_str(), k.subresource.as_str()), ("Pod", "status"));
        let k = KindSelector::parse("*/*");
        assert_eq!((k.kind.as_str(), k.subresource.as_str()), ("*", "*"));
        let k = KindSelector::parse("networking.k8s.io/v1/Ingress");
        assert_eq!(
            (k.group.as_str(), k.kind.as_str(), k.subresource.as_str()),
            ("networking.k8s.io", "Ingress", "")
        );
    }
}
