//! The Kubernetes manifest scanner: the `image` of every container, init container and
//! ephemeral container of Pods, PodTemplates and the workload controllers, in any number of
//! YAML documents (and in `kind: List` items).
//!
//! The YAML is parsed by `saphyr-parser` (YAML 1.2 events with source positions). Only a
//! field at a container path of a known kind counts: an `image` key in a ConfigMap, in an
//! argument list or in an unknown kind is never touched. The exact bytes of each image scalar
//! are located in the source and checked against the parsed value; plain, single- and
//! double-quoted scalars without escapes are pinned in place (also in flow style), while block
//! scalars, multi-line or escaped scalars, aliases, anchored images and containers with merge
//! keys are reported as unsupported instead of being rewritten.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::error::{Error, Result};
use crate::scan::{ImageRef, Lines, Origin, Scan, Target, target_of};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    /// A key that is not a plain scalar (a mapping, a sequence, an alias).
    Complex,
}

enum Frame {
    Map {
        key: Option<Step>,
        expect_key: bool,
        /// This collection is itself a key of its parent.
        is_key: bool,
    },
    Seq {
        index: usize,
        is_key: bool,
    },
}

/// A candidate found while a document is read; kept once the document's kind is known.
struct Candidate {
    path: Vec<Step>,
    span: Range<usize>,
    written: String,
    target: Target,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The path of the pod spec inside an object of `kind`.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "PodTemplate" => &["template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

fn key_is(step: Option<&Step>, name: &str) -> bool {
    matches!(step, Some(Step::Key(k)) if k == name)
}

/// Whether `path` names a field of a container: `…containers[i].<field>` (or init or
/// ephemeral containers).
fn container_field(path: &[Step]) -> bool {
    let n = path.len();
    n >= 3
        && matches!(path.get(n - 2), Some(Step::Index(_)))
        && CONTAINER_LISTS.iter().any(|c| key_is(path.get(n - 3), c))
}

/// When the innermost collection is a map waiting for a key, the event is that key: records
/// `key()` as the map's current key and says so.
fn key_expected(stack: &mut [Frame], key: impl FnOnce() -> Step) -> bool {
    if let Some(Frame::Map {
        key: current,
        expect_key,
        ..
    }) = stack.last_mut()
        && *expect_key
    {
        *current = Some(key());
        *expect_key = false;
        return true;
    }
    false
}

/// Byte offsets of character indexes (the parser counts characters).
struct CharIndex {
    /// Empty for ASCII text, where the two coincide.
    offsets: Vec<usize>,
    len: usize,
}

impl CharIndex {
    fn new(text: &str) -> Self {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        CharIndex {
            offsets,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            char_index.min(self.len)
        } else {
            self.offsets.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

/// Scans Kubernetes manifests.
///
/// ```
/// use boltseal_pin::kubernetes;
///
/// let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  image: not-this:1\n---\n\
///             kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      \
///             containers:\n      - name: app\n        image: \"nginx:1.27\"  # pinned soon\n";
/// let scan = kubernetes::scan(text)?;
/// assert_eq!(scan.refs.len(), 1);
/// assert_eq!(&text[scan.refs[0].span.clone()], "nginx:1.27");
/// assert_eq!(scan.refs[0].line, 13);
/// # Ok::<(), boltseal_pin::Error>(())
/// ```
///
/// # Errors
/// [`Error::Yaml`] when the text is not YAML.
pub fn scan(text: &str) -> Result<Scan> {
    let chars = CharIndex::new(text);
    let lines = Lines::new(text);
    let mut refs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    // (path prefix of the object, kind, name)
    let mut objects: Vec<(Vec<Step>, String, Option<String>)> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| Error::Yaml {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
        })?;
        let start = chars.byte(span.start.index());
        match event {
            Event::DocumentStart(_) => {
                stack.clear();
                candidates.clear();
                objects.clear();
            }
            Event::DocumentEnd => {
                collect(&mut refs, &mut candidates, &objects, &lines);
                objects.clear();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Map {
                        expect_key: true,
                        ..
                    })
                );
                if matches!(event, Event::MappingStart(..)) {
                    stack.push(Frame::Map {
                        key: None,
                        expect_key: true,
                        is_key,
                    });
                } else {
                    stack.push(Frame::Seq { index: 0, is_key });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let is_key = match stack.pop() {
                    Some(Frame::Map { is_key, .. } | Frame::Seq { is_key, .. }) => is_key,
                    None => false,
                };
                if is_key {
                    if let Some(Frame::Map {
                        key, expect_key, ..
                    }) = stack.last_mut()
                    {
                        *key = Some(Step::Complex);
                        *expect_key = false;
                    }
                } else {
                    value_done(&mut stack);
                }
            }
            Event::Scalar(value, style, anchor, _tag) => {
                if key_expected(&mut stack, || Step::Key(value.to_string())) {
                    continue;
                }
                let path = path_of(&stack);
                let n = path.len();
                if key_is(path.last(), "image") && container_field(&path) {
                    let (span, target) = locate(text, start, &value, style, anchor);
                    let written = text.get(span.clone()).unwrap_or_default().to_owned();
                    let written = if written.is_empty() {
                        value.clone().into_owned()
                    } else {
                        written
                    };
                    candidates.push(Candidate {
                        path: path.clone(),
                        span,
                        written,
                        target,
                    });
                } else if key_is(path.last(), "kind") {
                    let prefix = path[..n - 1].to_vec();
                    match objects.iter_mut().find(|o| o.0 == prefix) {
                        Some(o) => o.1 = value.into_owned(),
                        None => objects.push((prefix, value.into_owned(), None)),
                    }
                } else if n >= 2
                    && key_is(path.last(), "name")
                    && key_is(path.get(n - 2), "metadata")
                {
                    let prefix = path[..n - 2].to_vec();
                    match objects.iter_mut().find(|o| o.0 == prefix) {
                        Some(o) => o.2 = Some(value.into_owned()),
                        None => objects.push((prefix, String::new(), Some(value.into_owned()))),
                    }
                } else if key_is(path.last(), "<<") {
                    // A merge key inside a container could bring an image we cannot see.
                    if container_field(&path) {
                        candidates.push(merge_candidate(&path, start));
                    }
                }
                value_done(&mut stack);
            }
            Event::Alias(_) => {
                if key_expected(&mut stack, || Step::Complex) {
                    continue;
                }
                let path = path_of(&stack);
                if container_field(&path) && key_is(path.last(), "image") {
                    candidates.push(Candidate {
                        path: path.clone(),
                        span: start..start,
                        written: text
                            .get(start..chars.byte(span.end.index()))
                            .unwrap_or_default()
                            .to_owned(),
                        target: Target::Unsupported {
                            reason: "the image is a YAML alias".to_owned(),
                        },
                    });
                } else if container_field(&path) && key_is(path.last(), "<<") {
                    candidates.push(merge_candidate(&path, start));
                }
                value_done(&mut stack);
            }
            Event::StreamEnd => {
                collect(&mut refs, &mut candidates, &objects, &lines);
            }
            _ => {}
        }
    }
    refs.sort_by_key(|r: &ImageRef| r.span.start);
    Ok(Scan {
        refs,
        findings: Vec::new(),
    })
}

/// The container whose field `merge` (a `<<` key) is, as an unsupported image position.
fn merge_candidate(merge: &[Step], at: usize) -> Candidate {
    let mut path = merge[..merge.len().saturating_sub(1)].to_vec();
    path.push(Step::Key("image".to_owned()));
    Candidate {
        path,
        span: at..at,
        written: "<<".to_owned(),
        target: Target::Unsupported {
            reason: "the container uses a YAML merge key (<<); its image may come from elsewhere"
                .to_owned(),
        },
    }
}

fn value_done(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map {
            key, expect_key, ..
        }) => {
            *key = None;
            *expect_key = true;
        }
        Some(Frame::Seq { index, .. }) => *index += 1,
        None => {}
    }
}

fn path_of(stack: &[Frame]) -> Vec<Step> {
    stack
        .iter()
        .map(|f| match f {
            Frame::Map { key, .. } => key.clone().unwrap_or(Step::Complex),
            Frame::Seq { index, .. } => Step::Index(*index),
        })
        .collect()
}

/// Finds the exact bytes of a scalar whose event starts at `start` (properties included) and
/// checks them against the parsed value; anything that is not a verbatim copy is unsupported.
fn locate(
    text: &str,
    start: usize,
    value: &str,
    style: ScalarStyle,
    anchor: usize,
) -> (Range<usize>, Target) {
    let unsupported = |reason: &str| {
        (
            start..start,
            Target::Unsupported {
                reason: reason.to_owned(),
            },
        )
    };
    if anchor != 0 {
        return unsupported(
            "the image carries a YAML anchor; pinning it would change its aliases too",
        );
    }
    let bytes = text.as_bytes();
    let mut at = start;
    // Skip a tag (`!!str`, `!<...>`, `!x`) and the blanks after it.
    if bytes.get(at) == Some(&b'!') {
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        while at < bytes.len() && (bytes[at] == b' ' || bytes[at] == b'\t') {
            at += 1;
        }
    }
    let inner = match style {
        ScalarStyle::Plain => at,
        ScalarStyle::SingleQuoted if bytes.get(at) == Some(&b'\'') => at + 1,
        ScalarStyle::DoubleQuoted if bytes.get(at) == Some(&b'"') => at + 1,
        ScalarStyle::Literal | ScalarStyle::Folded => {
            return unsupported("the image is a block scalar");
        }
        _ => return unsupported("the image scalar could not be located"),
    };
    let end = inner + value.len();
    if text.get(inner..end) != Some(value) || value.is_empty() {
        return unsupported("the image is written over several lines or with escapes");
    }
    let closing_ok = match style {
        ScalarStyle::SingleQuoted => bytes.get(end) == Some(&b'\'') && !value.contains('\''),
        ScalarStyle::DoubleQuoted => {
            bytes.get(end) == Some(&b'"') && !value.contains('"') && !value.contains('\\')
        }
        _ => bytes
            .get(end)
            .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b',' | b']' | b'}' | b'#')),
    };
    if !closing_ok {
        return unsupported("the image is written with escapes");
    }
    (inner..end, target_of(value))
}

fn collect(
    refs: &mut Vec<ImageRef>,
    candidates: &mut Vec<Candidate>,
    objects: &[(Vec<Step>, String, Option<String>)],
    lines: &Lines,
) {
    for c in candidates.drain(..) {
        // The object whose pod spec holds this container: the longest matching prefix.
        let root_is_list = objects
            .iter()
            .any(|(prefix, kind, _)| prefix.is_empty() && kind.ends_with("List"));
        let found = objects.iter().find_map(|(prefix, kind, name)| {
            // Objects are the document itself or the items of a `kind: List` document.
            let item = matches!(prefix.as_slice(), [k, Step::Index(_)] if key_is(Some(k), "items"));
            if !(prefix.is_empty() || (item && root_is_list)) {
                return None;
            }
            let spec = pod_spec_path(kind)?;
            let rest = c.path.strip_prefix(prefix.as_slice())?;
            // spec path, container list, index, image
            if rest.len() != spec.len() + 3 {
                return None;
            }
            let matches = spec
                .iter()
                .zip(rest)
                .all(|(want, got)| key_is(Some(got), want));
            matches.then_some((prefix, kind, name, rest))
        });
        let Some((_, kind, name, rest)) = found else {
            continue;
        };
        let object = match name {
            Some(n) => format!("{kind}/{n}"),
            None => kind.clone(),
        };
        let field = rest
            .iter()
            .map(|s| match s {
                Step::Key(k) => format!(".{k}"),
                Step::Index(i) => format!("[{i}]"),
                Step::Complex => ".?".to_owned(),
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_owned();
        refs.push(ImageRef {
            line: lines.line(c.span.start),
            span: c.span,
            written: c.written,
            origin: Origin::Container { object, field },
            target: c.target,
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn images(text: &str) -> Vec<String> {
        scan(text)
            .unwrap()
            .refs
            .iter()
            .map(|r| text[r.span.clone()].to_owned())
            .collect()
    }

    #[test]
    fn controllers_and_configmaps() {
        let text = "kind: CronJob\nmetadata:\n  name: nightly\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - {name: a, image: 'busybox:1.36'}\n          initContainers:\n          - image: alpine:3.20\n            args: [\"image: x:1\"]\n---\nkind: ConfigMap\ndata:\n  image: nginx:1\nspec:\n  containers:\n  - image: no:1\n---\napiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  spec:\n    ephemeralContainers:\n    - image: debug:1\n";
        assert_eq!(images(text), ["busybox:1.36", "alpine:3.20", "debug:1"]);
        // An embedded object that is not a List item is not a workload.
        let embedded = "kind: Custom\nspec:\n  thing:\n    kind: Pod\n    spec:\n      containers:\n      - image: a:1\n";
        assert!(images(embedded).is_empty());
        let s = scan(text).unwrap();
        assert_eq!(
            s.refs[0].origin,
            Origin::Container {
                object: "CronJob/nightly".into(),
                field: "spec.jobTemplate.spec.template.spec.containers[0].image".into()
            }
        );
    }

    #[test]
    fn kind_after_spec_and_unsupported_forms() {
        let text = "spec:\n  containers:\n  - image: &a x:1\n  - image: *a\n  - image: |\n      y:1\n  - image: \"z\\u003a1\"\n  - image: !!str t:1\n  - <<: *a\nkind: Pod\n";
        let s = scan(text).unwrap();
        let states: Vec<bool> = s
            .refs
            .iter()
            .map(|r| matches!(r.target, Target::Image(_)))
            .collect();
        assert_eq!(states, [false, false, false, false, true, false]);
        assert_eq!(&text[s.refs[4].span.clone()], "t:1");
    }

    #[test]
    fn non_ascii_offsets() {
        let text = "# é ü\nkind: Pod\nmetadata: {name: ü}\nspec:\n  containers:\n  - name: é\n    image: nginx:1\n";
        assert_eq!(images(text), ["nginx:1"]);
    }

    #[test]
    fn invalid_yaml_is_an_error() {
        assert!(matches!(scan("a: [b\n"), Err(Error::Yaml { .. })));
    }
}
