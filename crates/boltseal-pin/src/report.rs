//! What [`pin_paths`](crate::pin_paths) found: each reference's [`State`], per file and in
//! all, as text lines (`Display`) or as the JSON document of the `pin` tool (`Serialize`).

use std::fmt;
use std::path::PathBuf;

use boltseal_reference::Digest;
use serde::Serialize;

use crate::error::Error;
use crate::scan::{FileKind, Finding, ImageRef, Rule};

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
    /// An image position that cannot be pinned in place (see [`Target::Unsupported`](crate::Target::Unsupported)).
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

impl FileReport {
    /// Its errors, each with the line the `pin` tool prints: the file's own error, then
    /// `FILE:LINE: ERROR` for each reference that could not be resolved.
    pub fn errors(&self) -> impl Iterator<Item = (String, &Error)> {
        let own = self.error.iter().map(|e| (e.to_string(), e));
        own.chain(self.entries.iter().filter_map(|entry| match &entry.state {
            State::Failed { error } => {
                let at = format!("{}:{}", self.path.display(), entry.image.line);
                Some((format!("{at}: {error}"), error))
            }
            _ => None,
        }))
    }
}

/// The result of [`pin_paths`](crate::pin_paths).
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

/// One line per reference, `FILE:LINE: unpinned IMAGE (tag now DIGEST)`, `pinned IMAGE`,
/// `pinned IMAGE (tag not checked)`, `stale IMAGE (tag now DIGEST)`, `unsupported IMAGE
/// (REASON)` or `error IMAGE`, then one per finding, `FILE:LINE: finding RULE: MESSAGE`; each
/// line ends with a newline.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            let path = file.path.display();
            for e in &file.entries {
                let (image, line) = (&e.image.written, e.image.line);
                write!(f, "{path}:{line}: {} {image}", e.state.as_str())?;
                match &e.state {
                    State::Unpinned { current: Some(d) } => write!(f, " (tag now {d})")?,
                    State::Pinned {
                        verified: false, ..
                    } => f.write_str(" (tag not checked)")?,
                    State::Stale { current, .. } => write!(f, " (tag now {current})")?,
                    State::Unsupported { reason } => write!(f, " ({reason})")?,
                    _ => {}
                }
                writeln!(f)?;
            }
            for x in &file.findings {
                writeln!(
                    f,
                    "{path}:{}: finding {}: {}",
                    x.line,
                    x.rule.as_str(),
                    x.message
                )?;
            }
        }
        Ok(())
    }
}

/// The JSON document of the `pin` tool: `{files: [{path, kind, references: [{line, image,
/// origin, state, digest, current, verified, reason, error}], findings: [{line, rule,
/// message}], rewritten, error}], needs_attention}`. A reference has the keys its state
/// gives: `current` (digest or `null`) when unpinned; `digest` and `verified` when pinned;
/// `digest` and `current` when stale; `reason` when unsupported; `error` when resolving
/// failed.
impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ReportJson {
            files: self.files.iter().map(FileJson::new).collect(),
            needs_attention: self.needs_attention(),
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct ReportJson<'a> {
    files: Vec<FileJson<'a>>,
    needs_attention: bool,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: String,
    kind: &'static str,
    references: Vec<ReferenceJson<'a>>,
    findings: Vec<FindingJson<'a>>,
    rewritten: usize,
    error: Option<String>,
}

impl<'a> FileJson<'a> {
    fn new(file: &'a FileReport) -> Self {
        FileJson {
            path: file.path.display().to_string(),
            kind: file.kind.as_str(),
            references: file.entries.iter().map(ReferenceJson::new).collect(),
            findings: file
                .findings
                .iter()
                .map(|f| FindingJson {
                    line: f.line,
                    rule: f.rule.as_str(),
                    message: &f.message,
                })
                .collect(),
            rewritten: file.rewritten,
            error: file.error.as_ref().map(ToString::to_string),
        }
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    line: usize,
    rule: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct ReferenceJson<'a> {
    line: usize,
    image: &'a str,
    origin: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a Digest>,
    /// `Some(None)` is written as `null` (unpinned, offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<Option<&'a Digest>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> ReferenceJson<'a> {
    fn new(e: &'a Entry) -> Self {
        let mut r = ReferenceJson {
            line: e.image.line,
            image: &e.image.written,
            origin: e.image.origin.describe(),
            state: e.state.as_str(),
            digest: None,
            current: None,
            verified: None,
            reason: None,
            error: None,
        };
        match &e.state {
            State::Unpinned { current } => r.current = Some(current.as_ref()),
            State::Pinned { digest, verified } => {
                r.digest = Some(digest);
                r.verified = Some(*verified);
            }
            State::Stale { pinned, current } => {
                r.digest = Some(pinned);
                r.current = Some(Some(current));
            }
            State::Unsupported { reason } => r.reason = Some(reason),
            State::Failed { error } => r.error = Some(error.to_string()),
        }
        r
    }
}
