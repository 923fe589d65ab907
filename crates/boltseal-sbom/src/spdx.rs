//! SPDX 2.3 JSON: read (2.2 and 2.3) and write (2.3).
//!
//! Reading is permissive: unknown fields are kept in [`Extensions`], both spellings of enum
//! values are accepted, and nothing is rejected that has the right JSON shape — use
//! [`crate::validate()`] to judge a document. Writing puts known fields in a fixed order, then the
//! kept fields, so output is deterministic.

use serde_json::{Map, Value};

use crate::error::{Error, Report, WriteOptions, Written, to_bytes};
use crate::model::{
    Actor, ActorKind, Checksum, DocumentInfo, Extensions, ExternalRef, ExtractedLicense, File,
    Format, FormatFamily, HashAlgorithm, License, LicenseKind, LicenseValue, Package, Purpose,
    Relationship, RelationshipType, Sbom, SpdxVersion,
};
use crate::wire::{extras_for, wire_struct};

const FAMILY: FormatFamily = FormatFamily::Spdx;

wire_struct!(WDocument {
    spdx_version: String = "spdxVersion",
    data_license: String = "dataLicense",
    spdxid: String = "SPDXID",
    name: String = "name",
    namespace: String = "documentNamespace",
    creation_info: WCreationInfo = "creationInfo",
    document_describes: Vec<String> = "documentDescribes",
    packages: Vec<WPackage> = "packages",
    files: Vec<WFile> = "files",
    relationships: Vec<WRelationship> = "relationships",
    extracted: Vec<WExtracted> = "hasExtractedLicensingInfos",
});

wire_struct!(WCreationInfo {
    created: String = "created",
    creators: Vec<String> = "creators",
    license_list_version: String = "licenseListVersion",
});

wire_struct!(WPackage {
    spdxid: String = "SPDXID",
    name: String = "name",
    version: String = "versionInfo",
    purpose: String = "primaryPackagePurpose",
    supplier: String = "supplier",
    originator: String = "originator",
    download_location: String = "downloadLocation",
    homepage: String = "homepage",
    files_analyzed: bool = "filesAnalyzed",
    license_concluded: String = "licenseConcluded",
    license_declared: String = "licenseDeclared",
    copyright: String = "copyrightText",
    description: String = "description",
    checksums: Vec<WChecksum> = "checksums",
    external_refs: Vec<WExternalRef> = "externalRefs",
});

wire_struct!(WChecksum {
    algorithm: String = "algorithm",
    value: String = "checksumValue",
});

wire_struct!(WExternalRef {
    category: String = "referenceCategory",
    kind: String = "referenceType",
    locator: String = "referenceLocator",
    comment: String = "comment",
});

wire_struct!(WFile {
    spdxid: String = "SPDXID",
    name: String = "fileName",
    checksums: Vec<WChecksum> = "checksums",
    license_concluded: String = "licenseConcluded",
    license_info: Vec<String> = "licenseInfoInFiles",
    copyright: String = "copyrightText",
    comment: String = "comment",
});

wire_struct!(WRelationship {
    from: String = "spdxElementId",
    kind: String = "relationshipType",
    to: String = "relatedSpdxElement",
    comment: String = "comment",
});

wire_struct!(WExtracted {
    id: String = "licenseId",
    text: String = "extractedText",
    name: String = "name",
});

fn ext(fields: Map<String, Value>) -> Extensions {
    Extensions::from_fields(FAMILY, fields)
}

/// Reads an SPDX 2.2 or 2.3 JSON document.
///
/// ```
/// let doc = br#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
///   "name":"demo","documentNamespace":"https://example.com/demo",
///   "creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: demo-1.0"]},
///   "packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NOASSERTION",
///     "primaryPackagePurpose":"OPERATING-SYSTEM","x-vendor":true}]}"#;
/// let sbom = boltseal_sbom::spdx::read(doc)?;
/// assert_eq!(sbom.packages[0].name, "a");
/// assert_eq!(sbom.packages[0].purpose, Some(boltseal_sbom::Purpose::OperatingSystem));
/// assert!(sbom.packages[0].extensions.fields.contains_key("x-vendor"));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] when the bytes are not JSON of the SPDX shape,
/// [`Error::UnsupportedVersion`] for versions other than SPDX-2.2 and SPDX-2.3.
pub fn read(bytes: &[u8]) -> Result<Sbom, Error> {
    let text = crate::decode_text(bytes)?;
    let doc: WDocument = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "SPDX JSON",
        source,
    })?;
    from_wire(doc)
}

fn from_wire(doc: WDocument) -> Result<Sbom, Error> {
    let version = match doc.spdx_version.as_deref() {
        Some("SPDX-2.3") => SpdxVersion::V2_3,
        Some("SPDX-2.2") => SpdxVersion::V2_2,
        other => {
            return Err(Error::UnsupportedVersion {
                format: "SPDX",
                version: other.unwrap_or("(missing)").to_owned(),
                supported: "SPDX-2.2 and SPDX-2.3",
            });
        }
    };
    let mut sbom = Sbom {
        source: Some(Format::Spdx(version)),
        ..Sbom::default()
    };
    let ci = doc.creation_info.unwrap_or_default();
    sbom.document = DocumentInfo {
        id: doc.spdxid.unwrap_or_default(),
        name: doc.name,
        namespace: doc.namespace,
        created: ci.created,
        creators: ci
            .creators
            .unwrap_or_default()
            .iter()
            .map(|c| Actor::parse_spdx(c))
            .collect(),
        data_license: doc.data_license,
        license_list_version: ci.license_list_version,
        version: None,
        extensions: ext(ci.extra),
    };
    let doc_id = sbom.document.id.clone();
    for target in doc.document_describes.unwrap_or_default() {
        let mut r = Relationship::new(doc_id.clone(), RelationshipType::DESCRIBES, target);
        r.extensions = ext(Map::from_iter([(
            "documentDescribes".to_owned(),
            Value::Bool(true),
        )]));
        sbom.relationships.push(r);
    }
    let packages = doc.packages.unwrap_or_default();
    sbom.packages.reserve(packages.len());
    for p in packages {
        sbom.packages.push(package_from_wire(p));
    }
    for f in doc.files.unwrap_or_default() {
        sbom.files.push(File {
            id: f.spdxid.unwrap_or_default(),
            name: f.name.unwrap_or_default(),
            checksums: checksums_from_wire(f.checksums),
            license_concluded: f.license_concluded,
            license_info: f.license_info.unwrap_or_default(),
            copyright: f.copyright,
            comment: f.comment,
            extensions: ext(f.extra),
        });
    }
    for r in doc.relationships.unwrap_or_default() {
        sbom.relationships.push(Relationship {
            from: r.from.unwrap_or_default(),
            kind: RelationshipType::new(r.kind.as_deref().unwrap_or_default()),
            to: r.to.unwrap_or_default(),
            comment: r.comment,
            extensions: ext(r.extra),
        });
    }
    for e in doc.extracted.unwrap_or_default() {
        sbom.extracted_licenses.push(ExtractedLicense {
            id: e.id.unwrap_or_default(),
            text: e.text.unwrap_or_default(),
            name: e.name,
            extensions: ext(e.extra),
        });
    }
    sbom.extensions = ext(doc.extra);
    Ok(sbom)
}

fn checksums_from_wire(list: Option<Vec<WChecksum>>) -> Vec<Checksum> {
    list.unwrap_or_default()
        .into_iter()
        .map(|c| Checksum {
            algorithm: HashAlgorithm::parse(c.algorithm.as_deref().unwrap_or_default()),
            value: c.value.unwrap_or_default(),
        })
        .collect()
}

fn package_from_wire(p: WPackage) -> Package {
    let mut purl = None;
    let mut cpes = Vec::new();
    let mut external_refs = Vec::new();
    for r in p.external_refs.unwrap_or_default() {
        let kind = r.kind.unwrap_or_default();
        let locator = r.locator.unwrap_or_default();
        let plain = r.comment.is_none() && r.extra.is_empty();
        let category = r.category.as_deref();
        if kind == "purl" && purl.is_none() && plain && category == Some("PACKAGE-MANAGER") {
            purl = Some(locator);
        } else if kind == "cpe23Type" && plain && category == Some("SECURITY") {
            cpes.push(locator);
        } else {
            external_refs.push(ExternalRef {
                category: r.category,
                kind,
                locator,
                comment: r.comment,
                extensions: ext(r.extra),
            });
        }
    }
    let mut licenses = Vec::new();
    if let Some(l) = p.license_concluded {
        licenses.push(License::new(
            LicenseKind::Concluded,
            LicenseValue::Expression(l),
        ));
    }
    if let Some(l) = p.license_declared {
        licenses.push(License::new(
            LicenseKind::Declared,
            LicenseValue::Expression(l),
        ));
    }
    Package {
        id: p.spdxid.unwrap_or_default(),
        name: p.name.unwrap_or_default(),
        version: p.version,
        purpose: p.purpose.as_deref().map(Purpose::parse),
        group: None,
        purl,
        cpes,
        supplier: p.supplier.as_deref().map(Actor::parse_spdx),
        originator: p.originator.as_deref().map(Actor::parse_spdx),
        licenses,
        checksums: checksums_from_wire(p.checksums),
        download_location: p.download_location,
        homepage: p.homepage,
        external_refs,
        properties: Vec::new(),
        copyright: p.copyright,
        description: p.description,
        files_analyzed: p.files_analyzed,
        extensions: ext(p.extra),
    }
}

/// Writes an SPDX 2.3 JSON document.
///
/// Fields SPDX requires are filled when missing (`NOASSERTION` download locations, the
/// creation time from [`WriteOptions::created`], a `Tool: boltseal` creator, a namespace from
/// [`WriteOptions::namespace_prefix`]); every model field SPDX cannot hold is listed in the
/// report. Run [`crate::convert::prepare`] first to map a CycloneDX-shaped model (ids, external
/// references, licenses) onto SPDX.
///
/// ```
/// use boltseal_sbom::{Package, Sbom, WriteOptions};
///
/// let mut sbom = Sbom::new("demo");
/// sbom.packages.push(Package::new("SPDXRef-a", "a"));
/// let out = boltseal_sbom::spdx::write(&sbom, &WriteOptions::new())?;
/// let back = boltseal_sbom::spdx::read(&out.bytes)?;
/// assert_eq!(back.packages[0].name, "a");
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// None at present; the `Result` leaves room for refusing models SPDX cannot express.
pub fn write(sbom: &Sbom, opts: &WriteOptions) -> Result<Written, Error> {
    let mut report = Report::default();
    let doc = to_wire(sbom, opts, &mut report);
    Ok(Written {
        bytes: to_bytes(&doc, opts.is_pretty()),
        report,
    })
}

fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn foreign(report: &mut Report, element: &str, e: &Extensions) {
    if e.family.is_some_and(|f| f != FAMILY) && !e.is_empty() {
        let keys: Vec<&str> = e
            .fields
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "$schema" && !k.starts_with('\u{0}'))
            .collect();
        if keys.is_empty() {
            return;
        }
        report.note(
            element,
            format!("no SPDX field for CycloneDX {}", keys.join(", ")),
        );
    }
}

fn to_wire(sbom: &Sbom, opts: &WriteOptions, report: &mut Report) -> WDocument {
    let d = &sbom.document;
    let doc_id = if d.id.is_empty() {
        crate::model::DOCUMENT_ID.to_owned()
    } else {
        d.id.clone()
    };
    foreign(report, "document", &sbom.extensions);
    foreign(report, "document", &d.extensions);
    let name = d.name.clone().unwrap_or_else(|| "unnamed".to_owned());
    let namespace = d.namespace.clone().unwrap_or_else(|| {
        let uuid = crate::convert::derived_uuid(&[&name, &sbom.packages.len().to_string()]);
        format!("{}{}-{uuid}", opts.prefix(), crate::convert::slug(&name))
    });
    let mut creators: Vec<String> = d
        .creators
        .iter()
        .filter(|c| c.kind != ActorKind::NoAssertion)
        .map(Actor::to_spdx)
        .collect();
    if creators.is_empty() {
        creators.push(format!("Tool: boltseal-sbom-{}", env!("CARGO_PKG_VERSION")));
    }
    let creation_info = WCreationInfo {
        created: Some(
            d.created
                .clone()
                .unwrap_or_else(|| opts.created_fallback().to_owned()),
        ),
        creators: Some(creators),
        license_list_version: d.license_list_version.clone(),
        extra: extras_for(&d.extensions, FAMILY),
    };
    let mut describes_legacy = Vec::new();
    let mut relationships = Vec::new();
    for r in &sbom.relationships {
        let legacy = r.from == d.id
            && r.kind == RelationshipType::DESCRIBES
            && r.extensions
                .for_family(FAMILY)
                .is_some_and(|f| f.contains_key("documentDescribes"));
        if legacy {
            describes_legacy.push(r.to.clone());
            continue;
        }
        foreign(report, &r.from, &r.extensions);
        relationships.push(WRelationship {
            from: Some(r.from.clone()),
            kind: Some(r.kind.as_str().to_owned()),
            to: Some(r.to.clone()),
            comment: r.comment.clone(),
            extra: extras_for(&r.extensions, FAMILY),
        });
    }
    let packages = sbom
        .packages
        .iter()
        .map(|p| package_to_wire(p, report))
        .collect();
    let files = sbom
        .files
        .iter()
        .map(|f| {
            foreign(report, &f.id, &f.extensions);
            WFile {
                spdxid: Some(f.id.clone()),
                name: Some(f.name.clone()),
                checksums: Some(checksums_to_wire(&f.checksums)),
                license_concluded: f.license_concluded.clone(),
                license_info: some_vec(f.license_info.clone()),
                copyright: f.copyright.clone(),
                comment: f.comment.clone(),
                extra: extras_for(&f.extensions, FAMILY),
            }
        })
        .collect::<Vec<_>>();
    let extracted = sbom
        .extracted_licenses
        .iter()
        .map(|e| WExtracted {
            id: Some(e.id.clone()),
            text: Some(e.text.clone()),
            name: e.name.clone(),
            extra: extras_for(&e.extensions, FAMILY),
        })
        .collect();
    WDocument {
        spdx_version: Some(SpdxVersion::V2_3.as_str().to_owned()),
        data_license: Some(
            d.data_license
                .clone()
                .unwrap_or_else(|| "CC0-1.0".to_owned()),
        ),
        spdxid: Some(doc_id),
        name: Some(name),
        namespace: Some(namespace),
        creation_info: Some(creation_info),
        document_describes: some_vec(describes_legacy),
        packages: Some(packages),
        files: some_vec(files),
        relationships: some_vec(relationships),
        extracted: some_vec(extracted),
        extra: extras_for(&sbom.extensions, FAMILY),
    }
}

fn checksums_to_wire(list: &[Checksum]) -> Vec<WChecksum> {
    list.iter()
        .map(|c| WChecksum {
            algorithm: Some(c.algorithm.spdx_name().to_owned()),
            value: Some(c.value.clone()),
            extra: Map::new(),
        })
        .collect()
}

fn package_to_wire(p: &Package, report: &mut Report) -> WPackage {
    foreign(report, &p.id, &p.extensions);
    let mut external_refs = Vec::new();
    for cpe in &p.cpes {
        external_refs.push(WExternalRef {
            category: Some("SECURITY".to_owned()),
            kind: Some("cpe23Type".to_owned()),
            locator: Some(cpe.clone()),
            comment: None,
            extra: Map::new(),
        });
    }
    if let Some(purl) = &p.purl {
        external_refs.push(WExternalRef {
            category: Some("PACKAGE-MANAGER".to_owned()),
            kind: Some("purl".to_owned()),
            locator: Some(purl.clone()),
            comment: None,
            extra: Map::new(),
        });
    }
    for r in &p.external_refs {
        let Some(category) = &r.category else {
            report.note(
                &p.id,
                format!(
                    "external reference {} {} has no SPDX category",
                    r.kind, r.locator
                ),
            );
            continue;
        };
        foreign(report, &p.id, &r.extensions);
        external_refs.push(WExternalRef {
            category: Some(category.clone()),
            kind: Some(r.kind.clone()),
            locator: Some(r.locator.clone()),
            comment: r.comment.clone(),
            extra: extras_for(&r.extensions, FAMILY),
        });
    }
    let mut declared = None;
    let mut concluded = None;
    for l in &p.licenses {
        let text = match &l.value {
            LicenseValue::Expression(e) | LicenseValue::Id(e) => e.clone(),
            LicenseValue::Name(n) => {
                report.note(
                    &p.id,
                    format!("license name {n:?} is not an SPDX expression"),
                );
                continue;
            }
        };
        let slot = if l.kind == LicenseKind::Concluded {
            &mut concluded
        } else {
            &mut declared
        };
        *slot = Some(match slot.take() {
            None => text,
            Some(prev) => format!("({prev}) AND ({text})"),
        });
    }
    if p.group.is_some() {
        report.note(&p.id, "no SPDX field for the CycloneDX group");
    }
    if !p.properties.is_empty() {
        report.note(
            &p.id,
            format!(
                "no SPDX field for {} CycloneDX properties",
                p.properties.len()
            ),
        );
    }
    let purpose = p.purpose.as_ref().and_then(|pp| {
        let name = pp.spdx_name();
        if name.is_none() {
            report.note(&p.id, format!("no SPDX purpose for {pp:?}"));
        }
        name.map(str::to_owned)
    });
    WPackage {
        spdxid: Some(p.id.clone()),
        name: Some(p.name.clone()),
        version: p.version.clone(),
        purpose,
        supplier: p.supplier.as_ref().map(Actor::to_spdx),
        originator: p.originator.as_ref().map(Actor::to_spdx),
        download_location: Some(
            p.download_location
                .clone()
                .unwrap_or_else(|| "NOASSERTION".to_owned()),
        ),
        homepage: p.homepage.clone(),
        files_analyzed: p.files_analyzed,
        license_concluded: concluded,
        license_declared: declared,
        copyright: p.copyright.clone(),
        description: p.description.clone(),
        checksums: some_vec(checksums_to_wire(&p.checksums)),
        external_refs: some_vec(external_refs),
        extra: extras_for(&p.extensions, FAMILY),
    }
}
