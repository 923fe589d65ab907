//! `match` / `exclude`: resource filters (kinds with group/version forms, names, namespaces,
//! annotations, label selectors, operations, subjects).

use serde_json::Value;

use crate::admission::{Operation, UserInfo};
use crate::error::LoadError;
use crate::policy::{Cx, is_pod_kind};
use crate::wildcard;

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
    let m = cx.object(
        raw,
        path,
        &["any", "all", "resources", "subjects"],
        &["roles", "clusterRoles"],
    )?;
    let mut out = MatchResources::default();
    for (path, f) in m.items("any")? {
        out.any.push(parse_filter(cx, &path, f)?);
    }
    for (path, f) in m.items("all")? {
        out.all.push(parse_filter(cx, &path, f)?);
    }
    if m.contains("resources") || m.contains("subjects") {
        if !out.any.is_empty() || !out.all.is_empty() {
            return Err(m.invalid("", "resources cannot be combined with any/all"));
        }
        out.all.push(parse_filter(cx, path, raw)?);
    }
    if !out.any.is_empty() && !out.all.is_empty() {
        return Err(m.invalid("", "any and all cannot be used together"));
    }
    if out.any.is_empty() && out.all.is_empty() {
        return Err(m.invalid("", "needs any, all or resources"));
    }
    Ok(out)
}

fn parse_filter(cx: &Cx<'_>, path: &str, raw: &Value) -> Result<ResourceFilter, LoadError> {
    let filter = cx.object(
        raw,
        path,
        &["resources", "subjects", "any", "all"],
        &["roles", "clusterRoles"],
    )?;
    let mut f = ResourceFilter::default();
    if let Some(res) = filter.object(
        "resources",
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
    )? {
        f.kinds = res
            .strings("kinds")?
            .iter()
            .map(|k| KindSelector::parse(k))
            .collect();
        f.names = res.strings("names")?;
        if let Some(n) = res.string("name")? {
            f.names.push(n);
        }
        f.namespaces = res.strings("namespaces")?;
        f.annotations = res.string_map("annotations")?;
        if let Some(s) = res.get("selector") {
            f.selector = Some(parse_selector(cx, &res.field("selector"), s)?);
        }
        if let Some(s) = res.get("namespaceSelector") {
            f.namespace_selector = Some(parse_selector(cx, &res.field("namespaceSelector"), s)?);
        }
        let operations = res.strings("operations")?;
        for ((path, _), op) in res.items("operations")?.into_iter().zip(operations) {
            f.operations
                .push(op.parse().map_err(|e: String| cx.invalid(&path, e))?);
        }
    }
    for (sp, s) in filter.items("subjects")? {
        let sm = cx.object(s, &sp, &["kind", "name", "namespace", "apiGroup"], &[])?;
        f.subjects.push(SubjectRef {
            kind: sm.string("kind")?.unwrap_or_default(),
            name: sm.string("name")?.unwrap_or_default(),
            namespace: sm.string("namespace")?.unwrap_or_default(),
        });
    }
    Ok(f)
}

pub(crate) fn parse_selector(
    cx: &Cx<'_>,
    path: &str,
    raw: &Value,
) -> Result<LabelSelector, LoadError> {
    let sel = cx.object(raw, path, &["matchLabels", "matchExpressions"], &[])?;
    let mut out = LabelSelector {
        match_labels: sel.string_map("matchLabels")?,
        expressions: Vec::new(),
    };
    for (ep, e) in sel.items("matchExpressions")? {
        let expr = cx.object(e, &ep, &["key", "operator", "values"], &[])?;
        let key = expr
            .string("key")?
            .ok_or_else(|| expr.invalid("key", "missing"))?;
        let op = match expr.string("operator")?.as_deref() {
            Some("In") => SelectorOp::In,
            Some("NotIn") => SelectorOp::NotIn,
            Some("Exists") => SelectorOp::Exists,
            Some("DoesNotExist") => SelectorOp::DoesNotExist,
            other => {
                return Err(expr.invalid(
                    "operator",
                    format!("{other:?}: expected In, NotIn, Exists or DoesNotExist"),
                ));
            }
        };
        out.expressions.push((key, op, expr.strings("values")?));
    }
    Ok(out)
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
