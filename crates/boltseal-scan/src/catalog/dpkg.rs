//! Debian packages: `/var/lib/dpkg/status` (and distroless `status.d/*`), owned files from
//! `info/<pkg>[:<arch>].list` with digests from `.md5sums`, licenses from
//! `/usr/share/doc/<pkg>/copyright`.

use std::collections::{BTreeSet, HashMap};

use boltseal_sbom::HashAlgorithm;

use super::stanza::{self, Stanza};
use super::{Distro, Found, OwnedFile, Package, PackageType, basename, parent, purl};
use crate::index::{FileIndex, NodeKind};

const FOUND_BY: &str = "dpkg-db-cataloger";
const SIDE_SUFFIXES: [&str; 8] = [
    ".md5sums",
    ".conffiles",
    ".list",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".triggers",
];

/// One parsed `status` stanza.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: String,
    /// Source package name (from `Source: name (version)`).
    pub source: Option<String>,
    /// Source package version, when it differs.
    pub source_version: Option<String>,
    /// `Maintainer`.
    pub maintainer: Option<String>,
    /// `Installed-Size` in KiB.
    pub installed_size: Option<u64>,
    /// First line of `Description`.
    pub description: Option<String>,
    /// `Homepage`.
    pub homepage: Option<String>,
    /// Names from `Depends` and `Pre-Depends` (every alternative).
    pub depends: Vec<String>,
    /// Names from `Provides`.
    pub provides: Vec<String>,
}

/// Parses a dpkg status file (or one `status.d` stanza file). Stanzas without a package name
/// and packages whose `Status` says `deinstall` are left out.
///
/// ```
/// let e = boltseal_scan::catalog::dpkg::parse_status(
///     "Package: libpam-runtime\nStatus: install ok installed\nVersion: 1.1.8-3.6\n\
///      Architecture: all\nSource: pam (1.1.8-3.5)\nDepends: debconf (>= 0.5) | debconf-2.0\n");
/// assert_eq!(e[0].source.as_deref(), Some("pam"));
/// assert_eq!(e[0].source_version.as_deref(), Some("1.1.8-3.5"));
/// assert_eq!(e[0].depends, ["debconf", "debconf-2.0"]);
/// ```
#[must_use]
pub fn parse_status(text: &str) -> Vec<Entry> {
    stanza::parse(text, false)
        .iter()
        .filter_map(entry)
        .collect()
}

fn names(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split([',', '|'])
        .map(|alt| {
            let name = alt.trim().split([' ', '(', '\n']).next().unwrap_or("");
            name.split(':').next().unwrap_or("").to_owned()
        })
        .filter(|n| !n.is_empty())
}

fn entry(s: &Stanza<'_>) -> Option<Entry> {
    let package = stanza::get(s, "Package")?.trim().to_owned();
    if package.is_empty() {
        return None;
    }
    if stanza::get(s, "Status").is_some_and(|st| st.contains("deinstall")) {
        return None;
    }
    let mut e = Entry {
        package,
        version: stanza::get(s, "Version").unwrap_or_default().to_owned(),
        architecture: stanza::get(s, "Architecture")
            .unwrap_or_default()
            .to_owned(),
        maintainer: stanza::get(s, "Maintainer").map(str::to_owned),
        installed_size: stanza::get(s, "Installed-Size").and_then(|v| v.parse().ok()),
        description: stanza::get(s, "Description")
            .and_then(|d| d.lines().next())
            .map(str::to_owned),
        homepage: stanza::get(s, "Homepage").map(str::to_owned),
        ..Entry::default()
    };
    if let Some(src) = stanza::get(s, "Source") {
        let mut parts = src.splitn(2, ' ');
        let name = parts.next().unwrap_or_default().trim();
        if !name.is_empty() {
            e.source = Some(name.to_owned());
        }
        if let Some(v) = parts.next() {
            let v = v
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim();
            if !v.is_empty() {
                e.source_version = Some(v.to_owned());
            }
        }
    }
    for key in ["Depends", "Pre-Depends"] {
        if let Some(list) = stanza::get(s, key) {
            e.depends.extend(names(list));
        }
    }
    if let Some(list) = stanza::get(s, "Provides") {
        e.provides.extend(names(list));
    }
    Some(e)
}

/// License values of a machine-readable (DEP-5) copyright file: `License:` fields and
/// `/usr/share/common-licenses/<name>` references, de-duplicated and sorted. Other files give
/// nothing.
///
/// ```
/// let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
///             Files: *\nLicense: GPL-2+\n\nFiles: x\nLicense: LGPL-2.1\n see /usr/share/common-licenses/GPL-2\n";
/// assert_eq!(boltseal_scan::catalog::dpkg::parse_copyright(text), ["GPL-2", "GPL-2+", "LGPL-2.1"]);
/// ```
#[must_use]
pub fn parse_copyright(text: &str) -> Vec<String> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let dep5 = first.starts_with("Format:")
        && first.contains("www.debian.org/doc/packaging-manuals/copyright-format/");
    if !dep5 {
        return Vec::new();
    }
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let v = v.trim();
            if !v.is_empty() && !v.contains(' ') {
                out.insert(v.to_owned());
            } else if let Some(first) = v.split_whitespace().next()
                && !v.contains(" or ")
                && !v.contains(" and ")
            {
                out.insert(first.to_owned());
            } else if !v.is_empty() {
                out.insert(v.to_owned());
            }
        }
        let mut rest = line;
        while let Some(i) = rest.find("/usr/share/common-licenses/") {
            rest = &rest[i + "/usr/share/common-licenses/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            let name = name.trim_end_matches('.');
            if !name.is_empty() {
                out.insert(name.to_owned());
            }
        }
    }
    out.into_iter().collect()
}

fn supplier(maintainer: &str) -> String {
    match maintainer.split_once('<') {
        Some((name, rest)) => {
            let email = rest.trim_end().trim_end_matches('>');
            format!("Person: {} ({email})", name.trim())
        }
        None => format!("Person: {}", maintainer.trim()),
    }
}

pub(crate) fn catalog(index: &FileIndex, distro: Option<&Distro>) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        let dir = parent(path);
        let name = basename(path);
        let (root, info_dir) = if name == "status" && dir.ends_with("/lib/dpkg") {
            (dir, format!("{dir}/info"))
        } else if dir.ends_with("/lib/dpkg/status.d")
            && !SIDE_SUFFIXES.iter().any(|s| name.ends_with(s))
        {
            (dir, dir.to_owned())
        } else {
            continue;
        };
        let _ = root;
        let text = String::from_utf8_lossy(content);
        let entries = parse_status(&text);
        found_db(
            &mut found, index, distro, path, node.layer, &info_dir, entries,
        );
    }
    found
}

fn found_db(
    found: &mut Found,
    index: &FileIndex,
    distro: Option<&Distro>,
    db: &str,
    layer: u32,
    info_dir: &str,
    entries: Vec<Entry>,
) {
    let base = found.packages.len();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_name.entry(e.package.clone()).or_default().push(base + i);
        for p in &e.provides {
            by_name.entry(p.clone()).or_default().push(base + i);
        }
    }
    let debian = distro.filter(|d| d.is_like("debian"));
    for e in &entries {
        let mut p = Package::new(
            PackageType::Deb,
            e.package.clone(),
            e.version.clone(),
            FOUND_BY,
        );
        p.locations.push((db.to_owned(), layer));
        if let Some(d) = debian {
            let upstream = e.source.as_ref().map(|s| match &e.source_version {
                Some(v) => format!("{s}@{v}"),
                None => s.clone(),
            });
            p.purl = purl(
                "deb",
                Some(&d.id),
                &e.package,
                Some(&e.version),
                &[
                    ("arch", Some(e.architecture.clone())),
                    ("distro", d.purl_qualifier()),
                    ("upstream", upstream),
                ],
            );
        }
        p.supplier = e.maintainer.as_deref().map(supplier);
        p.description.clone_from(&e.description);
        p.homepage.clone_from(&e.homepage);
        p.metadata
            .push(("architecture".into(), e.architecture.clone()));
        if let Some(s) = &e.source {
            p.metadata.push(("source".into(), s.clone()));
        }
        if let Some(s) = e.installed_size {
            p.metadata.push(("installedSize".into(), s.to_string()));
        }
        // Side files: `<pkg>:<arch>` unless the architecture is empty or `all`.
        let keyed = if e.architecture.is_empty() || e.architecture == "all" {
            e.package.clone()
        } else {
            format!("{}:{}", e.package, e.architecture)
        };
        let side = |suffix: &str| {
            index
                .get(&format!("{info_dir}/{keyed}{suffix}"))
                .or_else(|| index.get(&format!("{info_dir}/{}{suffix}", e.package)))
                .and_then(|n| n.content.as_deref())
        };
        let mut digests: HashMap<String, String> = HashMap::new();
        if let Some(md5) = side(".md5sums") {
            for line in String::from_utf8_lossy(md5).lines() {
                if let Some((sum, file)) = line.split_once(char::is_whitespace) {
                    let file = file.trim_start();
                    if sum.len() == 32 && !file.is_empty() {
                        digests
                            .insert(format!("/{}", file.trim_start_matches('/')), sum.to_owned());
                    }
                }
            }
        }
        if let Some(list) = side(".list") {
            for line in String::from_utf8_lossy(list).lines() {
                let f = line.trim();
                if f.is_empty() || f == "/." {
                    continue;
                }
                if index.get(f).is_some_and(|n| n.kind == NodeKind::Dir) {
                    continue;
                }
                let digest = digests.remove(f).map(|d| (HashAlgorithm::Md5, d));
                p.files.push(OwnedFile {
                    path: f.to_owned(),
                    digest,
                });
            }
        }
        for (f, d) in digests {
            p.files.push(OwnedFile {
                path: f,
                digest: Some((HashAlgorithm::Md5, d)),
            });
        }
        p.files.sort_by(|a, b| a.path.cmp(&b.path));
        let copyright = format!("/usr/share/doc/{}/copyright", e.package);
        if let Some(text) = index.read(&copyright) {
            p.licenses = parse_copyright(&String::from_utf8_lossy(text));
        }
        found.packages.push(p);
    }
    for (i, e) in entries.iter().enumerate() {
        for d in &e.depends {
            if let Some(targets) = by_name.get(d) {
                for &t in targets {
                    found.dependencies.push((base + i, t));
                }
            }
        }
    }
}
