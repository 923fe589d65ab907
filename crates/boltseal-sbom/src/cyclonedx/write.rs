//! The CycloneDX writer: the model back into components, nesting, `metadata.component` and
//! `dependencies`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::Report;
use crate::model::{
    Actor, ActorKind, CycloneDxVersion, Extensions, Format, License, LicenseKind, LicenseValue,
    Package, Purpose, RelationshipType, Sbom,
};
use crate::wire::extras_for;

use super::wire::*;
use super::{FAMILY, LEGACY_TOOLS, OUTER, PLACEHOLDER};

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

pub(super) struct Writer<'a> {
    pub(super) sbom: &'a Sbom,
    pub(super) version: CycloneDxVersion,
    pub(super) same_or_older_source: bool,
    pub(super) report: Report,
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
    pub(super) fn bom(&mut self) -> OBom<'a> {
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
