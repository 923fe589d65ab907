//! A scan as an SBOM, shaped like syft's: the image is the described root (name, manifest
//! digest, `pkg:oci` purl, purpose `CONTAINER`), it `CONTAINS` every package, dependency
//! edges are `<dependency> DEPENDENCY_OF <dependent>`, and package-owned files whose digests
//! the package database records (dpkg `md5sums`, Python `RECORD`, apk `Z`) are listed with
//! them and `CONTAINS` edges from their package.

use std::collections::{BTreeMap, HashMap};

use boltseal_sbom::convert::slug;
use boltseal_sbom::{
    Actor, ActorKind, Checksum, Format, HashAlgorithm, License, LicenseKind, LicenseValue,
    Property, Purl, Purpose, Relationship, RelationshipType, Sbom, WriteOptions,
};
use sha2::{Digest as _, Sha256};

use crate::Scan;
use crate::catalog::Package;
use crate::error::Result;

/// The SPDX id of the document.
const DOCUMENT: &str = "SPDXRef-DOCUMENT";

/// What to put in the SBOM besides packages.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SbomOptions {
    /// List package-owned files with the digests their package database records.
    pub files: bool,
    /// Add the distribution as an operating-system element (what syft's CycloneDX has).
    pub operating_system: bool,
    /// The version written in the `Tool: boltseal-<version>` creator.
    pub tool_version: String,
}

impl Default for SbomOptions {
    fn default() -> Self {
        SbomOptions {
            files: true,
            operating_system: false,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    boltseal_core::hex::encode(&h.finalize()[..8])
}

fn license(value: &str) -> License {
    let v = if boltseal_sbom::LicenseExpression::parse(value).is_ok() {
        LicenseValue::Expression(value.to_owned())
    } else {
        LicenseValue::Name(value.to_owned())
    };
    License::new(LicenseKind::Declared, v)
}

fn root_purl(scan: &Scan) -> Option<String> {
    let digest = scan.meta.digest()?;
    let name = scan
        .meta
        .name
        .rsplit('/')
        .next()
        .unwrap_or(&scan.meta.name)
        .to_ascii_lowercase();
    let mut b = Purl::builder("oci", name).version(digest.to_string());
    if let Some(a) = &scan.meta.architecture {
        b = b.qualifier("arch", a.clone());
    }
    if let Some(t) = scan.meta.tags.first() {
        let tag = t.rsplit(':').next().unwrap_or(t);
        b = b.qualifier("tag", tag.to_owned());
    }
    b.build().ok().map(|p| p.to_string())
}

fn package_id(p: &Package) -> String {
    let location = p.locations.first().map_or("", |l| l.0.as_str());
    let hash = short_hash(&[
        p.kind.as_str(),
        &p.name,
        &p.version,
        p.purl.as_deref().unwrap_or(""),
        location,
    ]);
    format!(
        "SPDXRef-Package-{}-{}-{hash}",
        slug(p.kind.as_str()),
        slug(&p.name)
    )
}

/// Builds the SBOM model of a scan.
#[must_use]
pub fn to_sbom(scan: &Scan, options: &SbomOptions) -> Sbom {
    let meta = &scan.meta;
    let mut sbom = Sbom::new(meta.input.clone());
    sbom.document.id = DOCUMENT.to_owned();
    let mut tool = Actor::new(ActorKind::Tool, "boltseal");
    tool.version = Some(options.tool_version.clone());
    sbom.document.creators.push(tool);
    sbom.document.data_license = Some("CC0-1.0".to_owned());

    // The root: the image (or directory).
    let kind = if meta.is_dir { "Directory" } else { "Image" };
    let root_id = format!("SPDXRef-DocumentRoot-{kind}-{}", slug(&meta.name));
    let mut root = boltseal_sbom::Package::new(root_id.clone(), meta.name.clone());
    root.files_analyzed = Some(false);
    if meta.is_dir {
        root.purpose = Some(Purpose::File);
    } else {
        root.purpose = Some(Purpose::Container);
        if let Some(d) = meta.digest() {
            root.version = Some(d.to_string());
            if d.algorithm() == boltseal_reference::Algorithm::Sha256 {
                root.checksums
                    .push(Checksum::new(HashAlgorithm::Sha256, d.encoded()));
            }
        }
        root.purl = root_purl(scan);
        for (k, v) in &meta.labels {
            root.properties
                .push(Property::new(format!("syft:image:labels:{k}"), v.clone()));
        }
    }
    sbom.packages.push(root);
    sbom.relationships.push(Relationship::new(
        DOCUMENT,
        RelationshipType::DESCRIBES,
        root_id.clone(),
    ));

    if options.operating_system
        && let Some(d) = &scan.catalog.distro
    {
        let id = format!("SPDXRef-OperatingSystem-{}", slug(&d.id));
        let mut os = boltseal_sbom::Package::new(id.clone(), d.id.clone());
        os.version.clone_from(&d.version_id);
        os.description.clone_from(&d.pretty_name);
        os.purpose = Some(Purpose::OperatingSystem);
        os.files_analyzed = Some(false);
        sbom.packages.push(os);
        sbom.relationships.push(Relationship::new(
            root_id.clone(),
            RelationshipType::CONTAINS,
            id,
        ));
    }

    let layer_id = |layer: u32| {
        meta.layers
            .get(layer as usize)
            .and_then(|l| l.diff_id.or(l.digest))
            .map(|d| d.to_string())
    };
    let mut ids = Vec::with_capacity(scan.catalog.packages.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut files: BTreeMap<String, (String, Vec<Checksum>, Option<String>)> = BTreeMap::new();
    let mut file_edges = Vec::new();
    for p in &scan.catalog.packages {
        let mut id = package_id(p);
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            id = format!("{id}-{n}");
        }
        let mut out = boltseal_sbom::Package::new(id.clone(), p.name.clone());
        out.version = Some(p.version.clone());
        out.purpose = Some(Purpose::Library);
        out.purl.clone_from(&p.purl);
        out.supplier = p.supplier.as_deref().map(Actor::parse_spdx);
        out.description.clone_from(&p.description);
        out.homepage = p
            .homepage
            .clone()
            .filter(|h| h.starts_with("http://") || h.starts_with("https://"));
        out.group.clone_from(&p.group);
        out.licenses = p.licenses.iter().map(|l| license(l)).collect();
        out.files_analyzed = Some(false);
        out.properties
            .push(Property::new("syft:package:foundBy", p.found_by));
        if let Some(lang) = p.kind.language() {
            out.properties
                .push(Property::new("syft:package:language", lang));
        }
        out.properties
            .push(Property::new("syft:package:type", p.kind.as_str()));
        for (i, (path, layer)) in p.locations.iter().enumerate() {
            if let Some(l) = layer_id(*layer) {
                out.properties
                    .push(Property::new(format!("syft:location:{i}:layerID"), l));
            }
            out.properties.push(Property::new(
                format!("syft:location:{i}:path"),
                path.clone(),
            ));
        }
        for (k, v) in &p.metadata {
            out.properties
                .push(Property::new(format!("syft:metadata:{k}"), v.clone()));
        }
        if options.files {
            for f in &p.files {
                let Some((alg, value)) = &f.digest else {
                    continue;
                };
                let entry = files.entry(f.path.clone()).or_insert_with(|| {
                    let node_layer = scan.index.get(&f.path).map(|n| n.layer);
                    let fid = format!(
                        "SPDXRef-File-{}-{}",
                        slug(f.path.trim_start_matches('/')),
                        short_hash(&[&f.path])
                    );
                    let mut sums = vec![Checksum::new(alg.clone(), value.clone())];
                    if *alg != HashAlgorithm::Sha1 {
                        // SPDX 2.3 requires a SHA-1 for every file; syft writes zeros when
                        // it has none.
                        sums.push(Checksum::new(HashAlgorithm::Sha1, "0".repeat(40)));
                    }
                    (fid, sums, node_layer.and_then(layer_id))
                });
                file_edges.push((id.clone(), entry.0.clone()));
            }
        }
        sbom.relationships.push(Relationship::new(
            root_id.clone(),
            RelationshipType::CONTAINS,
            id.clone(),
        ));
        sbom.packages.push(out);
        ids.push(id);
    }
    for (dependent, dependency) in &scan.catalog.dependencies {
        if let (Some(a), Some(b)) = (ids.get(*dependent), ids.get(*dependency)) {
            sbom.relationships.push(Relationship::new(
                b.clone(),
                RelationshipType::DEPENDENCY_OF,
                a.clone(),
            ));
        }
    }
    for (path, (fid, sums, layer)) in files {
        let mut f = boltseal_sbom::File::new(fid, path.trim_start_matches('/'));
        f.checksums = sums;
        f.license_concluded = Some("NOASSERTION".to_owned());
        f.license_info = vec!["NOASSERTION".to_owned()];
        f.copyright = Some("NOASSERTION".to_owned());
        f.comment = layer.map(|l| format!("layerID: {l}"));
        sbom.files.push(f);
    }
    for (pkg, file) in file_edges {
        sbom.relationships
            .push(Relationship::new(pkg, RelationshipType::CONTAINS, file));
    }
    sbom
}

/// Writes a scan as SPDX 2.3 or CycloneDX JSON. CycloneDX output carries the distribution
/// as an operating-system component, as syft's does.
///
/// # Errors
/// What the boltseal-sbom writers return.
pub fn write(scan: &Scan, format: Format, opts: &WriteOptions) -> Result<Vec<u8>> {
    let options = SbomOptions {
        operating_system: !format.is_spdx(),
        ..SbomOptions::default()
    };
    let sbom = to_sbom(scan, &options);
    Ok(boltseal_sbom::write(&sbom, format, opts)?.bytes)
}
