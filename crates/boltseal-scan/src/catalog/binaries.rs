//! Packages evidenced by executables and archives, from what the layer walk extracted: Go
//! build info (modules and the `stdlib`), `cargo auditable` data (runtime crates) and Java
//! archives (`pom.properties`, `MANIFEST.MF`, the file name).

use super::{Found, Package, PackageType, basename, purl};
use crate::formats::auditable::AuditablePackage;
use crate::formats::golang::{BuildInfo, GoModule};
use crate::formats::java::JavaArchiveRecord;
use crate::index::{Evidence, FileIndex};

/// `pkg:golang/<path up to the last slash>/<last segment>@<version>`.
fn go_purl(path: &str, version: &str) -> Option<String> {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    purl("golang", ns, name, Some(version), &[])
}

fn go_package(m: &GoModule, binary: &str, layer: u32) -> Package {
    let (version, sum) = match &m.replace {
        Some(r) => (r.version.clone(), r.sum.clone()),
        None => (m.version.clone(), m.sum.clone()),
    };
    let mut p = Package::new(
        PackageType::GoModule,
        m.path.clone(),
        version.clone(),
        "go-module-binary-cataloger",
    );
    p.purl = go_purl(&m.path, &version);
    p.locations.push((binary.to_owned(), layer));
    if !sum.is_empty() {
        p.metadata.push(("h1Digest".into(), sum));
    }
    p
}

/// The packages syft makes of a Go binary: the main module, every dependency, and `stdlib`.
#[must_use]
pub fn go_packages(info: &BuildInfo, binary: &str, layer: u32) -> Vec<Package> {
    let mut out = Vec::new();
    if let Some(main) = &info.main
        && !main.path.is_empty()
    {
        out.push(go_package(main, binary, layer));
    }
    out.extend(info.deps.iter().map(|m| go_package(m, binary, layer)));
    if !info.go_version.is_empty() {
        let version = info.go_version.clone();
        let plain = version.trim_start_matches("go");
        let mut p = Package::new(
            PackageType::GoModule,
            "stdlib".into(),
            version.clone(),
            "go-module-binary-cataloger",
        );
        // The purl type definition wants a namespace for golang; syft writes none for stdlib.
        p.purl = purl("golang", None, "stdlib", Some(plain), &[])
            .or_else(|| Some(format!("pkg:golang/stdlib@{plain}")));
        p.licenses.push("BSD-3-Clause".into());
        p.locations.push((binary.to_owned(), layer));
        out.push(p);
    }
    out
}

/// Runtime crates of a `cargo auditable` binary and the dependency edges between them
/// (indexes into the returned list).
#[must_use]
pub fn rust_packages(
    list: &[AuditablePackage],
    binary: &str,
    layer: u32,
) -> (Vec<Package>, Vec<(usize, usize)>) {
    let mut map = vec![usize::MAX; list.len()];
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if !c.is_runtime() {
            continue;
        }
        let mut p = Package::new(
            PackageType::RustCrate,
            c.name.clone(),
            c.version.clone(),
            "cargo-auditable-binary-cataloger",
        );
        p.purl = purl("cargo", None, &c.name, Some(&c.version), &[]);
        p.locations.push((binary.to_owned(), layer));
        p.metadata.push(("source".into(), c.source.clone()));
        map[i] = out.len();
        out.push(p);
    }
    let mut edges = Vec::new();
    for (i, c) in list.iter().enumerate() {
        for &d in &c.dependencies {
            if let (Some(&a), Some(&b)) = (map.get(i), map.get(d))
                && a != usize::MAX
                && b != usize::MAX
            {
                edges.push((a, b));
            }
        }
    }
    (out, edges)
}

/// Splits `name-1.2.3.jar` into `("name", Some("1.2.3"))`.
fn split_file_name(file: &str) -> (String, Option<String>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let bytes = stem.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return (stem[..i].to_owned(), Some(stem[i + 1..].to_owned()));
        }
    }
    (stem.to_owned(), None)
}

fn java_package(
    name: &str,
    group: Option<&str>,
    version: &str,
    location: &str,
    layer: u32,
) -> Package {
    let mut p = Package::new(
        PackageType::JavaArchive,
        name.to_owned(),
        version.to_owned(),
        "java-archive-cataloger",
    );
    let group = group.filter(|g| !g.is_empty());
    p.purl = purl(
        "maven",
        Some(group.unwrap_or(name)),
        name,
        Some(version),
        &[],
    );
    p.group = group.map(str::to_owned);
    p.locations.push((location.to_owned(), layer));
    p
}

/// The packages of a Java archive and its nested archives: one per archive (from its only
/// `pom.properties`, else its manifest and file name) plus one per further `pom.properties`.
#[must_use]
pub fn java_packages(records: &[JavaArchiveRecord], archive: &str, layer: u32) -> Vec<Package> {
    let mut out = Vec::new();
    for r in records {
        let location = if r.archive_path.is_empty() {
            archive.to_owned()
        } else {
            format!("{archive}:{}", r.archive_path.join(":"))
        };
        let file = r
            .archive_path
            .last()
            .map_or_else(|| basename(archive), |s| basename(s));
        let (file_name, file_version) = split_file_name(file);
        let single = (r.pom_properties.len() == 1).then(|| &r.pom_properties[0]);
        let pom_package = |pom: &crate::formats::java::PomProperties| {
            java_package(
                &pom.artifact_id,
                Some(&pom.group_id),
                &pom.version,
                &location,
                layer,
            )
        };
        match single {
            Some(pom) if !pom.artifact_id.is_empty() => out.push(pom_package(pom)),
            _ => {
                let m = r.manifest.as_ref();
                let get = |k: &str| {
                    m.and_then(|m| m.get(k))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                };
                let name = if file_name.is_empty() {
                    [
                        "Name",
                        "Bundle-Name",
                        "Short-Name",
                        "Extension-Name",
                        "Implementation-Title",
                    ]
                    .iter()
                    .find_map(|k| get(k))
                    .unwrap_or_default()
                    .to_owned()
                } else {
                    file_name.clone()
                };
                let version = file_version.clone().or_else(|| {
                    [
                        "Implementation-Version",
                        "Specification-Version",
                        "Plugin-Version",
                        "Bundle-Version",
                    ]
                    .iter()
                    .find_map(|k| get(k).map(str::to_owned))
                });
                let group = get("Implementation-Vendor-Id").or_else(|| {
                    get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s))
                });
                if !name.is_empty() {
                    out.push(java_package(
                        &name,
                        group,
                        version.as_deref().unwrap_or(""),
                        &location,
                        layer,
                    ));
                }
                out.extend(
                    r.pom_properties
                        .iter()
                        .filter(|pom| !pom.artifact_id.is_empty())
                        .map(pom_package),
                );
            }
        }
    }
    out
}

pub(crate) fn catalog(index: &FileIndex) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        for e in &node.evidence {
            match e {
                Evidence::Go(info) => found.packages.extend(go_packages(info, path, node.layer)),
                Evidence::Rust(list) => {
                    let base = found.packages.len();
                    let (packages, edges) = rust_packages(list, path, node.layer);
                    found.packages.extend(packages);
                    found
                        .dependencies
                        .extend(edges.into_iter().map(|(a, b)| (a + base, b + base)));
                }
                Evidence::Java(records) => {
                    found
                        .packages
                        .extend(java_packages(records, path, node.layer));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_split_at_the_version() {
        assert_eq!(
            split_file_name("joda-time-2.9.2.jar"),
            ("joda-time".into(), Some("2.9.2".into()))
        );
        assert_eq!(split_file_name("app.war"), ("app".into(), None));
    }

    #[test]
    fn go_purls_keep_slashes_in_the_namespace() {
        assert_eq!(
            go_purl("github.com/cli/cli/v2", "v2.63.0").as_deref(),
            Some("pkg:golang/github.com/cli/cli/v2@v2.63.0")
        );
    }
}
