//! Checking and pinning files: scan, resolve each distinct tag once, decide each reference's
//! state, rewrite in place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use boltseal_oci::RegistryOptions;
use boltseal_reference::Digest;

use crate::error::{Error, Result};
use crate::files::{collect_files, read_text, write_atomic};
use crate::resolve::{Resolver, tag_key};
use crate::rewrite::{Edit, apply_edits, pinned_text};
use crate::scan::{FileKind, Finding, ImageRef, Rule, Scan, Target};

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

/// The state of one reference.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum State {
    /// No digest. `current` is what the tag resolves to now (`None` offline).
    Unpinned {
        /// The digest the tag names now.
        current: Option<Digest>,
    },
    /// Pinned. `verified` when the tag still resolves to the pinned digest; `false` for a
    /// digest without tag, a pin inside an unsupported reference, or offline.
    Pinned {
        /// The digest written.
        digest: Digest,
        /// Whether the tag was checked.
        verified: bool,
    },
    /// Pinned, but the tag now resolves to another digest.
    Stale {
        /// The digest written.
        pinned: Digest,
        /// The digest the tag names now.
        current: Digest,
    },
    /// An image position that cannot be pinned in place (see [`Target::Unsupported`]).
    Unsupported {
        /// Why.
        reason: String,
    },
    /// Resolving the tag failed (a missing tag, an unreachable registry).
    Failed {
        /// The error.
        error: Error,
    },
}

impl State {
    /// `unpinned`, `pinned`, `stale`, `unsupported` or `error`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Unpinned { .. } => "unpinned",
            State::Pinned { .. } => "pinned",
            State::Stale { .. } => "stale",
            State::Unsupported { .. } => "unsupported",
            State::Failed { .. } => "error",
        }
    }
}

/// A reference and its state.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Entry {
    /// The reference as found.
    pub image: ImageRef,
    /// Its state (before any rewrite).
    pub state: State,
}

impl Entry {
    /// A reference with its state.
    #[must_use]
    pub fn new(image: ImageRef, state: State) -> Self {
        Entry { image, state }
    }
}

/// Everything about one file.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// How it was read.
    pub kind: FileKind,
    /// Its references.
    pub entries: Vec<Entry>,
    /// Its hygiene findings.
    pub findings: Vec<Finding>,
    /// Why it could not be read, scanned or written.
    pub error: Option<Error>,
    /// How many references were rewritten (the file was written when this is not zero).
    pub rewritten: usize,
}

/// The result of [`pin_paths`].
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// One report per file, in walk order.
    pub files: Vec<FileReport>,
}

impl Report {
    /// Whether anything is left unpinned, stale or unsupported after this run (references
    /// rewritten by `--write` count as fixed), or any hygiene finding exists.
    #[must_use]
    pub fn needs_attention(&self) -> bool {
        self.files.iter().any(|f| {
            let written = f.rewritten > 0;
            let open_refs = f.entries.iter().any(|e| match e.state {
                State::Unpinned { current: Some(_) } | State::Stale { .. } => !written,
                State::Unpinned { current: None } | State::Unsupported { .. } => true,
                _ => false,
            });
            // With every reference fixed, the unpinned-FROM findings are fixed too.
            let open_findings = f
                .findings
                .iter()
                .any(|x| x.rule != Rule::UnpinnedFrom || !written);
            open_refs || open_findings
        })
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
