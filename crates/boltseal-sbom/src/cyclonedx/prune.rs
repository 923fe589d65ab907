//! Pruning what an older CycloneDX schema rejects out of a document written from a newer one.

use serde_json::Value;

use crate::error::Report;

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

pub(super) fn prune_invalid(value: &mut Value, report: &mut Report) {
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
