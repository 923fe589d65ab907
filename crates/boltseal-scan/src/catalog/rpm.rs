//! RPM packages from the rpmdb (`Packages` Berkeley DB, `Packages.db` NDB, `rpmdb.sqlite`),
//! read by [`crate::formats::rpm`].

use boltseal_sbom::HashAlgorithm;

use super::{Distro, Found, OwnedFile, Package, PackageType, purl};
use crate::formats::rpm::{RpmPackage, read_rpmdb_lenient};
use crate::index::FileIndex;

const FOUND_BY: &str = "rpm-db-cataloger";

/// syft's purl namespace for a distribution: `rhel` is `redhat`, openSUSE flavours are
/// `opensuse`, others their ID.
fn namespace(d: &Distro) -> String {
    if d.id == "rhel" || d.id == "hummingbird" {
        "redhat".to_owned()
    } else if d.id.starts_with("opensuse") {
        "opensuse".to_owned()
    } else {
        d.id.clone()
    }
}

fn digest_algorithm(p: &RpmPackage) -> HashAlgorithm {
    match p.digest_algorithm {
        Some(2) => HashAlgorithm::Sha1,
        Some(8) => HashAlgorithm::Sha256,
        Some(9) => HashAlgorithm::Sha384,
        Some(10) => HashAlgorithm::Sha512,
        _ => HashAlgorithm::Md5,
    }
}

/// The package record syft makes of an rpmdb entry (`None` for entries without name or
/// version).
#[must_use]
pub fn package(p: &RpmPackage, distro: Option<&Distro>, db: &str, layer: u32) -> Option<Package> {
    if p.name.is_empty() || p.version.is_empty() {
        return None;
    }
    let mut out = Package::new(PackageType::Rpm, p.name.clone(), p.evr(), FOUND_BY);
    let ns = distro.map(namespace);
    out.purl = purl(
        "rpm",
        ns.as_deref(),
        &p.name,
        Some(&format!("{}-{}", p.version, p.release)),
        &[
            ("arch", Some(p.arch.clone())),
            ("distro", distro.and_then(Distro::purl_qualifier)),
            ("epoch", p.epoch.map(|e| e.to_string())),
            ("upstream", Some(p.source_rpm.clone())),
        ],
    );
    out.locations.push((db.to_owned(), layer));
    if !p.license.is_empty() {
        out.licenses.push(p.license.clone());
    }
    if !p.vendor.is_empty() {
        out.supplier = Some(format!("Organization: {}", p.vendor));
    }
    if !p.summary.is_empty() {
        out.description = Some(p.summary.clone());
    }
    if !p.url.is_empty() {
        out.homepage = Some(p.url.clone());
    }
    if !p.source_rpm.is_empty() {
        out.metadata
            .push(("sourceRpm".into(), p.source_rpm.clone()));
    }
    let alg = digest_algorithm(p);
    out.files = p
        .files
        .iter()
        .map(|f| OwnedFile {
            path: f.path.clone(),
            digest: (!f.digest.is_empty()).then(|| (alg.clone(), f.digest.clone())),
        })
        .collect();
    Some(out)
}

pub(crate) fn catalog(index: &FileIndex, distro: Option<&Distro>) -> Found {
    let mut found = Found::default();
    for (path, node) in index.iter() {
        let name = path.rsplit('/').next().unwrap_or("");
        if !matches!(name, "Packages" | "Packages.db" | "rpmdb.sqlite") {
            continue;
        }
        let Some(content) = node.content.as_deref() else {
            continue;
        };
        // As syft does: a damaged header costs that package, not the whole database.
        let Ok(contents) = read_rpmdb_lenient(content) else {
            continue;
        };
        found.packages.extend(
            contents
                .packages
                .iter()
                .filter_map(|p| package(p, distro, path, node.layer)),
        );
    }
    found
}
