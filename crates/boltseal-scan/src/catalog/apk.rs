//! Alpine packages from `lib/apk/db/installed`.

use std::collections::HashMap;

use boltseal_sbom::HashAlgorithm;

use super::{Distro, Found, OwnedFile, Package, PackageType, purl};
use crate::index::FileIndex;

const FOUND_BY: &str = "apk-db-cataloger";

/// One installed-database record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// `P`.
    pub name: String,
    /// `V`.
    pub version: String,
    /// `o`.
    pub origin: Option<String>,
    /// `A`.
    pub arch: Option<String>,
    /// `L`.
    pub license: Option<String>,
    /// `m`.
    pub maintainer: Option<String>,
    /// `U`.
    pub url: Option<String>,
    /// `T`.
    pub description: Option<String>,
    /// `D`, version constraints removed (`so:`/`cmd:` names kept; conflicts `!x` dropped).
    pub depends: Vec<String>,
    /// `p`, versions removed.
    pub provides: Vec<String>,
    /// Files from `F` + `R`, with the SHA-1 of `Z` (`Q1` + base64) as hex.
    pub files: Vec<(String, Option<String>)>,
}

fn strip_constraint(s: &str) -> &str {
    s.split(['<', '>', '=', '~']).next().unwrap_or(s)
}

fn q1_to_hex(z: &str) -> Option<String> {
    use base64::Engine as _;
    let b64 = z.strip_prefix("Q1")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    (bytes.len() == 20).then(|| boltseal_core::hex::encode(&bytes))
}

/// Parses an apk installed database.
///
/// ```
/// let db = "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\n";
/// let e = boltseal_scan::catalog::apk::parse_installed(db);
/// assert_eq!((e[0].name.as_str(), e[0].version.as_str()), ("musl", "1.2.5-r0"));
/// assert_eq!(e[0].files[0].0, "/lib/ld-musl-x86_64.so.1");
/// ```
#[must_use]
pub fn parse_installed(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut e = Entry::default();
    let mut dir = String::new();
    let flush = |e: &mut Entry, out: &mut Vec<Entry>| {
        let done = std::mem::take(e);
        if !done.name.is_empty() {
            out.push(done);
        }
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut e, &mut out);
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let opt = || (!value.is_empty()).then(|| value.to_owned());
        match key {
            "P" => e.name = value.to_owned(),
            "V" => e.version = value.to_owned(),
            "o" => e.origin = opt(),
            "A" => e.arch = opt(),
            "L" => e.license = opt(),
            "m" => e.maintainer = opt(),
            "U" => e.url = opt(),
            "T" => e.description = opt(),
            "D" => e.depends.extend(
                value
                    .split_whitespace()
                    .filter(|d| !d.starts_with('!'))
                    .map(|d| strip_constraint(d).to_owned()),
            ),
            "p" => e.provides.extend(
                value
                    .split_whitespace()
                    .map(|d| strip_constraint(d).to_owned()),
            ),
            "F" => dir = value.trim_matches('/').to_owned(),
            "R" => {
                let path = if dir.is_empty() {
                    format!("/{value}")
                } else {
                    format!("/{dir}/{value}")
                };
                e.files.push((path, None));
            }
            "Z" => {
                if let Some(last) = e.files.last_mut() {
                    last.1 = q1_to_hex(value);
                }
            }
            _ => {}
        }
    }
    flush(&mut e, &mut out);
    out
}

pub(crate) fn catalog(index: &FileIndex, distro: Option<&Distro>) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        if !path.ends_with("/lib/apk/db/installed") {
            continue;
        }
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        let entries = parse_installed(&String::from_utf8_lossy(content));
        let base = found.packages.len();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_name.entry(e.name.as_str()).or_default().push(base + i);
            for p in &e.provides {
                by_name.entry(p.as_str()).or_default().push(base + i);
            }
        }
        for e in &entries {
            let mut p = Package::new(
                PackageType::Apk,
                e.name.clone(),
                e.version.clone(),
                FOUND_BY,
            );
            p.locations.push((path.to_owned(), node.layer));
            if let Some(d) = distro {
                let upstream = e.origin.clone().filter(|o| *o != e.name);
                p.purl = purl(
                    "apk",
                    Some(&d.id.to_ascii_lowercase()),
                    &e.name,
                    Some(&e.version),
                    &[
                        ("arch", e.arch.clone()),
                        ("distro", d.purl_qualifier()),
                        ("upstream", upstream),
                    ],
                );
            }
            if let Some(l) = &e.license {
                p.licenses = if boltseal_sbom::LicenseExpression::parse(l).is_ok() {
                    vec![l.clone()]
                } else {
                    l.split_whitespace().map(str::to_owned).collect()
                };
            }
            p.supplier = e
                .maintainer
                .as_ref()
                .map(|m| format!("Person: {}", m.replace(['<', '>'], "")));
            p.description.clone_from(&e.description);
            p.homepage.clone_from(&e.url);
            if let Some(o) = &e.origin {
                p.metadata.push(("originPackage".into(), o.clone()));
            }
            p.files = e
                .files
                .iter()
                .map(|(f, z)| OwnedFile {
                    path: f.clone(),
                    digest: z.clone().map(|h| (HashAlgorithm::Sha1, h)),
                })
                .collect();
            found.packages.push(p);
        }
        for (i, e) in entries.iter().enumerate() {
            for d in &e.depends {
                for &t in by_name.get(d.as_str()).into_iter().flatten() {
                    found.dependencies.push((base + i, t));
                }
            }
        }
    }
    found
}
