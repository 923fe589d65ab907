//! In-place rewriting: replace exactly the bytes of image references, nothing else.

use std::ops::Range;

use boltseal_reference::{Digest, Reference};

use crate::error::{Error, Result};

/// One replacement of a byte range.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced.
    pub span: Range<usize>,
    /// The new text.
    pub text: String,
}

impl Edit {
    /// An edit replacing `span` with `text`.
    #[must_use]
    pub fn new(span: Range<usize>, text: impl Into<String>) -> Self {
        Edit {
            span,
            text: text.into(),
        }
    }
}

/// The pinned spelling of a reference as written: everything before an existing `@digest` is
/// kept byte for byte and `@digest` is appended. A reference without tag or digest (implicit
/// `latest`) gets `:latest` written out, so that the pin keeps naming the tag it follows.
///
/// ```
/// use boltseal_pin::pinned_text;
/// use boltseal_reference::{Digest, Reference};
///
/// let d = Digest::sha256_of(b"x");
/// let r = Reference::parse("node:18")?;
/// assert_eq!(pinned_text("node:18", &r, &d), format!("node:18@{d}"));
/// let r = Reference::parse("nginx")?;
/// assert_eq!(pinned_text("nginx", &r, &d), format!("nginx:latest@{d}"));
/// let old = Digest::sha256_of(b"old");
/// let r = Reference::parse(&format!("ghcr.io/o/app:v1@{old}"))?;
/// assert_eq!(pinned_text(&format!("ghcr.io/o/app:v1@{old}"), &r, &d), format!("ghcr.io/o/app:v1@{d}"));
/// # Ok::<(), boltseal_reference::ReferenceError>(())
/// ```
#[must_use]
pub fn pinned_text(written: &str, reference: &Reference, digest: &Digest) -> String {
    let base = match written.rsplit_once('@') {
        Some((base, _)) => base,
        None => written,
    };
    let latest = if reference.tag().is_none() && reference.digest().is_none() {
        ":latest"
    } else {
        ""
    };
    format!("{base}{latest}@{digest}")
}

/// Applies edits (sorted or not; they must not overlap) to `text`.
///
/// ```
/// use boltseal_pin::{Edit, apply_edits};
///
/// let out = apply_edits("FROM a:1\nFROM b:2\n", &[Edit::new(14..17, "b:2@x"), Edit::new(5..8, "a:1@y")])?;
/// assert_eq!(out, "FROM a:1@y\nFROM b:2@x\n");
/// # Ok::<(), boltseal_pin::Error>(())
/// ```
///
/// # Errors
/// [`Error::BadEdit`] for overlapping edits or spans outside `text` or not on character
/// boundaries.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let grow: usize = sorted.iter().map(|e| e.text.len()).sum();
    let mut out = String::with_capacity(text.len() + grow);
    let mut at = 0;
    for e in sorted {
        let bad = Error::BadEdit {
            start: e.span.start,
            end: e.span.end,
        };
        if e.span.start < at || e.span.end < e.span.start {
            return Err(bad);
        }
        let (Some(before), Some(_)) = (text.get(at..e.span.start), text.get(e.span.clone())) else {
            return Err(bad);
        };
        out.push_str(before);
        out.push_str(&e.text);
        at = e.span.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Ok(out)
}
