//! Conversion between SPDX and CycloneDX, with a report of what could not be carried over.
//!
//! | SPDX 2.3 | CycloneDX 1.4–1.6 |
//! | --- | --- |
//! | `documentNamespace` | `serialNumber` (a `urn:uuid:` kept or derived from the namespace) |
//! | `creationInfo.created`, `creators` (`Tool:`, `Person:`, `Organization:`) | `metadata.timestamp`, `tools`, `authors`, `manufacturer` (1.6) |
//! | target of `SPDXRef-DOCUMENT DESCRIBES` | `metadata.component` |
//! | package `SPDXID` | `bom-ref` (re-keyed to `SPDXRef-…` when converting to SPDX) |
//! | `primaryPackagePurpose` | component `type` |
//! | `externalRefs` `purl` / `cpe23Type` | `purl` / `cpe` (further CPEs as `syft:cpe23` properties) |
//! | `downloadLocation`, `homepage`, other URL references | `externalReferences` `distribution`, `website`, `other` |
//! | `licenseDeclared`, `licenseConcluded` | `licenses` (with `acknowledgement` in 1.6; one expression at most) |
//! | `checksums` | `hashes` (MD2, MD4, MD6, SHA224, ADLER32 have no CycloneDX algorithm) |
//! | `supplier`, `originator` | `supplier`, `author` |
//! | files | components of type `file`, nested under the package that `CONTAINS` them |
//! | `CONTAINS` between packages | nested `components` |
//! | `DEPENDS_ON` (and reversed `DEPENDENCY_OF`) | `dependencies` (`DEPENDS_ON NONE` ⇄ empty `dependsOn`) |
//! | license names without SPDX id | `LicenseRef-…` with `hasExtractedLicensingInfos` |
//!
//! Everything else (SPDX snippets, annotations, other relationship types; CycloneDX services,
//! vulnerabilities, properties, pedigree, …) is listed in the [`Report`]. No package is dropped.

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, Report, WriteOptions, Written};
use crate::model::{
    ActorKind, ExternalRef, ExtractedLicense, Format, FormatFamily, License, LicenseKind,
    LicenseValue, Package, Purpose, Relationship, RelationshipType, Sbom,
};

/// A UUID (version 8 layout, RFC 9562) derived from the SHA-256 of the parts, so conversions
/// are deterministic.
pub(crate) fn derived_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = boltseal_core::hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A name reduced to `[A-Za-z0-9.-]` (for SPDX ids and namespaces): every other character
/// becomes `-`, and an empty name is `unnamed`.
///
/// ```
/// assert_eq!(boltseal_sbom::convert::slug("@scope/pkg 1.0"), "-scope-pkg-1.0");
/// assert_eq!(boltseal_sbom::convert::slug(""), "unnamed");
/// ```
#[must_use]
pub fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "unnamed".to_owned()
    } else {
        out
    }
}

/// Whether `id` is a valid SPDX element id (`SPDXRef-[A-Za-z0-9.-]+`).
pub fn is_spdx_id(id: &str) -> bool {
    id.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

fn is_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-')
            && !rest.is_empty()
            && !rest.contains(char::is_whitespace)
    })
}

/// Maps a model onto what `target` can express (ids, external references, licenses, files),
/// noting what will not be carried over. The writers then report whatever else they drop.
///
/// ```
/// use boltseal_sbom::{convert, CycloneDxVersion, Format, Package, Sbom};
///
/// let mut sbom = Sbom::new("demo");
/// let mut p = Package::new("pkg:npm/left-pad@1.3.0", "left-pad");
/// p.download_location = Some("https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz".into());
/// sbom.packages.push(p);
/// let (spdx_shaped, _report) = convert::prepare(&sbom, Format::Spdx(boltseal_sbom::SpdxVersion::V2_3));
/// assert!(convert::is_spdx_id(&spdx_shaped.packages[0].id));
/// let (cdx_shaped, _) = convert::prepare(&sbom, Format::CycloneDx(CycloneDxVersion::V1_6));
/// assert_eq!(cdx_shaped.packages[0].external_refs[0].kind, "distribution");
/// ```
pub fn prepare(sbom: &Sbom, target: Format) -> (Sbom, Report) {
    let mut out = sbom.clone();
    let mut report = Report::default();
    match target {
        Format::Spdx(_) => to_spdx_shape(&mut out, &mut report),
        Format::CycloneDx(_) => to_cyclonedx_shape(&mut out, &mut report),
    }
    (out, report)
}

fn to_cyclonedx_shape(sbom: &mut Sbom, report: &mut Report) {
    // Reverse-direction relationship types CycloneDX structure can hold.
    for r in &mut sbom.relationships {
        if r.kind == RelationshipType::DESCRIBED_BY {
            std::mem::swap(&mut r.from, &mut r.to);
            r.kind = RelationshipType::DESCRIBES;
        } else if r.kind == RelationshipType::CONTAINED_BY {
            std::mem::swap(&mut r.from, &mut r.to);
            r.kind = RelationshipType::CONTAINS;
        }
    }
    for p in &mut sbom.packages {
        let mut refs = Vec::new();
        if let Some(dl) = p.download_location.take() {
            if is_url(&dl) {
                refs.push(ExternalRef::new("distribution", dl));
            } else if dl != "NOASSERTION" && dl != "NONE" {
                report.note(&p.id, format!("download location {dl:?} is not a URL"));
            }
        }
        if let Some(hp) = p.homepage.take() {
            if is_url(&hp) {
                refs.push(ExternalRef::new("website", hp));
            } else if hp != "NOASSERTION" && hp != "NONE" {
                report.note(&p.id, format!("homepage {hp:?} is not a URL"));
            }
        }
        for r in std::mem::take(&mut p.external_refs) {
            if r.category.is_none() {
                refs.push(r);
                continue;
            }
            match r.kind.as_str() {
                "purl" if p.purl.as_deref() == Some(r.locator.as_str()) => {}
                "cpe23Type" | "cpe22Type" => p.cpes.push(r.locator),
                "purl" if p.purl.is_none() => p.purl = Some(r.locator),
                _ if is_url(&r.locator) => {
                    let kind = if r.kind == "advisory" {
                        "advisories"
                    } else {
                        "other"
                    };
                    let mut e = ExternalRef::new(kind, r.locator);
                    e.comment = r.comment.or_else(|| {
                        Some(format!(
                            "SPDX {} {}",
                            r.category.as_deref().unwrap_or_default(),
                            r.kind
                        ))
                    });
                    refs.push(e);
                }
                _ => report.note(
                    &p.id,
                    format!(
                        "external reference {} {} has no CycloneDX form",
                        r.kind, r.locator
                    ),
                ),
            }
        }
        p.external_refs = refs;
        p.files_analyzed = None;
    }
    // SPDX files become file components.
    for f in std::mem::take(&mut sbom.files) {
        let mut p = Package::new(f.id.clone(), f.name);
        p.purpose = Some(Purpose::File);
        p.checksums = f
            .checksums
            .into_iter()
            .filter(|c| !(c.value.bytes().all(|b| b == b'0')))
            .collect();
        if let Some(l) = f.license_concluded {
            p.licenses.push(License::new(
                LicenseKind::Concluded,
                LicenseValue::Expression(l),
            ));
        }
        let infos: Vec<&String> = f
            .license_info
            .iter()
            .filter(|l| *l != "NOASSERTION" && *l != "NONE")
            .collect();
        if !infos.is_empty() {
            report.note(&f.id, "licenseInfoInFiles has no CycloneDX field");
        }
        p.copyright = f.copyright;
        p.description = f.comment;
        p.extensions = f.extensions;
        sbom.packages.push(p);
    }
    if sbom.extracted_licenses.iter().any(|e| !e.text.is_empty()) {
        report.note(
            "document",
            "texts of LicenseRef- licenses (hasExtractedLicensingInfos) have no CycloneDX field",
        );
    }
    sbom.extracted_licenses.clear();
}

fn to_spdx_shape(sbom: &mut Sbom, report: &mut Report) {
    let doc_id = crate::model::DOCUMENT_ID.to_owned();
    let old_doc = std::mem::replace(&mut sbom.document.id, doc_id.clone());
    // Re-key ids that are not SPDX ids.
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert(old_doc, doc_id.clone());
    let mut used: HashSet<String> = HashSet::new();
    used.insert(doc_id.clone());
    let mut rekeyed = 0usize;
    let mut assign = |old: &str, fallback: &str, used: &mut HashSet<String>| -> String {
        let base = if is_spdx_id(old) {
            old.to_owned()
        } else if old.is_empty() {
            format!("SPDXRef-{}", slug(fallback))
        } else {
            rekeyed += 1;
            format!("SPDXRef-{}", slug(old))
        };
        let mut id = base.clone();
        let mut n = 1;
        while !used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    };
    for (i, p) in sbom.packages.iter_mut().enumerate() {
        let new = assign(&p.id, &format!("Package-{}", i + 1), &mut used);
        if !p.id.is_empty() {
            map.entry(p.id.clone()).or_insert_with(|| new.clone());
        }
        p.id = new;
    }
    for (i, f) in sbom.files.iter_mut().enumerate() {
        let new = assign(&f.id, &format!("File-{}", i + 1), &mut used);
        if !f.id.is_empty() {
            map.entry(f.id.clone()).or_insert_with(|| new.clone());
        }
        f.id = new;
    }
    if rekeyed > 0 {
        report.note(
            "document",
            format!("{rekeyed} bom-refs are not SPDX ids and were re-keyed to SPDXRef-…"),
        );
    }
    for r in &mut sbom.relationships {
        if let Some(n) = map.get(&r.from) {
            r.from = n.clone();
        }
        if let Some(n) = map.get(&r.to) {
            r.to = n.clone();
        }
    }
    let d = &mut sbom.document;
    let root_name = sbom
        .relationships
        .iter()
        .find(|r| r.from == doc_id && r.kind == RelationshipType::DESCRIBES)
        .and_then(|r| sbom.packages.iter().find(|p| p.id == r.to))
        .map(|p| p.name.clone());
    if d.name.is_none() {
        d.name = Some(root_name.unwrap_or_else(|| "unnamed".to_owned()));
    }
    if let Some(ns) = &d.namespace
        && let Some(uuid) = ns.strip_prefix("urn:uuid:")
    {
        let name = d.name.as_deref().unwrap_or("unnamed");
        d.namespace = Some(format!(
            "https://boltseal.invalid/spdxdocs/{}-{uuid}",
            slug(name)
        ));
    }
    if let Some(v) = d.version.take()
        && v != 1
    {
        report.note("document", format!("BOM version {v} has no SPDX field"));
    }
    for c in &d.creators {
        if c.kind == ActorKind::Tool && !c.extensions.is_empty() {
            report.note(
                "document",
                format!(
                    "details of tool {:?} beyond name and version are not carried",
                    c.name
                ),
            );
        }
    }
    // Licenses, external references.
    let mut extracted: Vec<ExtractedLicense> = std::mem::take(&mut sbom.extracted_licenses);
    let mut known_refs: HashSet<String> = extracted.iter().map(|e| e.id.clone()).collect();
    for p in &mut sbom.packages {
        let mut licenses = Vec::new();
        for l in std::mem::take(&mut p.licenses) {
            let kind = if l.kind == LicenseKind::Concluded {
                LicenseKind::Concluded
            } else {
                LicenseKind::Declared
            };
            let text_of = |l: &License| -> Option<String> {
                l.extensions
                    .for_family(FormatFamily::CycloneDx)
                    .and_then(|f| f.get("text"))
                    .and_then(|t| t.get("content"))
                    .and_then(|c| c.as_str())
                    .map(str::to_owned)
            };
            let value = match &l.value {
                LicenseValue::Id(id) if crate::license::is_single_id(id) => {
                    LicenseValue::Expression(id.clone())
                }
                LicenseValue::Id(name) | LicenseValue::Name(name) => {
                    let id = crate::license::license_ref_for(name);
                    if known_refs.insert(id.clone()) {
                        let mut e = ExtractedLicense::new(
                            id.clone(),
                            text_of(&l).unwrap_or_else(|| name.clone()),
                        );
                        e.name = Some(name.clone());
                        extracted.push(e);
                    }
                    LicenseValue::Expression(id)
                }
                LicenseValue::Expression(e) => match crate::LicenseExpression::parse(e) {
                    Ok(parsed) => {
                        for r in parsed.license_refs() {
                            if known_refs.insert(r.to_owned()) {
                                extracted.push(ExtractedLicense::new(r, r));
                            }
                        }
                        LicenseValue::Expression(e.clone())
                    }
                    Err(err) => {
                        // Keep the text as an extracted license rather than write an
                        // expression SPDX tools reject.
                        let id = crate::license::license_ref_for(e);
                        if known_refs.insert(id.clone()) {
                            let mut x = ExtractedLicense::new(id.clone(), e.clone());
                            x.name = Some(e.clone());
                            extracted.push(x);
                        }
                        report.note(&p.id, format!("{} (kept as {id})", err));
                        LicenseValue::Expression(id)
                    }
                },
            };
            let mut nl = License::new(kind, value);
            nl.extensions = if l.extensions.family == Some(FormatFamily::Spdx) {
                l.extensions
            } else {
                Default::default()
            };
            licenses.push(nl);
        }
        p.licenses = licenses;
        let mut refs = Vec::new();
        for r in std::mem::take(&mut p.external_refs) {
            if r.category.is_some() {
                refs.push(r);
                continue;
            }
            match r.kind.as_str() {
                "distribution" | "distribution-intake" if p.download_location.is_none() => {
                    p.download_location = Some(r.locator);
                }
                "website" if p.homepage.is_none() => p.homepage = Some(r.locator),
                _ if !r.locator.is_empty() && !r.locator.contains(char::is_whitespace) => {
                    let mut e = ExternalRef::new(r.kind.clone(), r.locator);
                    e.category = Some("OTHER".to_owned());
                    e.comment = r.comment;
                    refs.push(e);
                }
                _ => report.note(
                    &p.id,
                    format!(
                        "external reference {} {:?} has no SPDX form",
                        r.kind, r.locator
                    ),
                ),
            }
        }
        p.external_refs = refs;
        if p.files_analyzed.is_none() {
            p.files_analyzed = Some(false);
        }
        if p.download_location.is_none() {
            p.download_location = Some("NOASSERTION".to_owned());
        }
    }
    sbom.extracted_licenses = extracted;
    // Relationships must join elements of the document (services, vulnerabilities and the like
    // are not carried, so edges to them go too).
    let known: HashSet<String> = sbom
        .packages
        .iter()
        .map(|p| p.id.clone())
        .chain(sbom.files.iter().map(|f| f.id.clone()))
        .chain(std::iter::once(doc_id.clone()))
        .collect();
    let ok = |id: &str, target: bool| {
        known.contains(id)
            || id.starts_with("DocumentRef-")
            || (target && (id == "NONE" || id == "NOASSERTION"))
    };
    let before = sbom.relationships.len();
    let mut dropped: Vec<(String, String, String)> = Vec::new();
    sbom.relationships.retain(|r| {
        let keep = ok(&r.from, false) && ok(&r.to, true);
        if !keep {
            dropped.push((r.from.clone(), r.kind.to_string(), r.to.clone()));
        }
        keep
    });
    for (from, kind, to) in dropped {
        report.note(
            from,
            format!("relationship {kind} {to} joins an element SPDX does not carry; dropped"),
        );
    }
    debug_assert!(sbom.relationships.len() <= before);
    // Packages that CONTAIN files keep filesAnalyzed as given; others say false.
    let file_ids: HashSet<&str> = sbom.files.iter().map(|f| f.id.as_str()).collect();
    let containers: HashSet<String> = sbom
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipType::CONTAINS && file_ids.contains(r.to.as_str()))
        .map(|r| r.from.clone())
        .collect();
    drop(file_ids);
    for p in &mut sbom.packages {
        if containers.contains(&p.id) && p.files_analyzed == Some(false) {
            p.files_analyzed = Some(true);
        }
    }
    // SPDX needs at least one DESCRIBES: without a root, the document describes its
    // top-level packages.
    if !sbom
        .relationships
        .iter()
        .any(|r| r.from == doc_id && r.kind == RelationshipType::DESCRIBES)
        && sbom.packages.len() > 1
    {
        let nested: HashSet<&str> = sbom
            .relationships
            .iter()
            .filter(|r| r.kind == RelationshipType::CONTAINS)
            .map(|r| r.to.as_str())
            .collect();
        let tops: Vec<String> = sbom
            .packages
            .iter()
            .filter(|p| !nested.contains(p.id.as_str()))
            .map(|p| p.id.clone())
            .collect();
        for t in tops {
            sbom.relationships.push(Relationship::new(
                doc_id.clone(),
                RelationshipType::DESCRIBES,
                t,
            ));
        }
    }
}

/// The result of [`convert`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Converted {
    /// The converted document.
    pub bytes: Vec<u8>,
    /// The format it was read as.
    pub from: Format,
    /// What could not be carried over.
    pub report: Report,
}

/// Reads a document in any supported format and writes it as `target`.
///
/// ```
/// use boltseal_sbom::{convert, Format, WriteOptions};
///
/// let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
///   "serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
///   "components":[{"type":"library","bom-ref":"pkg:npm/a@1","name":"a","version":"1",
///     "purl":"pkg:npm/a@1","licenses":[{"license":{"id":"MIT"}}]}]}"#;
/// let out = convert::convert(cdx, "spdx-json".parse()?, &WriteOptions::new())?;
/// let spdx = boltseal_sbom::spdx::read(&out.bytes)?;
/// assert_eq!(spdx.packages[0].purl.as_deref(), Some("pkg:npm/a@1"));
/// assert!(convert::is_spdx_id(&spdx.packages[0].id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// What [`crate::read`] returns for unreadable input.
pub fn convert(input: &[u8], target: Format, opts: &WriteOptions) -> Result<Converted, Error> {
    let sbom = crate::read(input)?;
    let from = sbom.source.unwrap_or(target);
    let Written { bytes, report } = write_as(&sbom, target, opts)?;
    Ok(Converted {
        bytes,
        from,
        report,
    })
}

/// Prepares (when the model came from the other family, or was built in memory) and writes
/// `sbom` as `target`; the report has both steps' notes.
///
/// # Errors
///
/// What the writers return.
pub fn write_as(sbom: &Sbom, target: Format, opts: &WriteOptions) -> Result<Written, Error> {
    let same_family = sbom.source.is_some_and(|s| s.is_spdx() == target.is_spdx());
    let (prepared, mut report) = if same_family {
        (None, Report::default())
    } else {
        let (p, r) = prepare(sbom, target);
        (Some(p), r)
    };
    let model = prepared.as_ref().unwrap_or(sbom);
    let written = match target {
        Format::Spdx(_) => crate::spdx::write(model, opts)?,
        Format::CycloneDx(v) => crate::cyclonedx::write(model, v, opts)?,
    };
    report.extend(written.report);
    Ok(Written {
        bytes: written.bytes,
        report,
    })
}
