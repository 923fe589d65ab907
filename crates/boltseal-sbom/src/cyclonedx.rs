//! CycloneDX JSON: read 1.4, 1.5, 1.6 (and 1.7 where it is a superset), write 1.4, 1.5, 1.6.
//!
//! Nested components are flattened into [`Sbom::packages`] with `CONTAINS` relationships from
//! their parent, `metadata.component` becomes the target of the document's `DESCRIBES`, and
//! `dependencies` become `DEPENDS_ON` relationships (an empty `dependsOn` is `DEPENDS_ON NONE`).
//! The writer reverses each of these. Fields the model does not hold are kept in
//! [`Extensions`]; when writing an older version than the one read, kept fields the older
//! schema does not allow are dropped and reported.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::{Error, Report, WriteOptions, Written, to_bytes};
use crate::model::{
    Actor, ActorKind, Checksum, CycloneDxVersion, DocumentInfo, Extensions, ExternalRef, Format,
    FormatFamily, HashAlgorithm, License, LicenseKind, LicenseValue, Package, Property, Purpose,
    Relationship, RelationshipType, Sbom,
};
use crate::wire::{extras_for, out_struct, wire_struct};

const FAMILY: FormatFamily = FormatFamily::CycloneDx;

wire_struct!(WBom {
    schema: String = "$schema",
    bom_format: String = "bomFormat",
    spec_version: String = "specVersion",
    serial: String = "serialNumber",
    version: u64 = "version",
    metadata: WMetadata = "metadata",
    components: Vec<WComponent> = "components",
    dependencies: Vec<WDependency> = "dependencies",
});

wire_struct!(WMetadata {
    timestamp: String = "timestamp",
    tools: Value = "tools",
    authors: Vec<WContact> = "authors",
    component: Box<WComponent> = "component",
    manufacturer: WEntity = "manufacturer",
});

wire_struct!(WComponent {
    kind: String = "type",
    bom_ref: String = "bom-ref",
    supplier: WEntity = "supplier",
    author: String = "author",
    group: String = "group",
    name: String = "name",
    version: String = "version",
    description: String = "description",
    hashes: Vec<WHash> = "hashes",
    licenses: Vec<WLicenseChoice> = "licenses",
    copyright: String = "copyright",
    cpe: String = "cpe",
    purl: String = "purl",
    external_references: Vec<WExtRef> = "externalReferences",
    components: Vec<WComponent> = "components",
    properties: Vec<WProperty> = "properties",
});

wire_struct!(WLicenseChoice {
    license: WLicense = "license",
    expression: String = "expression",
    acknowledgement: String = "acknowledgement",
});

wire_struct!(WLicense {
    id: String = "id",
    name: String = "name",
    acknowledgement: String = "acknowledgement",
});

wire_struct!(WHash {
    alg: String = "alg",
    content: String = "content",
});

wire_struct!(WExtRef {
    url: String = "url",
    comment: String = "comment",
    kind: String = "type",
});

wire_struct!(WProperty {
    name: String = "name",
    value: String = "value",
});

wire_struct!(WEntity {
    name: String = "name"
});

wire_struct!(WContact {
    name: String = "name",
    email: String = "email",
});

wire_struct!(WTool {
    kind: String = "type",
    name: String = "name",
    version: String = "version",
});

wire_struct!(WDependency {
    reference: String = "ref",
    depends_on: Vec<String> = "dependsOn",
});

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

/// Keys the schema of `version` allows on a top-level BOM, `metadata`, or a component.
fn allowed(object: &str, key: &str, version: CycloneDxVersion) -> bool {
    use CycloneDxVersion::{V1_4, V1_5, V1_6};
    let since = match (object, key) {
        (
            "bom",
            "$schema" | "externalReferences" | "compositions" | "services" | "signature"
            | "vulnerabilities",
        ) => V1_4,
        ("bom", "annotations" | "formulation" | "properties") => V1_5,
        ("bom", "declarations" | "definitions") => V1_6,
        ("metadata", "tools" | "supplier" | "licenses" | "properties" | "manufacture") => V1_4,
        ("metadata", "lifecycles") => V1_5,
        (
            "component",
            "mime-type" | "publisher" | "scope" | "swid" | "modified" | "pedigree" | "evidence"
            | "releaseNotes" | "signature",
        ) => V1_4,
        ("component", "modelCard" | "data") => V1_5,
        (
            "component",
            "manufacturer" | "authors" | "omniborId" | "swhid" | "cryptoProperties" | "tags",
        ) => V1_6,
        (_, k) if k.starts_with('\u{0}') => V1_4,
        _ => return false,
    };
    version >= since
}

struct Writer<'a> {
    sbom: &'a Sbom,
    version: CycloneDxVersion,
    same_or_older_source: bool,
    report: Report,
}

impl<'a> Writer<'a> {
    /// The kept fields of `e` allowed on `object` in the target version; the rest is reported.
    fn extras(
        &mut self,
        element: &str,
        object: &str,
        e: &'a Extensions,
    ) -> Option<Cow<'a, Map<String, Value>>> {
        let Some(fields) = e.for_family(FAMILY) else {
            if !e.is_empty() {
                let keys: Vec<&str> = e.fields.keys().map(String::as_str).collect();
                self.report.note(
                    element,
                    format!("no CycloneDX field for SPDX {}", keys.join(", ")),
                );
            }
            return None;
        };
        if self.same_or_older_source || object == "any" {
            return extras_for(e, FAMILY);
        }
        let mut out = Map::new();
        for (k, v) in fields {
            if k.starts_with('\u{0}') {
                continue;
            }
            if allowed(object, k, self.version) {
                out.insert(k.clone(), v.clone());
            } else {
                self.report.note(
                    element,
                    format!(
                        "{k} is not part of CycloneDX {} and was dropped",
                        self.version.as_str()
                    ),
                );
            }
        }
        (!out.is_empty()).then_some(Cow::Owned(out))
    }
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

fn pointer_segments(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Orders pointers so that removing them in this order never shifts a later one: deeper and
/// higher-indexed first.
fn pointer_order(a: &[String], b: &[String]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<usize>(), y.parse::<usize>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            _ => x.cmp(y),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord.reverse();
        }
    }
    b.len().cmp(&a.len())
}

/// Whether a node is something the writer itself produced from the model (never pruned).
fn protected(segments: &[String]) -> bool {
    let mut i = 0;
    if segments.first().is_some_and(|s| s == "metadata") {
        i = 1;
        if segments.get(1).is_some_and(|s| s == "component") {
            i = 2;
        } else if segments.len() == 1 || segments.len() == 2 {
            return true;
        }
    }
    // Walk components/N pairs.
    while i + 1 < segments.len()
        && matches!(segments[i].as_str(), "components" | "dependencies")
        && segments[i + 1].parse::<usize>().is_ok()
    {
        i += 2;
    }
    let rest = &segments[i..];
    match rest {
        [] => true,
        [field] => matches!(
            field.as_str(),
            "name"
                | "type"
                | "bom-ref"
                | "version"
                | "purl"
                | "cpe"
                | "group"
                | "supplier"
                | "author"
                | "description"
                | "copyright"
                | "hashes"
                | "licenses"
                | "externalReferences"
                | "properties"
                | "components"
                | "ref"
                | "dependsOn"
                | "bomFormat"
                | "specVersion"
                | "serialNumber"
                | "metadata"
                | "dependencies"
        ),
        _ => false,
    }
}

fn remove_pointer(root: &mut Value, segments: &[String]) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut cur = root;
    for s in parents {
        cur = match cur {
            Value::Object(m) => match m.get_mut(s) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match cur {
        Value::Object(m) => m.remove(last).is_some(),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn prune_invalid(value: &mut Value, report: &mut Report) {
    for _round in 0..8 {
        let Ok(v) = crate::validate::validate_value(value) else {
            return;
        };
        let mut nodes: Vec<Vec<String>> = v
            .findings
            .iter()
            .filter(|f| f.severity == crate::validate::Severity::Error && !f.node().is_empty())
            .map(|f| pointer_segments(f.node()))
            .filter(|s| !protected(s))
            .collect();
        nodes.sort_by(|a, b| pointer_order(a, b));
        nodes.dedup();
        let mut removed = false;
        for n in &nodes {
            if remove_pointer(value, n) {
                removed = true;
                report.note(
                    format!("/{}", n.join("/")),
                    "not valid in the target CycloneDX version; dropped",
                );
            }
        }
        if !removed {
            return;
        }
    }
}

fn valid_serial(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = u.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

impl<'a> Writer<'a> {
    fn bom(&mut self) -> OBom<'a> {
        let sbom = self.sbom;
        let d = &sbom.document;
        let mut extra = self.extras("document", "bom", &sbom.extensions);
        let kept_schema = extra
            .as_ref()
            .and_then(|m| m.get("$schema"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let same_version = sbom.source == Some(Format::CycloneDx(self.version));
        let schema = match (kept_schema, same_version) {
            (Some(s), true) => s,
            _ => format!(
                "http://cyclonedx.org/schema/bom-{}.schema.json",
                self.version.as_str()
            ),
        };
        if let Some(m) = extra.as_mut()
            && m.contains_key("$schema")
        {
            m.to_mut().remove("$schema");
        }
        let extra = extra.filter(|m| !m.is_empty());
        let serial: Option<Cow<'a, str>> = d.namespace.as_ref().map(|ns| {
            if valid_serial(ns) {
                Cow::Borrowed(ns.as_str())
            } else {
                let s = format!("urn:uuid:{}", crate::convert::derived_uuid(&[ns]));
                self.report.note(
                    "document",
                    format!("namespace {ns} is not a urn:uuid; serialNumber {s} derived from it"),
                );
                Cow::Owned(s)
            }
        });
        if d.data_license.as_deref().is_some_and(|l| l != "CC0-1.0") {
            self.report
                .note("document", "no CycloneDX field for the data license");
        }
        if d.name.is_some() && sbom.described().next().is_none() {
            self.report
                .note("document", "no CycloneDX field for the document name");
        }

        // Which package is metadata.component, and which packages nest under which.
        let index: HashMap<&str, usize> = sbom
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.id.is_empty())
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut root = None;
        let mut handled = vec![false; sbom.relationships.len()];
        for (i, r) in sbom.relationships.iter().enumerate() {
            if r.from == d.id && r.kind == RelationshipType::DESCRIBES {
                match (root, index.get(r.to.as_str())) {
                    (None, Some(&p)) => {
                        root = Some(p);
                        handled[i] = true;
                    }
                    (Some(_), Some(_)) => {
                        self.report.note(
                            &r.to,
                            "the document describes several packages; CycloneDX has one metadata.component, this one is listed among the components",
                        );
                        handled[i] = true;
                    }
                    _ => {}
                }
            }
        }
        let n = sbom.packages.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut parents_seen = vec![0u32; n];
        let mut contains_edge: Vec<Option<usize>> = vec![None; n];
        for (i, r) in sbom.relationships.iter().enumerate() {
            if r.kind != RelationshipType::CONTAINS {
                continue;
            }
            let (Some(&from), Some(&to)) = (index.get(r.from.as_str()), index.get(r.to.as_str()))
            else {
                continue;
            };
            if from == to || Some(to) == root {
                continue;
            }
            parents_seen[to] += 1;
            parent[to] = Some(from);
            contains_edge[to] = Some(i);
        }
        for c in 0..n {
            if parents_seen[c] != 1 {
                parent[c] = None;
            }
        }
        // A package contained by the root stays top-level (containment is implicit); the edge is
        // still carried.
        for c in 0..n {
            if let (Some(p), Some(e)) = (parent[c], contains_edge[c])
                && Some(p) == root
            {
                parent[c] = None;
                handled[e] = true;
            }
        }
        // Break cycles: a package whose parent chain never reaches a top-level package stays
        // top-level.
        for c in 0..n {
            let mut seen = HashSet::new();
            let mut cur = c;
            while let Some(p) = parent[cur] {
                if !seen.insert(cur) {
                    parent[c] = None;
                    break;
                }
                cur = p;
            }
        }
        for c in 0..n {
            if let (Some(_), Some(e)) = (parent[c], contains_edge[c]) {
                handled[e] = true;
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (c, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(c);
            }
        }
        let metadata_component = root.map(|r| Box::new(self.component(r, &children)));
        let components: Vec<OComponent<'a>> = (0..n)
            .filter(|&i| parent[i].is_none() && Some(i) != root)
            .map(|i| self.component(i, &children))
            .collect();
        for f in &sbom.files {
            self.report.note(
                &f.id,
                "SPDX file not written (convert::prepare turns files into file components)",
            );
        }

        // Dependencies, grouped by dependent in order of first appearance.
        let mut order: Vec<&'a str> = Vec::new();
        type Entry<'x> = (Vec<&'x str>, Option<&'x Map<String, Value>>);
        let mut deps: HashMap<&'a str, Entry<'a>> = HashMap::new();
        let mut edges: HashSet<(&'a str, &'a str)> = HashSet::new();
        for (i, r) in sbom.relationships.iter().enumerate() {
            let (from, to) = if r.kind == RelationshipType::DEPENDS_ON {
                (r.from.as_str(), r.to.as_str())
            } else if r.kind == RelationshipType::DEPENDENCY_OF {
                (r.to.as_str(), r.from.as_str())
            } else {
                continue;
            };
            handled[i] = true;
            let entry = deps.entry(from).or_insert_with(|| {
                order.push(from);
                (Vec::new(), None)
            });
            if to != "NONE" && to != "NOASSERTION" && edges.insert((from, to)) {
                entry.0.push(to);
            }
            if entry.1.is_none() {
                entry.1 = r.extensions.for_family(FAMILY);
            }
        }
        let dependencies: Vec<ODependency<'a>> = order
            .iter()
            .filter_map(|from| {
                let (to, extra) = deps.remove(from)?;
                Some(ODependency {
                    reference: Some(from),
                    depends_on: Some(to),
                    extra: extra.map(Cow::Borrowed),
                })
            })
            .collect();
        for (i, r) in sbom.relationships.iter().enumerate() {
            if !handled[i] {
                self.report.note(
                    &r.from,
                    format!(
                        "relationship {} {} has no CycloneDX equivalent",
                        r.kind, r.to
                    ),
                );
            }
        }

        let mut md_extra = self.extras("document", "metadata", &d.extensions);
        let verbatim_tools = md_extra.as_ref().is_some_and(|m| m.contains_key("tools"));
        let legacy_tools = d
            .extensions
            .for_family(FAMILY)
            .is_some_and(|f| f.contains_key(LEGACY_TOOLS));
        let mut tools = Vec::new();
        let mut authors = Vec::new();
        let mut manufacturer = None;
        for c in &d.creators {
            match c.kind {
                ActorKind::Tool => {
                    if !verbatim_tools {
                        // CycloneDX tools are unique items: a repeated creator is written once.
                        let tool = self.tool(c);
                        if tools.contains(&tool) {
                            self.report.note(
                                "document",
                                format!("creator tool {:?} repeated; written once", c.name),
                            );
                        } else {
                            tools.push(tool);
                        }
                    }
                }
                ActorKind::Person => authors.push(self.contact(c)),
                ActorKind::Organization
                    if self.version >= CycloneDxVersion::V1_6 && manufacturer.is_none() =>
                {
                    manufacturer = Some(OEntity {
                        name: Some(c.name.as_str()),
                        extra: self.extras(&c.name, "any", &c.extensions),
                    });
                }
                ActorKind::Organization => {
                    self.report.note(
                        "document",
                        format!("creator organization {:?} written as an author", c.name),
                    );
                    authors.push(self.contact(c));
                }
                ActorKind::NoAssertion => {}
            }
        }
        let tools = if verbatim_tools || tools.is_empty() {
            None
        } else if self.version == CycloneDxVersion::V1_4 || legacy_tools {
            Some(Value::Array(tools))
        } else {
            let mut obj = Map::new();
            obj.insert("components".to_owned(), Value::Array(tools));
            Some(Value::Object(obj))
        };
        if let Some(m) = md_extra.as_mut()
            && self.version == CycloneDxVersion::V1_4
            && m.get("tools").is_some_and(Value::is_object)
        {
            m.to_mut().remove("tools");
            self.report.note(
                "document",
                "CycloneDX 1.4 has no tool components or services",
            );
        }
        let metadata = OMetadata {
            timestamp: d.created.as_deref(),
            tools,
            authors: (!authors.is_empty()).then_some(authors),
            component: metadata_component,
            manufacturer,
            extra: md_extra.filter(|m| !m.is_empty()),
        };
        let metadata_empty = metadata.timestamp.is_none()
            && metadata.tools.is_none()
            && metadata.authors.is_none()
            && metadata.component.is_none()
            && metadata.manufacturer.is_none()
            && metadata.extra.is_none();
        OBom {
            schema: Some(schema),
            bom_format: Some("CycloneDX"),
            spec_version: Some(self.version.as_str()),
            serial,
            version: Some(d.version.unwrap_or(1)),
            metadata: (!metadata_empty).then_some(metadata),
            components: Some(components),
            dependencies: (!dependencies.is_empty()).then_some(dependencies),
            extra,
        }
    }

    fn tool(&mut self, c: &'a Actor) -> Value {
        let mut extra = self
            .extras(&c.name, "any", &c.extensions)
            .map(Cow::into_owned)
            .unwrap_or_default();
        let mut obj = Map::new();
        let legacy = self.version == CycloneDxVersion::V1_4
            || self
                .sbom
                .document
                .extensions
                .for_family(FAMILY)
                .is_some_and(|f| f.contains_key(LEGACY_TOOLS));
        if legacy {
            extra.remove("type");
            // Component-only fields have no place in a legacy tool.
            extra.retain(|k, _| matches!(k.as_str(), "vendor" | "hashes" | "externalReferences"));
        } else {
            obj.insert(
                "type".to_owned(),
                extra
                    .remove("type")
                    .unwrap_or_else(|| Value::String("application".to_owned())),
            );
            if let Some(vendor) = extra.remove("vendor") {
                extra.entry("group").or_insert(vendor);
            }
        }
        obj.insert("name".to_owned(), Value::String(c.name.clone()));
        if let Some(v) = &c.version {
            obj.insert("version".to_owned(), Value::String(v.clone()));
        }
        obj.extend(extra);
        Value::Object(obj)
    }

    fn contact(&mut self, c: &'a Actor) -> OContact<'a> {
        OContact {
            name: Some(c.name.as_str()),
            email: c.email.as_deref().filter(|e| !e.is_empty()),
            extra: self.extras(&c.name, "any", &c.extensions),
        }
    }

    fn component(&mut self, i: usize, children: &[Vec<usize>]) -> OComponent<'a> {
        let p: &'a Package = &self.sbom.packages[i];
        let id = p.id.as_str();
        let kind: &'a str = match &p.purpose {
            Some(purpose) => match purpose.cyclonedx_name() {
                Some((name, since)) if since <= self.version => name,
                _ => {
                    if let Purpose::Unknown(s) = purpose {
                        s.as_str()
                    } else {
                        self.report.note(
                            id,
                            format!(
                                "no CycloneDX {} component type for {purpose:?}; written as library",
                                self.version.as_str()
                            ),
                        );
                        "library"
                    }
                }
            },
            None => "library",
        };
        let mut cpes = p.cpes.iter();
        let cpe = cpes.next().map(String::as_str);
        let mut properties: Vec<OProperty<'a>> = p
            .properties
            .iter()
            .map(|pr| OProperty {
                name: Some(pr.name.as_str()),
                value: pr.value.as_deref(),
                extra: None,
            })
            .collect();
        for c in cpes {
            // syft's convention for the CPEs after the first.
            properties.push(OProperty {
                name: Some("syft:cpe23"),
                value: Some(c.as_str()),
                extra: None,
            });
        }
        let mut hashes = Vec::with_capacity(p.checksums.len());
        for c in &p.checksums {
            match c.algorithm.cyclonedx_name() {
                Some(alg) => hashes.push(OHash {
                    alg: Some(alg),
                    content: Some(c.value.as_str()),
                    extra: None,
                }),
                None => self.report.note(
                    id,
                    format!(
                        "no CycloneDX hash algorithm for {}",
                        c.algorithm.spdx_name()
                    ),
                ),
            }
        }
        let mut external_references = Vec::with_capacity(p.external_refs.len());
        for r in &p.external_refs {
            if r.category.is_some() {
                self.report.note(
                    id,
                    format!(
                        "SPDX external reference {} {} not written",
                        r.kind, r.locator
                    ),
                );
                continue;
            }
            external_references.push(OExtRef {
                url: Some(r.locator.as_str()),
                comment: r.comment.as_deref(),
                kind: Some(r.kind.as_str()),
                extra: self.extras(id, "any", &r.extensions),
            });
        }
        if p.download_location
            .as_deref()
            .is_some_and(|l| l != "NOASSERTION" && l != "NONE")
            || p.homepage.is_some()
        {
            self.report.note(
                id,
                "download location / homepage not written (convert::prepare maps them to external references)",
            );
        }
        let licenses = self.licenses(id, &p.licenses);
        let supplier = match &p.supplier {
            Some(s) if s.kind != ActorKind::NoAssertion => Some(OEntity {
                name: Some(s.name.as_str()),
                extra: self.extras(id, "any", &s.extensions),
            }),
            _ => None,
        };
        let author: Option<Cow<'a, str>> = p.originator.as_ref().and_then(|o| {
            (o.kind != ActorKind::NoAssertion).then(|| match &o.email {
                Some(e) => Cow::Owned(format!("{} ({e})", o.name)),
                None => Cow::Borrowed(o.name.as_str()),
            })
        });
        let nested: Vec<OComponent<'a>> = children[i]
            .iter()
            .map(|&c| self.component(c, children))
            .collect();
        let extra = self.extras(id, "component", &p.extensions);
        OComponent {
            kind: Some(kind),
            bom_ref: (!id.is_empty() && !id.starts_with(PLACEHOLDER)).then_some(id),
            supplier,
            author,
            group: p.group.as_deref(),
            name: Some(p.name.as_str()),
            version: p.version.as_deref(),
            description: p.description.as_deref(),
            hashes: (!hashes.is_empty()).then_some(hashes),
            licenses,
            copyright: p
                .copyright
                .as_deref()
                .filter(|c| *c != "NOASSERTION" && *c != "NONE"),
            cpe,
            purl: p.purl.as_deref(),
            external_references: (!external_references.is_empty()).then_some(external_references),
            components: (!nested.is_empty()).then_some(nested),
            properties: (!properties.is_empty()).then_some(properties),
            extra,
        }
    }

    fn licenses(&mut self, id: &str, licenses: &'a [License]) -> Option<Vec<OLicenseChoice<'a>>> {
        let with_ack = self.version >= CycloneDxVersion::V1_6;
        let ack_str = |k: LicenseKind| match k {
            LicenseKind::Declared if with_ack => Some("declared"),
            LicenseKind::Concluded if with_ack => Some("concluded"),
            _ => None,
        };
        // Drop SPDX's NOASSERTION / NONE: CycloneDX says nothing instead.
        let usable: Vec<&'a License> = licenses
            .iter()
            .filter(|l| {
                !matches!(&l.value, LicenseValue::Expression(e) if e == "NOASSERTION" || e == "NONE")
            })
            .collect();
        if usable.is_empty() {
            return None;
        }
        // With more than one statement, an expression that is a single license id becomes an
        // id (licenseChoice cannot mix an expression with anything else).
        let is_expression = |l: &License| match &l.value {
            LicenseValue::Expression(e) => usable.len() == 1 || !crate::license::is_single_id(e),
            _ => false,
        };
        let expressions: Vec<usize> = usable
            .iter()
            .enumerate()
            .filter(|(_, l)| is_expression(l))
            .map(|(i, _)| i)
            .collect();
        if let Some(&first) = expressions.first() {
            // licenseChoice allows one expression and nothing else: prefer the declared one.
            let pick = expressions
                .iter()
                .copied()
                .find(|&i| usable[i].kind != LicenseKind::Concluded)
                .unwrap_or(first);
            for (i, l) in usable.iter().enumerate() {
                if i != pick {
                    let text = match &l.value {
                        LicenseValue::Expression(s)
                        | LicenseValue::Id(s)
                        | LicenseValue::Name(s) => s,
                    };
                    self.report.note(
                        id,
                        format!(
                            "license {text:?} not written: CycloneDX allows a single expression per component"
                        ),
                    );
                }
            }
            let l = usable[pick];
            let LicenseValue::Expression(expr) = &l.value else {
                return None;
            };
            let mut extra = self.extras(id, "any", &l.extensions);
            if !with_ack && let Some(m) = extra.as_mut() {
                m.to_mut().remove("acknowledgement");
            }
            return Some(vec![OLicenseChoice {
                license: None,
                expression: Some(expr.as_str()),
                acknowledgement: ack_str(l.kind),
                extra,
            }]);
        }
        let mut out = Vec::with_capacity(usable.len());
        for l in usable {
            let mut extra = self.extras(id, "any", &l.extensions);
            let outer = l
                .extensions
                .for_family(FAMILY)
                .and_then(|f| f.get(OUTER))
                .and_then(Value::as_object)
                .map(Cow::Borrowed);
            if let Some(m) = extra.as_mut() {
                for k in ["bom-ref", "licensing", "properties", "acknowledgement"] {
                    let drop = (!with_ack && k == "acknowledgement")
                        || self.version == CycloneDxVersion::V1_4;
                    if drop && m.contains_key(k) {
                        m.to_mut().remove(k);
                    }
                }
            }
            let (lid, name) = match &l.value {
                LicenseValue::Id(i) | LicenseValue::Expression(i) => (Some(i.as_str()), None),
                LicenseValue::Name(n) => (None, Some(n.as_str())),
            };
            out.push(OLicenseChoice {
                license: Some(OLicense {
                    id: lid,
                    name,
                    acknowledgement: ack_str(l.kind),
                    extra,
                }),
                expression: None,
                acknowledgement: None,
                extra: outer,
            });
        }
        Some(out)
    }
}

out_struct!(OBom<'a> {
    schema: String = "$schema",
    bom_format: &'a str = "bomFormat",
    spec_version: &'a str = "specVersion",
    serial: Cow<'a, str> = "serialNumber",
    version: u64 = "version",
    metadata: OMetadata<'a> = "metadata",
    components: Vec<OComponent<'a>> = "components",
    dependencies: Vec<ODependency<'a>> = "dependencies",
});

out_struct!(OMetadata<'a> {
    timestamp: &'a str = "timestamp",
    tools: Value = "tools",
    authors: Vec<OContact<'a>> = "authors",
    component: Box<OComponent<'a>> = "component",
    manufacturer: OEntity<'a> = "manufacturer",
});

out_struct!(OComponent<'a> {
    kind: &'a str = "type",
    bom_ref: &'a str = "bom-ref",
    supplier: OEntity<'a> = "supplier",
    author: Cow<'a, str> = "author",
    group: &'a str = "group",
    name: &'a str = "name",
    version: &'a str = "version",
    description: &'a str = "description",
    hashes: Vec<OHash<'a>> = "hashes",
    licenses: Vec<OLicenseChoice<'a>> = "licenses",
    copyright: &'a str = "copyright",
    cpe: &'a str = "cpe",
    purl: &'a str = "purl",
    external_references: Vec<OExtRef<'a>> = "externalReferences",
    components: Vec<OComponent<'a>> = "components",
    properties: Vec<OProperty<'a>> = "properties",
});

out_struct!(OLicenseChoice<'a> {
    license: OLicense<'a> = "license",
    expression: &'a str = "expression",
    acknowledgement: &'a str = "acknowledgement",
});

out_struct!(OLicense<'a> {
    id: &'a str = "id",
    name: &'a str = "name",
    acknowledgement: &'a str = "acknowledgement",
});

out_struct!(OHash<'a> {
    alg: &'a str = "alg",
    content: &'a str = "content",
});

out_struct!(OExtRef<'a> {
    url: &'a str = "url",
    comment: &'a str = "comment",
    kind: &'a str = "type",
});

out_struct!(OProperty<'a> {
    name: &'a str = "name",
    value: &'a str = "value",
});

out_struct!(OEntity<'a> { name: &'a str = "name" });

out_struct!(OContact<'a> {
    name: &'a str = "name",
    email: &'a str = "email",
});

out_struct!(ODependency<'a> {
    reference: &'a str = "ref",
    depends_on: Vec<&'a str> = "dependsOn",
});

#[cfg(test)]
mod tests {
    use super::valid_serial;

    #[test]
    fn serials() {
        assert!(valid_serial(
            "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        ));
        assert!(!valid_serial("urn:uuid:3e671687-395b-41f5-a30f"));
        assert!(!valid_serial(
            "urn:uuid:3E671687-395b-41f5-a30f-a58921a69b79"
        ));
    }
}
