//! Checking and pinning files: scan, resolve each distinct tag once, decide each reference's
//! state, rewrite in place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use boltseal_oci::RegistryOptions;
use boltseal_reference::{Digest, Reference};

use crate::error::{Error, Result};
use crate::files::{collect_files, read_text, write_atomic};
use crate::report::{Entry, FileReport, Report, State};
use crate::resolve::{Resolver, tag_key};
use crate::rewrite::{Edit, apply_edits, pinned_text};
use crate::scan::{FileKind, ImageRef, Rule, Scan, Target};

/// What [`pin_paths`] does.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rewrite unpinned and stale references in place.
    pub write: bool,
    /// Do not contact registries: report what the files say (no staleness, no new digests).
    pub offline: bool,
    /// How to reach registries.
    pub registry: RegistryOptions,
}

impl Options {
    /// Check only, online, default registry options.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Rewrites unpinned and stale references.
    #[must_use]
    pub fn write(mut self, yes: bool) -> Self {
        self.write = yes;
        self
    }

    /// Never contacts a registry.
    #[must_use]
    pub fn offline(mut self, yes: bool) -> Self {
        self.offline = yes;
        self
    }

    /// Registry connection options.
    #[must_use]
    pub fn registry(mut self, options: RegistryOptions) -> Self {
        self.registry = options;
        self
    }
}

/// Scans one text of the given kind.
///
/// # Errors
/// [`Error::Yaml`] for manifests that are not YAML.
pub fn scan(kind: FileKind, text: &str) -> Result<Scan> {
    match kind {
        FileKind::Dockerfile => Ok(crate::dockerfile::scan(text)),
        FileKind::Kubernetes => crate::kubernetes::scan(text),
    }
}

/// Decides the state of a reference given the resolved tags (`None` when offline).
#[must_use]
pub fn state_of(image: &ImageRef, resolved: Option<&HashMap<String, Result<Digest>>>) -> State {
    let r = match &image.target {
        Target::Image(r) => r,
        Target::Unsupported { reason } => {
            return match image.written_digest() {
                Some(digest) => State::Pinned {
                    digest,
                    verified: false,
                },
                None => State::Unsupported {
                    reason: reason.clone(),
                },
            };
        }
    };
    let written = r.digest().copied();
    let Some(key) = tag_key(r) else {
        // A digest without a tag: nothing to follow.
        return match written {
            Some(digest) => State::Pinned {
                digest,
                verified: false,
            },
            None => State::Unpinned { current: None },
        };
    };
    let Some(resolved) = resolved else {
        return match written {
            Some(digest) => State::Pinned {
                digest,
                verified: false,
            },
            None => State::Unpinned { current: None },
        };
    };
    match (resolved.get(&key), written) {
        (Some(Ok(current)), None) => State::Unpinned {
            current: Some(*current),
        },
        (Some(Ok(current)), Some(pinned)) if *current == pinned => State::Pinned {
            digest: pinned,
            verified: true,
        },
        (Some(Ok(current)), Some(pinned)) => State::Stale {
            pinned,
            current: *current,
        },
        (Some(Err(e)), _) => State::Failed { error: e.clone() },
        (None, Some(digest)) => State::Pinned {
            digest,
            verified: false,
        },
        (None, None) => State::Unpinned { current: None },
    }
}

/// The edits that pin every unpinned reference and update every stale one.
#[must_use]
pub fn edits_for(entries: &[Entry]) -> Vec<Edit> {
    entries
        .iter()
        .filter_map(|e| {
            let digest = match &e.state {
                State::Unpinned { current: Some(d) } => d,
                State::Stale { current, .. } => current,
                _ => return None,
            };
            let r = e.image.reference()?;
            Some(Edit::new(
                e.image.span.clone(),
                pinned_text(&e.image.written, r, digest),
            ))
        })
        .collect()
}

/// Rewrites `text` with `edits` and checks the result by scanning it again: the same
/// references in the same places, each edited one now reading exactly as intended.
///
/// # Errors
/// [`Error::BadEdit`], [`Error::RewriteCheck`] (with `path` for the message).
pub fn rewrite_checked(
    path: &Path,
    kind: FileKind,
    text: &str,
    before: &Scan,
    edits: &[Edit],
) -> Result<String> {
    let out = apply_edits(text, edits)?;
    let check = |reason: String| Error::RewriteCheck {
        path: path.to_owned(),
        reason,
    };
    let after = scan(kind, &out).map_err(|e| check(e.to_string()))?;
    if after.refs.len() != before.refs.len() {
        return Err(check(format!(
            "{} references before, {} after",
            before.refs.len(),
            after.refs.len()
        )));
    }
    let by_start: HashMap<usize, &str> = edits
        .iter()
        .map(|e| (e.span.start, e.text.as_str()))
        .collect();
    for (old, new) in before.refs.iter().zip(&after.refs) {
        let expected = by_start
            .get(&old.span.start)
            .copied()
            .unwrap_or(old.written.as_str());
        if new.written != expected {
            return Err(check(format!(
                "line {} reads {:?}, expected {:?}",
                new.line, new.written, expected
            )));
        }
    }
    Ok(out)
}

/// Pins the image references of one text with the digests `resolve` gives, sync and without
/// I/O: the everyday job of [`pin_paths`] for a text in memory, with the caller as the
/// registry (a lock file, a cache, a test). `resolve` is asked once per distinct tag (see
/// [`tag_key`]); `None` leaves that tag's references as they are. Unpinned references are
/// pinned, stale ones updated, and the result is checked as [`rewrite_checked`] does.
///
/// # Errors
/// [`Error::Yaml`] for a manifest that is not YAML; [`Error::RewriteCheck`] if the rewrite
/// would change anything but the references.
pub fn pin_text(
    kind: FileKind,
    text: &str,
    mut resolve: impl FnMut(&Reference) -> Option<Digest>,
) -> Result<String> {
    let scanned = scan(kind, text)?;
    let mut resolved = HashMap::new();
    let mut asked = std::collections::HashSet::new();
    for r in scanned.refs.iter().filter_map(ImageRef::reference) {
        if let Some(key) = tag_key(r)
            && asked.insert(key.clone())
            && let Some(digest) = resolve(r)
        {
            resolved.insert(key, Ok(digest));
        }
    }
    let entries: Vec<Entry> = scanned
        .refs
        .iter()
        .map(|image| Entry::new(image.clone(), state_of(image, Some(&resolved))))
        .collect();
    let edits = edits_for(&entries);
    if edits.is_empty() {
        return Ok(text.to_owned());
    }
    rewrite_checked(Path::new("-"), kind, text, &scanned, &edits)
}

/// Drops `pip install -r FILE` findings when every named file, read next to the Dockerfile,
/// gives each requirement a `--hash` (pip then checks hashes on its own).
fn requirements_hashed(dir: &Path, files: &[String]) -> bool {
    !files.is_empty()
        && files.iter().all(|f| {
            let Ok(text) = read_text(&dir.join(f)) else {
                return false;
            };
            let joined = text.replace("\\\n", " ");
            let mut any = false;
            for line in joined.lines() {
                let line = line.split(" #").next().unwrap_or_default().trim();
                if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
                    continue;
                }
                any = true;
                if !line.contains("--hash=") {
                    return false;
                }
            }
            any
        })
}

/// A file read and scanned (or why not).
type Scanned = (PathBuf, FileKind, Result<(String, Scan)>);

/// Checks (and with [`Options::write`], pins) the files under `paths`.
///
/// Every distinct tag is resolved once, concurrently. A file is written only when all of
/// its references resolved: a missing tag leaves the whole file untouched (its entries carry
/// the error). Problems with one file are in its [`FileReport::error`]; the others go on.
///
/// # Errors
/// Only for `paths` that cannot be walked ([`collect_files`]).
pub async fn pin_paths(paths: &[PathBuf], options: &Options) -> Result<Report> {
    let files = collect_files(paths)?;
    let mut scanned: Vec<Scanned> = Vec::new();
    for (path, kind) in files {
        let result = read_text(&path).and_then(|text| {
            let mut s = scan(kind, &text).map_err(|e| Error::File {
                path: path.clone(),
                source: Box::new(e),
            })?;
            let dir = path.parent().unwrap_or(Path::new("."));
            s.findings.retain(|f| {
                !(f.rule == Rule::PipRequirementsWithoutHashes
                    && requirements_hashed(dir, &f.requirement_files))
            });
            Ok((text, s))
        });
        scanned.push((path, kind, result));
    }
    let resolved = if options.offline {
        None
    } else {
        let resolver = Resolver::new(options.registry.clone());
        let refs = scanned
            .iter()
            .filter_map(|(_, _, r)| r.as_ref().ok())
            .flat_map(|(_, s)| s.refs.iter().filter_map(ImageRef::reference));
        Some(resolver.resolve_all(refs).await)
    };
    let mut report = Report::default();
    for (path, kind, result) in scanned {
        let (text, s) = match result {
            Ok(x) => x,
            Err(error) => {
                report.files.push(FileReport {
                    path,
                    kind,
                    entries: Vec::new(),
                    findings: Vec::new(),
                    error: Some(error),
                    rewritten: 0,
                });
                continue;
            }
        };
        let entries: Vec<Entry> = s
            .refs
            .iter()
            .map(|image| Entry {
                image: image.clone(),
                state: state_of(image, resolved.as_ref()),
            })
            .collect();
        let mut file = FileReport {
            path,
            kind,
            entries,
            findings: s.findings.clone(),
            error: None,
            rewritten: 0,
        };
        let failed = file
            .entries
            .iter()
            .any(|e| matches!(e.state, State::Failed { .. }));
        if options.write && !failed {
            let edits = edits_for(&file.entries);
            if !edits.is_empty() {
                let written = rewrite_checked(&file.path, kind, &text, &s, &edits)
                    .and_then(|out| write_atomic(&file.path, &text, &out));
                match written {
                    Ok(()) => file.rewritten = edits.len(),
                    Err(e) => file.error = Some(e),
                }
            }
        }
        report.files.push(file);
    }
    Ok(report)
}
