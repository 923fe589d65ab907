//! Catalogers: each finds one ecosystem's packages in the file index and builds syft's purls.

pub mod apk;
pub mod binaries;
pub mod cargo;
pub mod distro;
pub mod dpkg;
pub mod npm;
pub mod python;
pub mod rpm;
pub(crate) mod stanza;

use std::collections::{BTreeSet, HashSet};

use boltseal_sbom::{HashAlgorithm, Purl};

use crate::index::FileIndex;
use crate::walk::Want;
pub use distro::Distro;

/// The ecosystem a package belongs to (syft's package types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PackageType {
    /// Debian `dpkg`.
    Deb,
    /// Alpine `apk`.
    Apk,
    /// RPM.
    Rpm,
    /// Installed Python distributions.
    Python,
    /// npm `package.json`.
    Npm,
    /// Rust crates (`Cargo.lock`, `cargo auditable`).
    RustCrate,
    /// Go modules from build info.
    GoModule,
    /// Java archives.
    JavaArchive,
    /// A binary recognised by its contents.
    Binary,
}

impl PackageType {
    /// syft's name of the type (`deb`, `apk`, `python`, `npm`, `rust-crate`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Python => "python",
            PackageType::Npm => "npm",
            PackageType::RustCrate => "rust-crate",
            PackageType::GoModule => "go-module",
            PackageType::JavaArchive => "java-archive",
            PackageType::Binary => "binary",
        }
    }

    /// Whether the type is an operating-system package manager's (their files are owned).
    #[must_use]
    pub fn is_os(self) -> bool {
        matches!(self, PackageType::Deb | PackageType::Apk | PackageType::Rpm)
    }

    /// The language, for language ecosystems.
    #[must_use]
    pub fn language(self) -> Option<&'static str> {
        match self {
            PackageType::Python => Some("python"),
            PackageType::Npm => Some("javascript"),
            PackageType::RustCrate => Some("rust"),
            PackageType::GoModule => Some("go"),
            PackageType::JavaArchive => Some("java"),
            _ => None,
        }
    }
}

/// A file a package installed, with the digest its database records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnedFile {
    /// Absolute path in the image.
    pub path: String,
    /// Digest recorded by the package database (`md5sums`, `RECORD`, apk `Z`).
    pub digest: Option<(HashAlgorithm, String)>,
}

/// One package found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Package {
    /// Name (normalized as syft does: Python names lower-case with `-`).
    pub name: String,
    /// Version (`UNKNOWN` when the evidence has none).
    pub version: String,
    /// Ecosystem.
    pub kind: PackageType,
    /// syft's package URL, `None` when syft writes none (OS packages without a distro,
    /// `Cargo.lock` crates without a source).
    pub purl: Option<String>,
    /// Declared licenses as written (SPDX ids or expressions, or raw names).
    pub licenses: Vec<String>,
    /// Supplier in SPDX form (`Person: …`, `Organization: …`).
    pub supplier: Option<String>,
    /// Short description.
    pub description: Option<String>,
    /// Home page URL.
    pub homepage: Option<String>,
    /// Where the package was found (the database or metadata file) and the layer index.
    pub locations: Vec<(String, u32)>,
    /// Files the package owns.
    pub files: Vec<OwnedFile>,
    /// The cataloger that found it (syft's names, e.g. `dpkg-db-cataloger`).
    pub found_by: &'static str,
    /// Further metadata as `key=value` (source package, architecture, installed size, …).
    pub metadata: Vec<(String, String)>,
    /// A group or namespace (Maven groupId).
    pub group: Option<String>,
}

impl Package {
    pub(crate) fn new(
        kind: PackageType,
        name: String,
        version: String,
        found_by: &'static str,
    ) -> Self {
        Package {
            name,
            version,
            kind,
            purl: None,
            licenses: Vec::new(),
            supplier: None,
            description: None,
            homepage: None,
            locations: Vec::new(),
            files: Vec::new(),
            found_by,
            metadata: Vec::new(),
            group: None,
        }
    }

    /// The purl without qualifiers and subpath, the key syft parity is judged by.
    #[must_use]
    pub fn purl_key(&self) -> Option<String> {
        let raw = self.purl.as_deref()?;
        let canonical = raw
            .parse::<Purl>()
            .map_or_else(|_| raw.to_owned(), |p| p.to_string());
        canonical.split(['?', '#']).next().map(str::to_owned)
    }
}

/// The packages of one scan and the dependency edges between them.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Catalog {
    /// The distribution, when os-release was found.
    pub distro: Option<Distro>,
    /// Packages in a stable order (type, name, version, location).
    pub packages: Vec<Package>,
    /// `(dependent, dependency)` indexes into `packages`.
    pub dependencies: Vec<(usize, usize)>,
}

/// What a cataloger returns: packages and dependency edges between its own packages.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) packages: Vec<Package>,
    pub(crate) dependencies: Vec<(usize, usize)>,
}

impl Found {
    fn append(&mut self, other: Found) {
        let base = self.packages.len();
        self.packages.extend(other.packages);
        self.dependencies.extend(
            other
                .dependencies
                .into_iter()
                .map(|(a, b)| (a + base, b + base)),
        );
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Which contents the catalogers read, decided from the path alone during the layer walk
/// (files nobody needs are indexed without being read).
pub(crate) fn wants(path: &str, dir_scan: bool) -> Want {
    let name = basename(path);
    let dir = parent(path);
    let keep = match name {
        "os-release" => path == "/etc/os-release" || path == "/usr/lib/os-release",
        "status" => dir.ends_with("/lib/dpkg"),
        "installed" => dir.ends_with("/lib/apk/db"),
        "copyright" => dir.starts_with("/usr/share/doc/") && parent(dir) == "/usr/share/doc",
        "package.json" => true,
        "METADATA" | "RECORD" | "direct_url.json" | "PKG-INFO" | "installed-files.txt" => {
            python::is_metadata_dir(dir)
        }
        "Cargo.lock" => dir_scan,
        "Packages" | "Packages.db" | "rpmdb.sqlite" => {
            dir.ends_with("/var/lib/rpm")
                || dir.ends_with("/usr/share/rpm")
                || dir.ends_with("/usr/lib/sysimage/rpm")
        }
        _ => {
            (dir.ends_with("/lib/dpkg/info")
                && (name.ends_with(".list") || name.ends_with(".md5sums")))
                || dir.ends_with("/lib/dpkg/status.d")
                || name.ends_with(".egg-info")
        }
    };
    if keep {
        Want::Content
    } else if name.len() > 4
        && name.as_bytes()[name.len() - 4] == b'.'
        && crate::formats::java::is_java_archive_name(name)
    {
        Want::JavaArchive
    } else {
        Want::Nothing
    }
}

/// Runs every cataloger over the index, applies syft's post-processing (nameless packages
/// dropped, empty versions stubbed as `UNKNOWN`, binary packages whose file an OS package
/// owns removed) and sorts the result.
#[must_use]
pub fn catalog(index: &FileIndex, dir_scan: bool) -> Catalog {
    let distro = Distro::detect(index);
    let mut found = Found::default();
    found.append(dpkg::catalog(index, distro.as_ref()));
    found.append(apk::catalog(index, distro.as_ref()));
    found.append(rpm::catalog(index, distro.as_ref()));
    found.append(binaries::catalog(index));
    found.append(python::catalog(index));
    found.append(npm::catalog(index));
    if dir_scan {
        found.append(cargo::catalog(index));
    }
    finish(distro, found)
}

pub(crate) fn finish(distro: Option<Distro>, found: Found) -> Catalog {
    let Found {
        packages,
        dependencies,
    } = found;
    // Files owned by OS packages: a binary package evidenced by one of them is not reported.
    let owned: HashSet<&str> = packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter().map(|f| f.path.as_str()))
        .collect();
    let keep: Vec<bool> = packages
        .iter()
        .map(|p| {
            let owned_binary = p.kind == PackageType::Binary
                && p.locations.iter().any(|(l, _)| owned.contains(l.as_str()));
            !p.name.is_empty() && !owned_binary
        })
        .collect();
    let mut order: Vec<usize> = (0..packages.len()).filter(|&i| keep[i]).collect();
    let sort_key = |p: &Package| {
        (
            p.kind,
            p.name.clone(),
            p.version.clone(),
            p.locations.first().map(|l| l.0.clone()),
        )
    };
    order.sort_by_cached_key(|&i| sort_key(&packages[i]));
    let mut new_index = vec![usize::MAX; packages.len()];
    for (n, &old) in order.iter().enumerate() {
        new_index[old] = n;
    }
    let mut slots: Vec<Option<Package>> = packages.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(order.len());
    for &old in &order {
        if let Some(mut p) = slots[old].take() {
            if p.version.is_empty() {
                p.version = "UNKNOWN".to_owned();
            }
            out.push(p);
        }
    }
    let mut deps: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (a, b) in dependencies {
        let (a, b) = (new_index[a], new_index[b]);
        if a != usize::MAX && b != usize::MAX && a != b {
            deps.insert((a, b));
        }
    }
    Catalog {
        distro,
        packages: out,
        dependencies: deps.into_iter().collect(),
    }
}

/// Builds a purl, `None` when the components are invalid.
pub(crate) fn purl(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, Option<String>)],
) -> Option<String> {
    let mut b = Purl::builder(kind, name);
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        b = b.namespace(ns);
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        b = b.version(v);
    }
    for (k, v) in qualifiers {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            b = b.qualifier(*k, v.clone());
        }
    }
    b.build().ok().map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_only_evidence() {
        assert_eq!(wants("/var/lib/dpkg/status", false), Want::Content);
        assert_eq!(wants("/var/lib/dpkg/info/bash.list", false), Want::Content);
        assert_eq!(
            wants("/var/lib/dpkg/info/bash.postinst", false),
            Want::Nothing
        );
        assert_eq!(wants("/usr/share/doc/bash/copyright", false), Want::Content);
        assert_eq!(
            wants("/usr/share/doc/bash/x/copyright", false),
            Want::Nothing
        );
        assert_eq!(
            wants(
                "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                false
            ),
            Want::Content
        );
        assert_eq!(wants("/app/Cargo.lock", false), Want::Nothing);
        assert_eq!(wants("/app/Cargo.lock", true), Want::Content);
        assert_eq!(wants("/usr/bin/bash", false), Want::Nothing);
    }
}
