//! Reading YAML files and directories (bounded, no symbolic links followed in directories).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{LoadError, Origin};
use crate::yaml::MAX_YAML_BYTES;

/// Reads one file with the YAML size bound.
pub(crate) fn read_bounded(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut text = String::new();
    let limit = u64::try_from(MAX_YAML_BYTES).unwrap_or(u64::MAX);
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
    if text.len() > MAX_YAML_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            limit: MAX_YAML_BYTES,
        });
    }
    Ok(text)
}

/// A file, or every `.yaml`/`.yml`/`.json` file below a directory in sorted order.
pub(crate) fn read_yaml_files(path: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![(path.display().to_string(), read_bounded(path)?)]);
    }
    let mut files = Vec::new();
    collect(path, &mut files, 0)?;
    files.sort();
    files
        .into_iter()
        .map(|p| Ok((p.display().to_string(), read_bounded(&p)?)))
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    if depth > 32 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let ty = entry.file_type().map_err(|source| LoadError::Io {
            path: entry.path(),
            source,
        })?;
        let p = entry.path();
        if ty.is_dir() {
            collect(&p, out, depth + 1)?;
        } else if ty.is_file()
            && p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Kubernetes resources from files or directories: every non-empty YAML document, with
/// `List` kinds expanded into their items.
///
/// # Errors
/// [`LoadError`] for unreadable files, YAML errors, and documents that are not objects with
/// `kind` and `metadata.name` (or `generateName`).
pub fn load_resources<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<(Origin, Value)>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        for (name, text) in read_yaml_files(p.as_ref())? {
            out.extend(resources_from_str(&name, &text)?);
        }
    }
    Ok(out)
}

/// Kubernetes resources from one YAML text (see [`load_resources`]).
///
/// # Errors
/// [`LoadError`] for YAML errors and documents that are not resources.
pub fn resources_from_str(source: &str, text: &str) -> Result<Vec<(Origin, Value)>, LoadError> {
    let docs = crate::yaml::documents(text).map_err(|e| LoadError::Yaml {
        source_name: source.to_owned(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let origin = Origin {
            source: source.to_owned(),
            document: i,
        };
        let invalid = |field: &str, reason: &str| LoadError::Invalid {
            origin: origin.clone(),
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("kind", "missing"))?;
        if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
            if let Some(Value::Array(items)) = doc.get("items") {
                for item in items {
                    out.push((origin.clone(), item.clone()));
                }
            }
            continue;
        }
        if !doc.is_object() {
            return Err(invalid("", "expected an object"));
        }
        out.push((origin, doc));
    }
    Ok(out)
}
