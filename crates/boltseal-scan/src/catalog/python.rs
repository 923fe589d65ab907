//! Installed Python distributions: `*.dist-info/METADATA` (with `RECORD` and
//! `direct_url.json`), `*.egg-info/PKG-INFO` and `*.egg-info` files.

use boltseal_sbom::HashAlgorithm;

use super::stanza;
use super::{Found, OwnedFile, Package, PackageType, basename, parent, purl};
use crate::index::FileIndex;

const FOUND_BY: &str = "python-installed-package-cataloger";

/// The core-metadata fields a package record needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metadata {
    /// `Name` as written.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `License-Expression`, else the first line of `License`.
    pub license: Option<String>,
    /// `Author`.
    pub author: Option<String>,
    /// `Author-email`.
    pub author_email: Option<String>,
    /// `Home-page`.
    pub home_page: Option<String>,
    /// `Summary`.
    pub summary: Option<String>,
}

/// Parses METADATA / PKG-INFO headers (the body after the first blank line is ignored).
///
/// ```
/// let m = boltseal_scan::catalog::python::parse_metadata("Metadata-Version: 2.1\nName: Pygments\nVersion: 2.6.1\nLicense: BSD License\n\nbody");
/// assert_eq!((m.name.as_str(), m.version.as_str()), ("Pygments", "2.6.1"));
/// assert_eq!(boltseal_scan::catalog::python::normalize(&m.name), "pygments");
/// ```
#[must_use]
pub fn parse_metadata(text: &str) -> Metadata {
    let stanzas = stanza::parse(text, true);
    let Some(s) = stanzas.first() else {
        return Metadata::default();
    };
    let get = |k: &str| {
        stanza::get(s, k)
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "UNKNOWN")
            .map(str::to_owned)
    };
    Metadata {
        name: get("Name").unwrap_or_default(),
        version: get("Version").unwrap_or_default(),
        license: get("License-Expression").or_else(|| {
            get("License")
                .and_then(|l| l.lines().next().map(str::to_owned))
                .filter(|l| l.len() <= 200)
        }),
        author: get("Author"),
        author_email: get("Author-email"),
        home_page: get("Home-page"),
        summary: get("Summary"),
    }
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Whether a directory holds installed-distribution metadata (`*dist-info`, `*egg-info`, any
/// case, as syft's globs match).
pub(crate) fn is_metadata_dir(dir: &str) -> bool {
    let name = basename(dir);
    ends_with_ci(name, "dist-info") || ends_with_ci(name, "egg-info")
}

/// syft's name normalization: lower case, every run of `-`, `_` and `.` becomes `-`.
#[must_use]
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Parses RECORD lines (`path,sha256=<urlsafe base64>,size`) into paths relative to the
/// installation directory and hex SHA-256 digests.
#[must_use]
pub fn parse_record(text: &str) -> Vec<(String, Option<String>)> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (path, rest) = if let Some(q) = line.strip_prefix('"') {
            match q.split_once("\",") {
                Some((p, r)) => (p.replace("\"\"", "\""), r),
                None => continue,
            }
        } else {
            match line.split_once(',') {
                Some((p, r)) => (p.to_owned(), r),
                None => (line.to_owned(), ""),
            }
        };
        let hash = rest.split(',').next().unwrap_or("");
        let digest = hash.strip_prefix("sha256=").and_then(|b| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b.trim_end_matches('='))
                .ok()
                .filter(|d| d.len() == 32)
                .map(boltseal_core::hex::encode)
        });
        out.push((path, digest));
    }
    out
}

/// Joins a relative RECORD path to `base`, resolving `..` without leaving the root.
fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|c| !c.is_empty()).collect();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn vcs_url(json: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    let url = v.get("url")?.as_str()?;
    let info = v.get("vcs_info")?;
    let vcs = info.get("vcs")?.as_str()?;
    let commit = info.get("commit_id")?.as_str()?;
    Some(format!("{vcs}+{url}@{commit}"))
}

pub(crate) fn catalog(index: &FileIndex) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        let name = basename(path);
        let dir = parent(path);
        let dir_name = basename(dir);
        let meta_dir = if (name == "METADATA" && ends_with_ci(dir_name, "dist-info"))
            || (name == "PKG-INFO" && ends_with_ci(dir_name, "egg-info"))
        {
            Some(dir)
        } else if name.ends_with(".egg-info") {
            None
        } else {
            continue;
        };
        let m = parse_metadata(&String::from_utf8_lossy(content));
        let normalized = normalize(&m.name);
        if normalized.is_empty() || normalized == "python" {
            continue;
        }
        let mut p = Package::new(
            PackageType::Python,
            normalized.clone(),
            m.version.clone(),
            FOUND_BY,
        );
        p.locations.push((path.to_owned(), node.layer));
        let mut vcs = None;
        if let Some(d) = meta_dir {
            let site = parent(d);
            if let Some(record) = index.read(&format!("{d}/RECORD")) {
                p.locations.push((format!("{d}/RECORD"), node.layer));
                for (rel, digest) in parse_record(&String::from_utf8_lossy(record)) {
                    p.files.push(OwnedFile {
                        path: join(site, &rel),
                        digest: digest.map(|h| (HashAlgorithm::Sha256, h)),
                    });
                }
            } else if let Some(list) = index.read(&format!("{d}/installed-files.txt")) {
                for rel in String::from_utf8_lossy(list)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                {
                    p.files.push(OwnedFile {
                        path: join(d, rel.trim()),
                        digest: None,
                    });
                }
            }
            vcs = index
                .read(&format!("{d}/direct_url.json"))
                .and_then(vcs_url);
        }
        p.purl = purl(
            "pypi",
            None,
            &normalized,
            Some(&m.version),
            &[("vcs_url", vcs)],
        );
        p.licenses.extend(m.license.clone());
        p.supplier = match (&m.author, &m.author_email) {
            (Some(a), Some(e)) => Some(format!("Person: {a} ({e})")),
            (Some(a), None) => Some(format!("Person: {a}")),
            (None, Some(e)) => Some(format!("Person: {e}")),
            _ => None,
        };
        p.description.clone_from(&m.summary);
        p.homepage.clone_from(&m.home_page);
        found.packages.push(p);
    }
    found
}
