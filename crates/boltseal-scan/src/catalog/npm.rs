//! npm packages: every `package.json` in the image (a file may hold several JSON documents).

use serde_json::Value;

use super::{Found, Package, PackageType, purl};
use crate::index::FileIndex;

const FOUND_BY: &str = "javascript-package-cataloger";

/// What a `package.json` document says about its package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Manifest {
    /// `name` (may be `@scope/name`).
    pub name: String,
    /// `version`.
    pub version: String,
    /// `license`, or the types of `licenses`.
    pub licenses: Vec<String>,
    /// `author` (string form, or `name (email)` from the object form).
    pub author: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

fn license_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn author_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            // `Name <email> (url)`
            let name = s.split(['<', '(']).next().unwrap_or("").trim();
            let email = s
                .split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .map(|(e, _)| e.trim());
            match (name.is_empty(), email) {
                (false, Some(e)) => Some(format!("{name} ({e})")),
                (false, None) => Some(name.to_owned()),
                (true, Some(e)) => Some(e.to_owned()),
                (true, None) => None,
            }
        }
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("").trim();
            let email = o.get("email").and_then(Value::as_str).map(str::trim);
            match (name.is_empty(), email) {
                (false, Some(e)) if !e.is_empty() => Some(format!("{name} ({e})")),
                (false, _) => Some(name.to_owned()),
                (true, Some(e)) if !e.is_empty() => Some(e.to_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Parses every JSON document in a `package.json` (non-objects and unreadable trailing data
/// are skipped).
///
/// ```
/// let m = boltseal_scan::catalog::npm::parse_package_json(
///     br#"{"name":"@types/prop-types","version":"15.7.5","license":"MIT","author":"A <a@x.org>"}"#);
/// assert_eq!(m[0].name, "@types/prop-types");
/// assert_eq!(m[0].author.as_deref(), Some("A (a@x.org)"));
/// ```
#[must_use]
pub fn parse_package_json(bytes: &[u8]) -> Vec<Manifest> {
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
        let Ok(Value::Object(o)) = doc else {
            if doc.is_err() {
                break;
            }
            continue;
        };
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut licenses = Vec::new();
        if let Some(l) = o.get("license").and_then(license_of) {
            licenses.push(l);
        }
        if let Some(Value::Array(list)) = o.get("licenses") {
            licenses.extend(list.iter().filter_map(license_of));
        }
        out.push(Manifest {
            name: s("name").unwrap_or_default().trim().to_owned(),
            version: s("version").unwrap_or_default().trim().to_owned(),
            licenses,
            author: o.get("author").and_then(author_of),
            homepage: s("homepage").filter(|h| !h.is_empty()),
            description: s("description").filter(|h| !h.is_empty()),
        });
    }
    out
}

/// The purl of an npm package: `@scope/name` becomes namespace `@scope`.
#[must_use]
pub fn npm_purl(name: &str, version: &str) -> Option<String> {
    let (ns, n) = match name.strip_prefix('@').and_then(|r| r.split_once('/')) {
        Some((scope, n)) => (Some(format!("@{scope}")), n),
        None => (None, name),
    };
    purl("npm", ns.as_deref(), n, Some(version), &[])
}

pub(crate) fn catalog(index: &FileIndex) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        if !path.ends_with("/package.json") {
            continue;
        }
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        for m in parse_package_json(content) {
            if m.name.is_empty() {
                continue;
            }
            let mut p = Package::new(
                PackageType::Npm,
                m.name.clone(),
                m.version.clone(),
                FOUND_BY,
            );
            p.purl = npm_purl(&m.name, &m.version);
            p.locations.push((path.to_owned(), node.layer));
            p.licenses = m.licenses;
            p.supplier = m.author.map(|a| format!("Person: {a}"));
            p.homepage = m.homepage;
            p.description = m.description;
            found.packages.push(p);
        }
    }
    found
}
