//! The semantic rules the schemas cannot express: unique ids and `bom-ref`s, references that
//! point at existing elements, a `DESCRIBES`, `filesAnalyzed` consistency, valid purls,
//! license expressions and CPE names, checksum lengths.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::Severity;
use super::formats::{is_cpe23, is_uri};
use super::schema::{Version, Walker};
use crate::model::HashAlgorithm;

// ------------------------------------------------------------------------------------------
// CycloneDX.

fn collect_bom_refs<'v>(v: &'v Value, path: &mut String, out: &mut Vec<(&'v str, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "bom-ref" {
                    if let Some(s) = x.as_str() {
                        out.push((s, path.clone()));
                    }
                    continue;
                }
                let len = path.len();
                path.push('/');
                path.push_str(k);
                collect_bom_refs(x, path, out);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                collect_bom_refs(x, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a bom-ref path is a component or service (possibly nested, or the metadata
/// component), as opposed to a bom-ref of some other object.
fn is_graph_element(path: &str) -> bool {
    let rest = path.strip_prefix("/metadata/component").unwrap_or(path);
    let rest = rest.strip_prefix("/metadata/tools").unwrap_or(rest);
    let mut parts = rest.split('/').skip(1);
    let mut any = path.starts_with("/metadata/component");
    loop {
        match (parts.next(), parts.next()) {
            (None, _) => return any,
            (Some("components" | "services"), Some(i)) if i.parse::<usize>().is_ok() => any = true,
            _ => return false,
        }
    }
}

fn components_recursive<'v>(v: &'v Value, path: String, out: &mut Vec<(String, &'v Value)>) {
    if let Some(list) = v.get("components").and_then(Value::as_array) {
        for (i, c) in list.iter().enumerate() {
            let p = format!("{path}/components/{i}");
            out.push((p.clone(), c));
            components_recursive(c, p, out);
        }
    }
}

/// The CycloneDX semantic rules.
pub(super) fn cyclonedx<V: Version>(w: &mut Walker<V>, v: &Value) {
    let mut refs = Vec::new();
    collect_bom_refs(v, &mut String::new(), &mut refs);
    let mut seen: HashMap<&str, &str> = HashMap::with_capacity(refs.len());
    for (r, path) in &refs {
        if r.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(r, path) {
            // Components and services are what dependencies and compositions point at:
            // a duplicate there makes references ambiguous. Elsewhere (formulation
            // workspaces, licenses, …) the specification's own examples repeat bom-refs.
            let severity = if is_graph_element(first) && is_graph_element(path) {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.finding(
                severity,
                r,
                format!("bom-ref is not unique (at {first} and {path})"),
            );
        }
    }
    let exists = |r: &str| seen.contains_key(r) || r.starts_with("urn:cdx:");
    if let Some(deps) = v.get("dependencies").and_then(Value::as_array) {
        let mut dependents = HashSet::new();
        for (i, d) in deps.iter().enumerate() {
            let Some(r) = d.get("ref").and_then(Value::as_str) else {
                continue;
            };
            let element = if r.is_empty() {
                format!("/dependencies/{i}")
            } else {
                r.to_owned()
            };
            if !r.is_empty() && !exists(r) {
                w.finding(
                    Severity::Error,
                    &element,
                    "dependency ref names no component or service in this BOM",
                );
            }
            if !dependents.insert(r) {
                w.finding(
                    Severity::Error,
                    &element,
                    "more than one dependencies entry for this ref",
                );
            }
            for key in ["dependsOn", "provides"] {
                for t in d.get(key).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(t) = t.as_str()
                        && !t.is_empty()
                        && !exists(t)
                    {
                        w.finding(
                            Severity::Error,
                            &element,
                            format!("{key} {t:?} names no component or service in this BOM"),
                        );
                    }
                }
            }
        }
    }
    let mut components = Vec::new();
    if let Some(m) = v.get("metadata").and_then(|m| m.get("component")) {
        components.push(("/metadata/component".to_owned(), m));
        components_recursive(m, "/metadata/component".to_owned(), &mut components);
    }
    components_recursive(v, String::new(), &mut components);
    for (path, c) in components {
        let element = c
            .get("bom-ref")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map_or(path, str::to_owned);
        if let Some(p) = c.get("purl").and_then(Value::as_str)
            && let Err(e) = p.parse::<crate::Purl>()
        {
            w.finding(purl_severity(&e), &element, format!("invalid purl: {e}"));
        }
        for choice in c
            .get("licenses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(e) = choice.get("expression").and_then(Value::as_str)
                && let Err(err) = crate::LicenseExpression::parse(e)
            {
                w.finding(Severity::Error, &element, err.to_string());
            }
        }
        if let Some(cpe) = c.get("cpe").and_then(Value::as_str)
            && cpe.starts_with("cpe:2.3:")
            && !is_cpe23(cpe)
        {
            w.finding(
                Severity::Warning,
                &element,
                format!("{cpe:?} is not a well-formed CPE 2.3 name"),
            );
        }
    }
}

fn purl_severity(e: &crate::PurlError) -> Severity {
    if e.is_type_rule() {
        Severity::Warning
    } else {
        Severity::Error
    }
}

// ------------------------------------------------------------------------------------------
// SPDX.

/// The SPDX semantic rules.
pub(super) fn spdx(w: &mut Walker<()>, v: &Value) {
    let str_of = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_owned);
    let doc_id = str_of(v, "SPDXID").unwrap_or_default();
    if doc_id != crate::model::DOCUMENT_ID {
        w.finding(
            Severity::Error,
            "/SPDXID",
            format!("the document id must be SPDXRef-DOCUMENT, not {doc_id:?}"),
        );
    }
    match str_of(v, "documentNamespace") {
        None => w.finding(
            Severity::Error,
            "/documentNamespace",
            "the document namespace is missing",
        ),
        Some(ns) => {
            if !is_uri(&ns) || ns.contains('#') {
                w.finding(
                    Severity::Error,
                    "/documentNamespace",
                    format!("{ns:?} is not a URI without a fragment"),
                );
            }
        }
    }
    if let Some(dl) = str_of(v, "dataLicense")
        && dl != "CC0-1.0"
    {
        w.finding(
            Severity::Error,
            "/dataLicense",
            format!("the data license must be CC0-1.0, not {dl:?}"),
        );
    }
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    // External document refs.
    let external_docs: HashSet<String> = list("externalDocumentRefs")
        .iter()
        .filter_map(|r| str_of(r, "externalDocumentId"))
        .collect();
    // Ids: unique, well-formed.
    let mut ids: HashMap<String, &'static str> = HashMap::new();
    ids.insert(doc_id.clone(), "document");
    let mut files_of_kind = HashSet::new();
    for (kind, key) in [
        ("package", "packages"),
        ("file", "files"),
        ("snippet", "snippets"),
    ] {
        for (i, e) in list(key).iter().enumerate() {
            let Some(id) = str_of(e, "SPDXID") else {
                continue;
            };
            if !crate::convert::is_spdx_id(&id) {
                w.finding(
                    Severity::Error,
                    &format!("/{key}/{i}"),
                    format!("{id:?} is not an SPDX id (SPDXRef-[A-Za-z0-9.-]+)"),
                );
            }
            if ids.insert(id.clone(), kind).is_some() {
                w.finding(
                    Severity::Error,
                    &id,
                    "SPDX id is not unique in the document",
                );
            }
            if kind == "file" {
                files_of_kind.insert(id);
            }
        }
    }
    let exists = |id: &str, allow_none: bool| -> bool {
        if allow_none && (id == "NONE" || id == "NOASSERTION") {
            return true;
        }
        if let Some(rest) = id.strip_prefix("DocumentRef-") {
            return rest
                .split_once(':')
                .is_some_and(|(doc, _)| external_docs.contains(&format!("DocumentRef-{doc}")));
        }
        ids.contains_key(id)
    };
    let mut describes = 0usize;
    let mut contains_files: HashSet<String> = HashSet::new();
    for t in list("documentDescribes").iter().filter_map(Value::as_str) {
        describes += 1;
        if !exists(t, false) {
            w.finding(
                Severity::Error,
                t,
                "documentDescribes names an element that is not in the document",
            );
        }
    }
    for (i, r) in list("relationships").iter().enumerate() {
        let (Some(from), Some(kind), Some(to)) = (
            str_of(r, "spdxElementId"),
            str_of(r, "relationshipType"),
            str_of(r, "relatedSpdxElement"),
        ) else {
            continue;
        };
        let element = format!("/relationships/{i}");
        if !exists(&from, false) {
            w.finding(
                Severity::Error,
                &element,
                format!("{kind} from {from:?}, which is not in the document"),
            );
        }
        if !exists(&to, true) {
            w.finding(
                Severity::Error,
                &element,
                format!("{kind} to {to:?}, which is not in the document"),
            );
        }
        if (kind == "DESCRIBES" && from == doc_id) || (kind == "DESCRIBED_BY" && to == doc_id) {
            describes += 1;
        }
        if kind == "CONTAINS" && files_of_kind.contains(&to) {
            contains_files.insert(from.clone());
        }
        if kind == "CONTAINED_BY" && files_of_kind.contains(&from) {
            contains_files.insert(to.clone());
        }
    }
    let packages = list("packages");
    if describes == 0
        && !(packages.len() == 1 && list("files").is_empty() && list("snippets").is_empty())
    {
        w.finding(
                Severity::Error,
                &doc_id,
                "the document DESCRIBES no element (needed unless it has exactly one package and nothing else)",
            );
    }
    // Licenses.
    let extracted: HashSet<String> = list("hasExtractedLicensingInfos")
        .iter()
        .filter_map(|e| str_of(e, "licenseId"))
        .collect();
    let check_license = |c: &mut Walker<()>, element: &str, field: &str, text: &str| {
        match crate::LicenseExpression::parse(text) {
            Ok(e) => {
                for r in e.license_refs() {
                    if !extracted.contains(r) {
                        c.finding(
                            Severity::Error,
                            element,
                            format!(
                                "{field} uses {r}, which hasExtractedLicensingInfos does not define"
                            ),
                        );
                    }
                }
            }
            Err(e) => c.finding(Severity::Error, element, format!("{field}: {e}")),
        }
    };
    for p in packages {
        let id = str_of(p, "SPDXID").unwrap_or_default();
        for field in ["licenseConcluded", "licenseDeclared"] {
            if let Some(l) = str_of(p, field) {
                check_license(w, &id, field, &l);
            }
        }
        for l in p
            .get("licenseInfoFromFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            check_license(w, &id, "licenseInfoFromFiles", l);
        }
        if p.get("filesAnalyzed").and_then(Value::as_bool) == Some(false) {
            if contains_files.contains(&id) {
                w.finding(
                    Severity::Error,
                    &id,
                    "filesAnalyzed is false but the package CONTAINS files",
                );
            }
            if p.get("packageVerificationCode").is_some() {
                w.finding(
                    Severity::Error,
                    &id,
                    "filesAnalyzed is false but a package verification code is given",
                );
            }
            if p.get("licenseInfoFromFiles").is_some() {
                w.finding(
                    Severity::Error,
                    &id,
                    "filesAnalyzed is false but licenseInfoFromFiles is given",
                );
            }
        }
        for c in p
            .get("checksums")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            checksum_value(w, &id, c);
        }
        for r in p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(kind), Some(loc)) =
                (str_of(r, "referenceType"), str_of(r, "referenceLocator"))
            else {
                continue;
            };
            match kind.as_str() {
                "purl" => {
                    if let Err(e) = loc.parse::<crate::Purl>() {
                        w.finding(purl_severity(&e), &id, format!("invalid purl: {e}"));
                    }
                }
                "cpe23Type" if !is_cpe23(&loc) => {
                    w.finding(
                        Severity::Error,
                        &id,
                        format!("{loc:?} is not a CPE 2.3 formatted string"),
                    );
                }
                _ => {}
            }
            if loc.contains(char::is_whitespace) {
                w.finding(
                    Severity::Error,
                    &id,
                    format!("external reference locator {loc:?} contains whitespace"),
                );
            }
        }
        if let Some(dl) = str_of(p, "downloadLocation")
            && dl.is_empty()
        {
            w.finding(Severity::Error, &id, "the download location is empty");
        }
    }
    for f in list("files") {
        let id = str_of(f, "SPDXID").unwrap_or_default();
        if let Some(l) = str_of(f, "licenseConcluded") {
            check_license(w, &id, "licenseConcluded", &l);
        }
        for l in f
            .get("licenseInfoInFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            check_license(w, &id, "licenseInfoInFiles", l);
        }
        for c in f
            .get("checksums")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            checksum_value(w, &id, c);
        }
    }
    for s in list("snippets") {
        let id = str_of(s, "SPDXID").unwrap_or_default();
        if let Some(from) = str_of(s, "snippetFromFile")
            && !exists(&from, false)
        {
            w.finding(
                Severity::Error,
                &id,
                format!("snippetFromFile {from:?} is not in the document"),
            );
        }
    }
}

fn checksum_value(w: &mut Walker<()>, id: &str, c: &Value) {
    let (Some(alg), Some(val)) = (
        c.get("algorithm").and_then(Value::as_str),
        c.get("checksumValue").and_then(Value::as_str),
    ) else {
        return;
    };
    let alg = HashAlgorithm::parse(alg);
    let ok = match alg.hex_len() {
        Some(n) => val.len() == n && val.bytes().all(|b| b.is_ascii_hexdigit()),
        None => true,
    };
    if !ok {
        w.finding(
            Severity::Error,
            id,
            format!(
                "{} checksum {val:?} has the wrong length or is not hex",
                alg.spdx_name()
            ),
        );
    }
}
