//! SPDX 2.3 JSON: read (2.2 and 2.3) and write (2.3).
//!
//! Reading is permissive: unknown fields are kept in [`Extensions`], both spellings of enum
//! values are accepted, and nothing is rejected that has the right JSON shape — use
//! [`crate::validate()`] to judge a document. Writing puts known fields in a fixed order, then the
//! kept fields, so output is deterministic.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{Error, Report, WriteOptions, Written, to_bytes};
use crate::model::ActorSpdx;
use crate::model::{
    Actor, ActorKind, Checksum, DocumentInfo, Extensions, ExternalRef, ExtractedLicense, File,
    Format, FormatFamily, HashAlgorithm, License, LicenseKind, LicenseValue, Package, Purpose,
    Relationship, RelationshipType, Sbom, SpdxVersion,
};
use crate::wire::{Displayed, Key, extras_for, out_struct, wire_struct};

const FAMILY: FormatFamily = FormatFamily::Spdx;

wire_struct!(WDocument<'de> {
    spdx_version: String = "spdxVersion",
    data_license: String = "dataLicense",
    spdxid: String = "SPDXID",
    name: String = "name",
    namespace: String = "documentNamespace",
    creation_info: WCreationInfo = "creationInfo",
    document_describes: Vec<String> = "documentDescribes",
    packages: Vec<WPackage<'de>> = "packages",
    files: Vec<WFile<'de>> = "files",
    relationships: Vec<WRelationship<'de>> = "relationships",
    extracted: Vec<WExtracted> = "hasExtractedLicensingInfos",
});

wire_struct!(WCreationInfo {
    created: String = "created",
    creators: Vec<String> = "creators",
    license_list_version: String = "licenseListVersion",
});

wire_struct!(WPackage<'de> {
    spdxid: String = "SPDXID",
    name: String = "name",
    version: String = "versionInfo",
    purpose: Key<'de> = "primaryPackagePurpose",
    supplier: Key<'de> = "supplier",
    originator: Key<'de> = "originator",
    download_location: String = "downloadLocation",
    homepage: String = "homepage",
    files_analyzed: bool = "filesAnalyzed",
    license_concluded: String = "licenseConcluded",
    license_declared: String = "licenseDeclared",
    copyright: String = "copyrightText",
    description: String = "description",
    checksums: Vec<WChecksum<'de>> = "checksums",
    external_refs: Vec<WExternalRef<'de>> = "externalRefs",
});

wire_struct!(WChecksum<'de> {
    algorithm: Key<'de> = "algorithm",
    value: String = "checksumValue",
});

wire_struct!(WExternalRef<'de> {
    category: Key<'de> = "referenceCategory",
    kind: Key<'de> = "referenceType",
    locator: String = "referenceLocator",
    comment: String = "comment",
});

wire_struct!(WFile<'de> {
    spdxid: String = "SPDXID",
    name: String = "fileName",
    checksums: Vec<WChecksum<'de>> = "checksums",
    license_concluded: String = "licenseConcluded",
    license_info: Vec<String> = "licenseInfoInFiles",
    copyright: String = "copyrightText",
    comment: String = "comment",
});

wire_struct!(WRelationship<'de> {
    from: String = "spdxElementId",
    kind: Key<'de> = "relationshipType",
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
    let doc: WDocument<'_> = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "SPDX JSON",
        source,
    })?;
    from_wire(doc)
}

fn from_wire(doc: WDocument<'_>) -> Result<Sbom, Error> {
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
            kind: RelationshipType::new(r.kind.as_ref().map_or("", Key::as_str)),
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

fn checksums_from_wire(list: Option<Vec<WChecksum<'_>>>) -> Vec<Checksum> {
    list.unwrap_or_default()
        .into_iter()
        .map(|c| Checksum {
            algorithm: HashAlgorithm::parse(c.algorithm.as_ref().map_or("", Key::as_str)),
            value: c.value.unwrap_or_default(),
        })
        .collect()
}

fn package_from_wire(p: WPackage<'_>) -> Package {
    let mut purl = None;
    let mut cpes = Vec::new();
    let mut external_refs = Vec::new();
    for r in p.external_refs.unwrap_or_default() {
        let kind = r.kind.as_ref().map_or("", Key::as_str);
        let locator = r.locator.unwrap_or_default();
        let plain = r.comment.is_none() && r.extra.is_empty();
        let category = r.category.as_ref().map(Key::as_str);
        if kind == "purl" && purl.is_none() && plain && category == Some("PACKAGE-MANAGER") {
            purl = Some(locator);
        } else if kind == "cpe23Type" && plain && category == Some("SECURITY") {
            cpes.push(locator);
        } else {
            external_refs.push(ExternalRef {
                category: r.category.map(Key::into_string),
                kind: kind.to_owned(),
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
        purpose: p.purpose.as_ref().map(|k| Purpose::parse(k.as_str())),
        group: None,
        purl,
        cpes,
        supplier: p.supplier.as_ref().map(|k| Actor::parse_spdx(k.as_str())),
        originator: p.originator.as_ref().map(|k| Actor::parse_spdx(k.as_str())),
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
    let namespace;
    let doc = {
        namespace = sbom.document.namespace.clone().unwrap_or_else(|| {
            let name = sbom.document.name.as_deref().unwrap_or("unnamed");
            let uuid = crate::convert::derived_uuid(&[name, &sbom.packages.len().to_string()]);
            format!("{}{}-{uuid}", opts.prefix(), crate::convert::slug(name))
        });
        to_out(sbom, opts, &namespace, &mut report)
    };
    let hint =
        4096 + sbom.packages.len() * 1200 + sbom.files.len() * 600 + sbom.relationships.len() * 160;
    Ok(Written {
        bytes: to_bytes(&doc, opts.is_pretty(), hint),
        report,
    })
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

out_struct!(ODocument<'a> {
    spdx_version: &'a str = "spdxVersion",
    data_license: &'a str = "dataLicense",
    spdxid: &'a str = "SPDXID",
    name: &'a str = "name",
    namespace: &'a str = "documentNamespace",
    creation_info: OCreationInfo<'a> = "creationInfo",
    document_describes: Vec<&'a str> = "documentDescribes",
    packages: Vec<OPackage<'a>> = "packages",
    files: Vec<OFile<'a>> = "files",
    relationships: Vec<ORelationship<'a>> = "relationships",
    extracted: Vec<OExtracted<'a>> = "hasExtractedLicensingInfos",
});

out_struct!(OCreationInfo<'a> {
    created: &'a str = "created",
    creators: Vec<Displayed<ActorSpdx<'a>>> = "creators",
    default_creator: [&'a str; 1] = "creators",
    license_list_version: &'a str = "licenseListVersion",
});

out_struct!(OPackage<'a> {
    spdxid: &'a str = "SPDXID",
    name: &'a str = "name",
    version: &'a str = "versionInfo",
    purpose: &'a str = "primaryPackagePurpose",
    supplier: Displayed<ActorSpdx<'a>> = "supplier",
    originator: Displayed<ActorSpdx<'a>> = "originator",
    download_location: &'a str = "downloadLocation",
    homepage: &'a str = "homepage",
    files_analyzed: bool = "filesAnalyzed",
    license_concluded: Cow<'a, str> = "licenseConcluded",
    license_declared: Cow<'a, str> = "licenseDeclared",
    copyright: &'a str = "copyrightText",
    description: &'a str = "description",
    checksums: Vec<OChecksum<'a>> = "checksums",
    external_refs: Vec<OExternalRef<'a>> = "externalRefs",
});

out_struct!(OChecksum<'a> {
    algorithm: &'a str = "algorithm",
    value: &'a str = "checksumValue",
});

out_struct!(OExternalRef<'a> {
    category: &'a str = "referenceCategory",
    kind: &'a str = "referenceType",
    locator: &'a str = "referenceLocator",
    comment: &'a str = "comment",
});

out_struct!(OFile<'a> {
    spdxid: &'a str = "SPDXID",
    name: &'a str = "fileName",
    checksums: Vec<OChecksum<'a>> = "checksums",
    license_concluded: &'a str = "licenseConcluded",
    license_info: &'a [String] = "licenseInfoInFiles",
    copyright: &'a str = "copyrightText",
    comment: &'a str = "comment",
});

out_struct!(ORelationship<'a> {
    from: &'a str = "spdxElementId",
    kind: &'a str = "relationshipType",
    to: &'a str = "relatedSpdxElement",
    comment: &'a str = "comment",
});

out_struct!(OExtracted<'a> {
    id: &'a str = "licenseId",
    text: &'a str = "extractedText",
    name: &'a str = "name",
});

fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn to_out<'a>(
    sbom: &'a Sbom,
    opts: &'a WriteOptions,
    namespace: &'a str,
    report: &mut Report,
) -> ODocument<'a> {
    let d = &sbom.document;
    let doc_id = if d.id.is_empty() {
        crate::model::DOCUMENT_ID
    } else {
        d.id.as_str()
    };
    foreign(report, "document", &sbom.extensions);
    foreign(report, "document", &d.extensions);
    let creators: Vec<Displayed<ActorSpdx<'a>>> = d
        .creators
        .iter()
        .filter(|c| c.kind != ActorKind::NoAssertion)
        .map(|c| Displayed(c.spdx()))
        .collect();
    let creation_info = OCreationInfo {
        created: Some(d.created.as_deref().unwrap_or(opts.created_fallback())),
        default_creator: creators.is_empty().then_some([DEFAULT_CREATOR]),
        creators: some_vec(creators),
        license_list_version: d.license_list_version.as_deref(),
        extra: extras_for(&d.extensions, FAMILY),
    };
    let mut describes_legacy = Vec::new();
    let mut relationships = Vec::with_capacity(sbom.relationships.len());
    for r in &sbom.relationships {
        let legacy = r.from == d.id
            && r.kind == RelationshipType::DESCRIBES
            && r.extensions
                .for_family(FAMILY)
                .is_some_and(|f| f.contains_key("documentDescribes"));
        if legacy {
            describes_legacy.push(r.to.as_str());
            continue;
        }
        foreign(report, &r.from, &r.extensions);
        relationships.push(ORelationship {
            from: Some(&r.from),
            kind: Some(r.kind.as_str()),
            to: Some(&r.to),
            comment: r.comment.as_deref(),
            extra: extras_for(&r.extensions, FAMILY),
        });
    }
    let packages = sbom
        .packages
        .iter()
        .map(|p| package_out(p, report))
        .collect();
    let files = sbom
        .files
        .iter()
        .map(|f| {
            foreign(report, &f.id, &f.extensions);
            OFile {
                spdxid: Some(&f.id),
                name: Some(&f.name),
                checksums: Some(checksums_out(&f.checksums)),
                license_concluded: f.license_concluded.as_deref(),
                license_info: (!f.license_info.is_empty()).then_some(&f.license_info[..]),
                copyright: f.copyright.as_deref(),
                comment: f.comment.as_deref(),
                extra: extras_for(&f.extensions, FAMILY),
            }
        })
        .collect::<Vec<_>>();
    let extracted = sbom
        .extracted_licenses
        .iter()
        .map(|e| OExtracted {
            id: Some(&e.id),
            text: Some(&e.text),
            name: e.name.as_deref(),
            extra: extras_for(&e.extensions, FAMILY),
        })
        .collect();
    ODocument {
        spdx_version: Some(SpdxVersion::V2_3.as_str()),
        data_license: Some(d.data_license.as_deref().unwrap_or("CC0-1.0")),
        spdxid: Some(doc_id),
        name: Some(d.name.as_deref().unwrap_or("unnamed")),
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

const DEFAULT_CREATOR: &str = concat!("Tool: boltseal-sbom-", env!("CARGO_PKG_VERSION"));

fn checksums_out(list: &[Checksum]) -> Vec<OChecksum<'_>> {
    list.iter()
        .map(|c| OChecksum {
            algorithm: Some(c.algorithm.spdx_name()),
            value: Some(&c.value),
            extra: None,
        })
        .collect()
}

fn package_out<'a>(p: &'a Package, report: &mut Report) -> OPackage<'a> {
    foreign(report, &p.id, &p.extensions);
    let mut external_refs = Vec::with_capacity(p.cpes.len() + 1 + p.external_refs.len());
    for cpe in &p.cpes {
        external_refs.push(OExternalRef {
            category: Some("SECURITY"),
            kind: Some("cpe23Type"),
            locator: Some(cpe),
            comment: None,
            extra: None,
        });
    }
    if let Some(purl) = &p.purl {
        external_refs.push(OExternalRef {
            category: Some("PACKAGE-MANAGER"),
            kind: Some("purl"),
            locator: Some(purl),
            comment: None,
            extra: None,
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
        external_refs.push(OExternalRef {
            category: Some(category),
            kind: Some(&r.kind),
            locator: Some(&r.locator),
            comment: r.comment.as_deref(),
            extra: extras_for(&r.extensions, FAMILY),
        });
    }
    let mut declared: Option<Cow<'a, str>> = None;
    let mut concluded: Option<Cow<'a, str>> = None;
    for l in &p.licenses {
        let text = match &l.value {
            LicenseValue::Expression(e) | LicenseValue::Id(e) => e.as_str(),
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
            None => Cow::Borrowed(text),
            Some(prev) => Cow::Owned(format!("({prev}) AND ({text})")),
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
        name
    });
    OPackage {
        spdxid: Some(&p.id),
        name: Some(&p.name),
        version: p.version.as_deref(),
        purpose,
        supplier: p.supplier.as_ref().map(|a| Displayed(a.spdx())),
        originator: p.originator.as_ref().map(|a| Displayed(a.spdx())),
        download_location: Some(p.download_location.as_deref().unwrap_or("NOASSERTION")),
        homepage: p.homepage.as_deref(),
        files_analyzed: p.files_analyzed,
        license_concluded: concluded,
        license_declared: declared,
        copyright: p.copyright.as_deref(),
        description: p.description.as_deref(),
        checksums: some_vec(checksums_out(&p.checksums)),
        external_refs: some_vec(external_refs),
        extra: extras_for(&p.extensions, FAMILY),
    }
}
