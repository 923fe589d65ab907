//! Rust crates from `Cargo.lock` (directory scans only, as syft does).

use std::collections::HashMap;

use super::{Found, Package, PackageType, purl};
use crate::index::FileIndex;

const FOUND_BY: &str = "rust-cargo-lock-cataloger";

/// One `[[package]]` of a lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockedCrate {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `source` (absent for workspace and path crates).
    pub source: Option<String>,
    /// `checksum`.
    pub checksum: Option<String>,
    /// `dependencies`: `name`, `name version` or `name version (source)`.
    pub dependencies: Vec<String>,
}

fn string_value(v: &str) -> Option<String> {
    let v = v.trim();
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.to_owned())
}

/// Parses the `[[package]]` tables of a `Cargo.lock` (the subset of TOML lock files use).
///
/// ```
/// let lock = "version = 3\n[[package]]\nname = \"memchr\"\nversion = \"2.3.3\"\n\
///             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
///             dependencies = [\n \"libc\",\n]\n";
/// let c = boltseal_scan::catalog::cargo::parse_lock(lock);
/// assert_eq!((c[0].name.as_str(), c[0].dependencies[0].as_str()), ("memchr", "libc"));
/// ```
#[must_use]
pub fn parse_lock(text: &str) -> Vec<LockedCrate> {
    let mut out: Vec<LockedCrate> = Vec::new();
    let mut in_package = false;
    let mut in_deps = false;
    for line in text.lines() {
        let t = line.trim();
        if in_deps {
            if t.starts_with(']') {
                in_deps = false;
            } else if let Some(c) = out.last_mut()
                && let Some(d) = string_value(t.trim_end_matches(','))
            {
                c.dependencies.push(d);
            }
            continue;
        }
        if t.starts_with('[') {
            in_package = t == "[[package]]";
            if in_package {
                out.push(LockedCrate::default());
            }
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let Some(c) = out.last_mut() else { continue };
        match key.trim() {
            "name" => c.name = string_value(value).unwrap_or_default(),
            "version" => c.version = string_value(value).unwrap_or_default(),
            "source" => c.source = string_value(value),
            "checksum" => c.checksum = string_value(value),
            "dependencies" => {
                let v = value.trim();
                if v.starts_with('[') && v.ends_with(']') {
                    c.dependencies
                        .extend(v[1..v.len() - 1].split(',').filter_map(string_value));
                } else if v.starts_with('[') {
                    in_deps = true;
                }
            }
            _ => {}
        }
    }
    out.retain(|c| !c.name.is_empty());
    out
}

pub(crate) fn catalog(index: &FileIndex) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        if !path.ends_with("/Cargo.lock") {
            continue;
        }
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        let crates = parse_lock(&String::from_utf8_lossy(content));
        let base = found.packages.len();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in crates.iter().enumerate() {
            by_name.entry(c.name.as_str()).or_default().push(i);
        }
        for c in &crates {
            let mut p = Package::new(
                PackageType::RustCrate,
                c.name.clone(),
                c.version.clone(),
                FOUND_BY,
            );
            p.locations.push((path.to_owned(), node.layer));
            if c.source.is_some() {
                p.purl = purl("cargo", None, &c.name, Some(&c.version), &[]);
            }
            found.packages.push(p);
        }
        for (i, c) in crates.iter().enumerate() {
            for d in &c.dependencies {
                let mut parts = d.split_whitespace();
                let name = parts.next().unwrap_or("");
                let version = parts.next();
                for &t in by_name.get(name).into_iter().flatten() {
                    if version.is_none_or(|v| crates[t].version == v) {
                        found.dependencies.push((base + i, base + t));
                    }
                }
            }
        }
    }
    found
}
