//! CycloneDX JSON: read 1.4, 1.5, 1.6 (and 1.7 where it is a superset), write 1.4, 1.5, 1.6.
//!
//! Nested components are flattened into [`Sbom::packages`] with `CONTAINS` relationships from
//! their parent, `metadata.component` becomes the target of the document's `DESCRIBES`, and
//! `dependencies` become `DEPENDS_ON` relationships (an empty `dependsOn` is `DEPENDS_ON NONE`).
//! The writer reverses each of these. Fields the model does not hold are kept in
//! [`Extensions`]; when writing an older version than the one read, kept fields the older
//! schema does not allow are dropped and reported.

mod prune;
mod wire;
mod write;

use serde_json::{Map, Value};

use crate::error::{Error, Report, WriteOptions, Written, to_bytes};
use crate::model::{
    Actor, ActorKind, Checksum, CycloneDxVersion, DocumentInfo, Extensions, ExternalRef, Format,
    FormatFamily, HashAlgorithm, License, LicenseKind, LicenseValue, Package, Property, Purpose,
    Relationship, RelationshipType, Sbom,
};

use prune::prune_invalid;
use wire::*;
use write::Writer;

const FAMILY: FormatFamily = FormatFamily::CycloneDx;

fn ext(fields: Map<String, Value>) -> Extensions {
    Extensions::from_fields(FAMILY, fields)
}

/// Reads a CycloneDX JSON document (1.4 to 1.7).
///
/// ```
/// let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
///   "metadata":{"component":{"type":"container","bom-ref":"img","name":"alpine"}},
///   "components":[{"type":"library","bom-ref":"pkg:apk/alpine/musl@1.2.5",
///     "name":"musl","version":"1.2.5","purl":"pkg:apk/alpine/musl@1.2.5","scope":"required"}],
///   "dependencies":[{"ref":"img","dependsOn":["pkg:apk/alpine/musl@1.2.5"]}]}"#;
/// let sbom = boltseal_sbom::cyclonedx::read(doc)?;
/// assert_eq!(sbom.described().collect::<Vec<_>>(), ["img"]);
/// assert_eq!(sbom.packages.len(), 2);
/// assert!(sbom.packages[1].extensions.fields.contains_key("scope"));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] when the bytes are not JSON of the CycloneDX shape, [`Error::UnknownFormat`]
/// when `bomFormat` is not `CycloneDX`, [`Error::UnsupportedVersion`] outside 1.4–1.7.
pub fn read(bytes: &[u8]) -> Result<Sbom, Error> {
    let text = crate::decode_text(bytes)?;
    let bom: WBom = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "CycloneDX JSON",
        source,
    })?;
    from_wire(bom)
}

struct Reader {
    sbom: Sbom,
    synthetic: usize,
}

fn from_wire(mut bom: WBom) -> Result<Sbom, Error> {
    if bom.bom_format.as_deref() != Some("CycloneDX") {
        return Err(Error::UnknownFormat {
            reason: format!(
                "bomFormat is {:?}, not \"CycloneDX\"",
                bom.bom_format.as_deref().unwrap_or("(missing)")
            ),
        });
    }
    let spec = bom.spec_version.as_deref().unwrap_or("(missing)");
    let version = CycloneDxVersion::from_spec(spec).ok_or_else(|| Error::UnsupportedVersion {
        format: "CycloneDX",
        version: spec.to_owned(),
        supported: "1.4 to 1.7",
    })?;
    let mut r = Reader {
        sbom: Sbom {
            source: Some(Format::CycloneDx(version)),
            ..Sbom::default()
        },
        synthetic: 0,
    };
    let doc_id = r.sbom.document.id.clone();
    let mut document = DocumentInfo {
        namespace: bom.serial,
        version: bom.version,
        ..DocumentInfo::default()
    };
    if let Some(schema) = bom.schema.take() {
        bom.extra
            .insert("$schema".to_owned(), Value::String(schema));
    }
    if let Some(mut md) = bom.metadata {
        document.created = md.timestamp;
        if let Some(tools) = md.tools {
            read_tools(tools, &mut document.creators, &mut md.extra);
        }
        for a in md.authors.unwrap_or_default() {
            document.creators.push(Actor {
                kind: ActorKind::Person,
                name: a.name.unwrap_or_default(),
                email: a.email,
                version: None,
                extensions: ext(a.extra),
            });
        }
        if let Some(m) = md.manufacturer {
            document.creators.push(Actor {
                kind: ActorKind::Organization,
                name: m.name.unwrap_or_default(),
                email: None,
                version: None,
                extensions: ext(m.extra),
            });
        }
        if let Some(c) = md.component {
            let id = r.component(*c, None, true);
            r.sbom
                .relationships
                .push(Relationship::new(doc_id, RelationshipType::DESCRIBES, id));
        }
        document.extensions = ext(md.extra);
    }
    r.sbom.document = document;
    let components = bom.components.unwrap_or_default();
    r.sbom.packages.reserve(components.len());
    for c in components {
        r.component(c, None, false);
    }
    for d in bom.dependencies.unwrap_or_default() {
        let from = d.reference.unwrap_or_default();
        let mut extra = Some(d.extra);
        let targets = d.depends_on.unwrap_or_default();
        let mut push = |to: String| {
            let mut rel = Relationship::new(from.clone(), RelationshipType::DEPENDS_ON, to);
            rel.extensions = ext(extra.take().unwrap_or_default());
            rel
        };
        if targets.is_empty() {
            let rel = push("NONE".to_owned());
            r.sbom.relationships.push(rel);
        }
        for t in targets {
            let rel = push(t);
            r.sbom.relationships.push(rel);
        }
    }
    r.sbom.extensions = ext(bom.extra);
    Ok(r.sbom)
}

fn read_tools(tools: Value, creators: &mut Vec<Actor>, metadata_extra: &mut Map<String, Value>) {
    let tool_actor = |v: Value| -> Actor {
        let t: WTool = serde_json::from_value(v).unwrap_or_default();
        let mut extra = t.extra;
        // `application` is what the writer puts when there is no other type.
        if let Some(kind) = t.kind.filter(|k| k != "application") {
            extra.insert("type".to_owned(), Value::String(kind));
        }
        Actor {
            kind: ActorKind::Tool,
            name: t.name.unwrap_or_default(),
            email: None,
            version: t.version,
            extensions: ext(extra),
        }
    };
    match tools {
        Value::Array(list) => {
            metadata_extra.insert(LEGACY_TOOLS.to_owned(), Value::Bool(true));
            for t in list {
                creators.push(tool_actor(t));
            }
        }
        Value::Object(mut obj) => {
            let keep_verbatim = obj.keys().any(|k| k != "components");
            if keep_verbatim {
                // Services (or anything else) besides tool components: written back verbatim.
                metadata_extra.insert("tools".to_owned(), Value::Object(obj.clone()));
            }
            if let Some(Value::Array(list)) = obj.remove("components") {
                for t in list {
                    let mut a = tool_actor(t);
                    if keep_verbatim {
                        a.extensions
                            .fields
                            .insert(VERBATIM_TOOL.to_owned(), Value::Bool(true));
                        a.extensions.family = Some(FAMILY);
                    }
                    creators.push(a);
                }
            }
        }
        other => {
            metadata_extra.insert("tools".to_owned(), other);
        }
    }
}

/// Keeps the fields of a license-choice entry beside its `license` object.
const OUTER: &str = "\u{0}outer";

/// The first character of placeholder ids given to nested components without a bom-ref.
pub const PLACEHOLDER: char = '\u{0}';

/// Marks metadata whose tools were the legacy array (kept in that form when written back).
const LEGACY_TOOLS: &str = "\u{0}legacy-tools";

/// Marks a tool read from a `metadata.tools` object kept verbatim.
const VERBATIM_TOOL: &str = "\u{0}boltseal-verbatim-tool";

impl Reader {
    fn component(&mut self, c: WComponent, parent: Option<&str>, needs_id: bool) -> String {
        let mut id = c.bom_ref.unwrap_or_default();
        let children = c.components.unwrap_or_default();
        let extra = c.extra;
        if id.is_empty() && (needs_id || !children.is_empty() || parent.is_some()) {
            // Nesting needs an id to hang the CONTAINS relationship on; placeholder ids start
            // with U+0000 and are never written as bom-refs.
            self.synthetic += 1;
            id = format!("{PLACEHOLDER}{}", self.synthetic);
        }
        if let Some(p) = parent {
            self.sbom.relationships.push(Relationship::new(
                p.to_owned(),
                RelationshipType::CONTAINS,
                id.clone(),
            ));
        }
        let mut external_refs = Vec::new();
        for r in c.external_references.unwrap_or_default() {
            external_refs.push(ExternalRef {
                category: None,
                kind: r.kind.unwrap_or_default(),
                locator: r.url.unwrap_or_default(),
                comment: r.comment,
                extensions: ext(r.extra),
            });
        }
        let mut licenses = Vec::new();
        for choice in c.licenses.unwrap_or_default() {
            licenses.push(license_from_wire(choice));
        }
        let supplier = c.supplier.map(|s| Actor {
            kind: ActorKind::Organization,
            name: s.name.unwrap_or_default(),
            email: None,
            version: None,
            extensions: ext(s.extra),
        });
        let originator = c.author.map(|a| Actor::new(ActorKind::Person, a));
        let kind = c.kind.unwrap_or_default();
        let package = Package {
            id: id.clone(),
            name: c.name.unwrap_or_default(),
            version: c.version,
            purpose: (!kind.is_empty()).then(|| Purpose::parse(&kind)),
            group: c.group,
            purl: c.purl,
            cpes: c.cpe.into_iter().collect(),
            supplier,
            originator,
            licenses,
            checksums: c
                .hashes
                .unwrap_or_default()
                .into_iter()
                .map(|h| Checksum {
                    algorithm: HashAlgorithm::parse(h.alg.as_deref().unwrap_or_default()),
                    value: h.content.unwrap_or_default(),
                })
                .collect(),
            download_location: None,
            homepage: None,
            external_refs,
            properties: c
                .properties
                .unwrap_or_default()
                .into_iter()
                .map(|p| Property {
                    name: p.name.unwrap_or_default(),
                    value: p.value,
                })
                .collect(),
            copyright: c.copyright,
            description: c.description,
            files_analyzed: None,
            extensions: ext(extra),
        };
        self.sbom.packages.push(package);
        for child in children {
            self.component(child, Some(&id), false);
        }
        id
    }
}

fn ack(s: Option<&str>) -> LicenseKind {
    match s {
        Some("declared") => LicenseKind::Declared,
        Some("concluded") => LicenseKind::Concluded,
        _ => LicenseKind::Unspecified,
    }
}

fn license_from_wire(choice: WLicenseChoice) -> License {
    let mut extra = choice.extra;
    if let Some(expr) = choice.expression {
        let mut l = License::new(
            ack(choice.acknowledgement.as_deref()),
            LicenseValue::Expression(expr),
        );
        if let Some(lic) = choice.license {
            // Both forms in one entry is schema-invalid; keep the object for a faithful rewrite.
            extra.insert(
                "license".to_owned(),
                serde_json::to_value(lic).unwrap_or(Value::Null),
            );
        }
        l.extensions = ext(extra);
        return l;
    }
    let lic = choice.license.unwrap_or_default();
    let value = match (lic.id, lic.name) {
        (Some(id), None) => LicenseValue::Id(id),
        (None, Some(name)) => LicenseValue::Name(name),
        (Some(id), Some(name)) => {
            let mut l = License::new(ack(lic.acknowledgement.as_deref()), LicenseValue::Id(id));
            let mut e = lic.extra;
            e.insert("name".to_owned(), Value::String(name));
            l.extensions = ext(e);
            return l;
        }
        (None, None) => LicenseValue::Name(String::new()),
    };
    let mut l = License::new(ack(lic.acknowledgement.as_deref()), value);
    l.extensions = ext(lic.extra);
    if let Some(a) = choice.acknowledgement {
        // `acknowledgement` beside `license` is not in any schema; keep it anyway.
        extra.insert("acknowledgement".to_owned(), Value::String(a));
    }
    if !extra.is_empty() {
        l.extensions
            .fields
            .insert(OUTER.to_owned(), Value::Object(extra));
        l.extensions.family = Some(FAMILY);
    }
    l
}

/// Writes a CycloneDX JSON document of the given version (1.4, 1.5 or 1.6; 1.7 is written as
/// 1.6).
///
/// ```
/// use boltseal_sbom::{CycloneDxVersion, Package, Sbom, WriteOptions};
///
/// let mut sbom = Sbom::new("demo");
/// let mut p = Package::new("pkg-a", "a");
/// p.purl = Some("pkg:npm/a@1.0.0".into());
/// sbom.packages.push(p);
/// let out = boltseal_sbom::cyclonedx::write(&sbom, CycloneDxVersion::V1_6, &WriteOptions::new())?;
/// let text = String::from_utf8(out.bytes).unwrap();
/// assert!(text.contains(r#""specVersion":"1.6""#));
/// assert!(text.contains(r#""purl":"pkg:npm/a@1.0.0""#));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// None at present; the `Result` leaves room for refusing models CycloneDX cannot express.
pub fn write(
    sbom: &Sbom,
    version: CycloneDxVersion,
    opts: &WriteOptions,
) -> Result<Written, Error> {
    let version = if version == CycloneDxVersion::V1_7 {
        CycloneDxVersion::V1_6
    } else {
        version
    };
    let source_version = match sbom.source {
        Some(Format::CycloneDx(v)) => Some(v),
        _ => None,
    };
    let mut w = Writer {
        sbom,
        version,
        same_or_older_source: source_version.is_none_or(|v| v <= version),
        report: Report::default(),
    };
    let hint = 4096 + sbom.packages.len() * 1500 + sbom.relationships.len() * 100;
    let bom = w.bom();
    let mut report = w.report;
    let downgraded = source_version.is_some_and(|v| v > version);
    if downgraded {
        // Kept fields may hold structures of the newer version: drop what the older schema
        // rejects, below the level of components, services and dependencies; then write the
        // pruned document again so that its field order is the writer's usual one.
        let mut value = serde_json::to_value(&bom).unwrap_or(Value::Null);
        prune_invalid(&mut value, &mut report);
        let pruned = serde_json::from_value::<WBom>(value)
            .map_err(|source| Error::Json {
                format: "CycloneDX JSON",
                source,
            })
            .and_then(from_wire)?;
        let again = write(&pruned, version, opts)?;
        report.extend(again.report);
        return Ok(Written {
            bytes: again.bytes,
            report,
        });
    }
    Ok(Written {
        bytes: to_bytes(&bom, opts.is_pretty(), hint),
        report,
    })
}
