//! Namespace labels for `namespaceSelector`: the API server does not send them in a review, so
//! the webhook reads them from a file (a mounted ConfigMap, or `kubectl get ns -o yaml`
//! output) and reloads it when it changes.
//!
//! The file is YAML or JSON, one of:
//!
//! - a mapping from namespace name to its labels: `prod: {env: production}`;
//! - `Namespace` objects (`metadata.name`, `metadata.labels`), one per document, or in the
//!   `items` of a `NamespaceList` / `List` (what `kubectl get ns -o yaml` prints).
//!
//! Like every namespace in a cluster, each one also carries the label
//! `kubernetes.io/metadata.name: <name>` (added when the file does not say it).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

/// The label every namespace has, set by the API server to the namespace's name.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// Largest namespace-labels file read.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// How often a [`ReloadingNamespaceLabels`] looks at its file's modification time (on use,
/// never more often).
pub const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Why a namespace-labels file could not be used. One line, naming the file or the namespace.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum NamespaceLabelsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not a namespace-labels document.
    #[error("{origin}: {reason}")]
    Invalid {
        /// The file (or the name given to a text).
        origin: String,
        /// What is wrong, naming the document or namespace.
        reason: String,
    },
}

impl boltseal_core::Classify for NamespaceLabelsError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            NamespaceLabelsError::Read { source, .. } => boltseal_core::Classify::kind(source),
            NamespaceLabelsError::Invalid { .. } => boltseal_core::ErrorKind::InvalidInput,
        }
    }
}

/// Where a [`crate::PolicyReviewer`] finds the labels of a request's namespace.
pub trait NamespaceLabelSource: Send + Sync + std::fmt::Debug {
    /// The labels of `namespace`, or `None` when they are not known (then `namespaceSelector`
    /// sees no labels at all, as for a namespace without labels).
    fn labels(&self, namespace: &str) -> Option<Map<String, Value>>;
}

/// Labels of a fixed set of namespaces.
///
/// ```
/// use boltseal_admission::namespaces::{NamespaceLabelSource, NamespaceLabels};
/// let labels = NamespaceLabels::from_text("ns.yaml", "prod: {env: production}\n")?;
/// let prod = labels.labels("prod").unwrap();
/// assert_eq!(prod["env"], "production");
/// assert_eq!(prod["kubernetes.io/metadata.name"], "prod");
/// assert!(labels.labels("dev").is_none());
/// # Ok::<(), boltseal_admission::namespaces::NamespaceLabelsError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceLabels {
    namespaces: HashMap<String, Map<String, Value>>,
}

impl NamespaceLabels {
    /// No namespaces.
    #[must_use]
    pub fn new() -> Self {
        NamespaceLabels::default()
    }

    /// Adds (or replaces) a namespace with these labels, plus [`NAME_LABEL`] when absent.
    #[must_use]
    pub fn with(mut self, namespace: &str, labels: &[(&str, &str)]) -> Self {
        let map = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        self.insert(namespace.to_owned(), map);
        self
    }

    fn insert(&mut self, namespace: String, mut labels: Map<String, Value>) {
        labels
            .entry(NAME_LABEL)
            .or_insert_with(|| Value::String(namespace.clone()));
        self.namespaces.insert(namespace, labels);
    }

    /// How many namespaces are known.
    #[must_use]
    pub fn len(&self) -> usize {
        self.namespaces.len()
    }

    /// The known namespaces' names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.namespaces.keys().map(String::as_str)
    }

    /// Whether no namespace is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
    }

    /// Parses a namespace-labels text (YAML or JSON; see the [module](self) documentation).
    /// `source` names it in errors.
    ///
    /// # Errors
    /// [`NamespaceLabelsError::Invalid`] for YAML errors, documents that are neither a
    /// mapping of namespaces nor `Namespace` objects, namespace names that are not DNS labels,
    /// and label keys or values that are not strings.
    pub fn from_text(source: &str, text: &str) -> Result<Self, NamespaceLabelsError> {
        let invalid = |reason: String| NamespaceLabelsError::Invalid {
            origin: source.to_owned(),
            reason,
        };
        let docs = boltseal_policy::yaml::documents(text).map_err(|e| invalid(e.to_string()))?;
        let mut out = NamespaceLabels::new();
        for (i, doc) in docs.iter().enumerate() {
            let at = |reason: String| {
                if docs.len() > 1 {
                    invalid(format!("document {}: {reason}", i + 1))
                } else {
                    invalid(reason)
                }
            };
            match doc {
                Value::Null => {}
                Value::Object(map)
                    if map.contains_key("kind") || map.contains_key("apiVersion") =>
                {
                    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
                    match kind {
                        "Namespace" => out.add_namespace_object(doc).map_err(at)?,
                        "NamespaceList" | "List" => {
                            let items = map
                                .get("items")
                                .and_then(Value::as_array)
                                .ok_or_else(|| at(format!("{kind} without an items list")))?;
                            for (j, item) in items.iter().enumerate() {
                                if item.get("kind").and_then(Value::as_str) != Some("Namespace")
                                    && kind == "List"
                                {
                                    return Err(at(format!("items[{j}] is not a Namespace")));
                                }
                                out.add_namespace_object(item)
                                    .map_err(|e| at(format!("items[{j}]: {e}")))?;
                            }
                        }
                        other => {
                            return Err(at(format!(
                                "kind {other:?}: expected Namespace, NamespaceList or a mapping of namespace names to labels"
                            )));
                        }
                    }
                }
                Value::Object(map) => {
                    for (name, labels) in map {
                        check_name(name).map_err(at)?;
                        let labels = string_map(labels)
                            .map_err(|e| at(format!("namespace {name:?}: {e}")))?;
                        out.insert(name.clone(), labels);
                    }
                }
                _ => {
                    return Err(at(
                        "expected a mapping of namespace names to labels, or Namespace objects"
                            .to_owned(),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn add_namespace_object(&mut self, object: &Value) -> Result<(), String> {
        let meta = object.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .ok_or("a Namespace without metadata.name")?;
        check_name(name)?;
        let labels = match meta.and_then(|m| m.get("labels")) {
            None | Some(Value::Null) => Map::new(),
            Some(labels) => string_map(labels).map_err(|e| format!("namespace {name:?}: {e}"))?,
        };
        self.insert(name.to_owned(), labels);
        Ok(())
    }

    /// Reads and parses a namespace-labels file (at most [`MAX_FILE_BYTES`]).
    ///
    /// # Errors
    /// [`NamespaceLabelsError`] when the file cannot be read, is too large, or does not parse.
    pub fn from_file(path: &Path) -> Result<Self, NamespaceLabelsError> {
        let read = |source| NamespaceLabelsError::Read {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read)?;
        let source = path.display().to_string();
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(NamespaceLabelsError::Invalid {
                origin: source,
                reason: format!("larger than {MAX_FILE_BYTES} bytes"),
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| NamespaceLabelsError::Invalid {
            origin: source.clone(),
            reason: "not UTF-8".to_owned(),
        })?;
        NamespaceLabels::from_text(&source, &text)
    }
}

impl NamespaceLabelSource for NamespaceLabels {
    fn labels(&self, namespace: &str) -> Option<Map<String, Value>> {
        self.namespaces.get(namespace).cloned()
    }
}

/// A namespace name: a DNS label (RFC 1123), as Kubernetes requires.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a namespace name (a DNS label)"))
    }
}

/// Labels as a JSON object of strings (YAML numbers and booleans, which Kubernetes would
/// refuse, are refused too rather than guessed at).
fn string_map(labels: &Value) -> Result<Map<String, Value>, String> {
    match labels {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => {
            for (k, v) in map {
                if k.is_empty() {
                    return Err("an empty label key".to_owned());
                }
                if !v.is_string() {
                    return Err(format!("label {k:?}: value {v} is not a string"));
                }
            }
            Ok(map.clone())
        }
        other => Err(format!("labels must be a mapping, found {other}")),
    }
}

type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// What a reload did, for whoever wants to report it.
pub type ReloadReport = Box<dyn Fn(Result<usize, &NamespaceLabelsError>) + Send + Sync>;

/// Namespace labels from a file that is read again when it changes (a mounted ConfigMap is
/// updated in place by the kubelet): on use, at most every [`RELOAD_CHECK`], the file's
/// modification time and size are compared and the file parsed again. A file that does not
/// load keeps the previous labels (and is reported); it is tried again when it changes.
pub struct ReloadingNamespaceLabels {
    path: PathBuf,
    current: RwLock<Arc<NamespaceLabels>>,
    state: Mutex<(Instant, Stamp)>,
    interval: Duration,
    report: Option<ReloadReport>,
}

impl std::fmt::Debug for ReloadingNamespaceLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingNamespaceLabels")
            .field("path", &self.path)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl ReloadingNamespaceLabels {
    /// Loads the file once.
    ///
    /// # Errors
    /// [`NamespaceLabelsError`] when the file does not load.
    pub fn open(path: &Path) -> Result<Self, NamespaceLabelsError> {
        let before = stamp(path);
        let labels = NamespaceLabels::from_file(path)?;
        Ok(ReloadingNamespaceLabels {
            path: path.to_owned(),
            current: RwLock::new(Arc::new(labels)),
            state: Mutex::new((Instant::now(), before)),
            interval: RELOAD_CHECK,
            report: None,
        })
    }

    /// Sets how often the file's modification time is looked at (default [`RELOAD_CHECK`]).
    #[must_use]
    pub fn with_check_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Calls `report` after every reload attempt: the number of namespaces loaded, or why the
    /// new file was not used.
    #[must_use]
    pub fn with_report(mut self, report: ReloadReport) -> Self {
        self.report = Some(report);
        self
    }

    /// The labels in use now (after looking for a new file if it is time to).
    #[must_use]
    pub fn current(&self) -> Arc<NamespaceLabels> {
        self.maybe_reload();
        match self.current.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn maybe_reload(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return; // another request is looking
        };
        if state.0.elapsed() < self.interval {
            return;
        }
        state.0 = Instant::now();
        let now = stamp(&self.path);
        if now == state.1 {
            return;
        }
        // Remember this version either way: a broken file is reported once, and tried again
        // when it changes.
        state.1 = now;
        match NamespaceLabels::from_file(&self.path) {
            Ok(labels) => {
                let count = labels.len();
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(labels);
                }
                tracing::info!(path = %self.path.display(), namespaces = count, "namespace labels reloaded");
                if let Some(report) = &self.report {
                    report(Ok(count));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "namespace labels not reloaded; keeping the previous ones");
                if let Some(report) = &self.report {
                    report(Err(&e));
                }
            }
        }
    }
}

impl NamespaceLabelSource for ReloadingNamespaceLabels {
    fn labels(&self, namespace: &str) -> Option<Map<String, Value>> {
        self.current().labels(namespace)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_mappings_namespace_lists_and_documents() {
        let map = NamespaceLabels::from_text(
            "m.yaml",
            "prod: {env: production, team: a}\ndev: {}\nbare:\n",
        )
        .unwrap();
        assert_eq!(
            Value::Object(map.labels("prod").unwrap()),
            json!({"env": "production", "team": "a", NAME_LABEL: "prod"})
        );
        assert_eq!(
            Value::Object(map.labels("bare").unwrap()),
            json!({NAME_LABEL: "bare"})
        );
        let json =
            NamespaceLabels::from_text("m.json", r#"{"prod": {"env": "production"}}"#).unwrap();
        assert_eq!(
            json.labels("prod"),
            map.labels("prod").map(|mut m| {
                m.remove("team");
                m
            })
        );
        // What `kubectl get ns -o yaml` prints.
        let list = NamespaceLabels::from_text(
            "ns.yaml",
            "apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: prod
    labels:
      kubernetes.io/metadata.name: prod
      env: production
  spec: {finalizers: [kubernetes]}
  status: {phase: Active}
- apiVersion: v1
  kind: Namespace
  metadata: {name: kube-system}
metadata: {resourceVersion: \"\"}
",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list.labels("prod").unwrap()["env"], "production");
        assert_eq!(
            list.labels("kube-system").unwrap()[NAME_LABEL],
            "kube-system"
        );
        let docs = NamespaceLabels::from_text(
            "ns.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: z}}\n---\n\
             apiVersion: v1\nkind: NamespaceList\nitems: [{metadata: {name: b}}]\n",
        )
        .unwrap();
        assert_eq!(docs.labels("a").unwrap()["x"], "z");
        assert!(docs.labels("b").is_some());
        // A file that says the name label keeps what it says.
        let own = NamespaceLabels::from_text("n", "a: {kubernetes.io/metadata.name: a}").unwrap();
        assert_eq!(own.labels("a").unwrap().len(), 1);
        assert!(NamespaceLabels::from_text("empty", "").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_is_not_namespace_labels() {
        for (text, needle) in [
            ("- a\n- b\n", "expected a mapping"),
            ("prod: [a]\n", "labels must be a mapping"),
            ("prod: {replicas: 3}\n", "is not a string"),
            ("prod: {on: yes}\n", "is not a string"),
            ("Prod_1: {}\n", "not a namespace name"),
            ("kind: Pod\nmetadata: {name: x}\n", "kind \"Pod\""),
            ("kind: NamespaceList\n", "without an items list"),
            ("kind: Namespace\nmetadata: {}\n", "without metadata.name"),
            ("a: {b: c}\n---\n- x\n", "document 2"),
            ("a: {b: [}\n", "f.yaml"),
        ] {
            let e = NamespaceLabels::from_text("f.yaml", text)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn a_changed_file_is_reloaded_and_a_broken_one_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("namespaces.yaml");
        std::fs::write(&path, "prod: {env: production}\n").unwrap();
        let reports = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&reports);
        let source = ReloadingNamespaceLabels::open(&path)
            .unwrap()
            .with_check_interval(Duration::ZERO)
            .with_report(Box::new(move |r| {
                sink.lock().unwrap().push(match r {
                    Ok(n) => format!("ok {n}"),
                    Err(e) => e.to_string(),
                });
            }));
        assert_eq!(source.labels("prod").unwrap()["env"], "production");
        let touch = |t: SystemTime| {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        let later = SystemTime::now() + Duration::from_secs(60);
        std::fs::write(&path, "prod: {env: [broken\n").unwrap();
        touch(later);
        assert_eq!(source.labels("prod").unwrap()["env"], "production");
        std::fs::write(&path, "prod: {env: staging}\nqa: {}\n").unwrap();
        touch(later + Duration::from_secs(1));
        assert_eq!(source.labels("prod").unwrap()["env"], "staging");
        assert!(source.labels("qa").is_some());
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert!(reports[0].contains("namespaces.yaml"), "{reports:?}");
        assert_eq!(reports[1], "ok 2");
        // A file that cannot be read at start is an error.
        let e = ReloadingNamespaceLabels::open(&dir.path().join("missing.yaml")).unwrap_err();
        assert!(e.to_string().contains("missing.yaml"), "{e}");
    }
}
