//! Image references: the docker/distribution grammar with Docker's normalization.
//!
//! Grammar (facts from docker/distribution `reference`):
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path            (at most 255 bytes once normalized)
//! domain     := host [ ":" port ]
//! host       := component ( "." component )* | "[" [0-9A-Fa-f:]+ "]"
//! component  := [A-Za-z0-9] | [A-Za-z0-9] [A-Za-z0-9-]* [A-Za-z0-9]
//! port       := [0-9]+
//! path       := path-comp ( "/" path-comp )*
//! path-comp  := [a-z0-9]+ ( separator [a-z0-9]+ )*
//! separator  := "." | "_" | "__" | "-"+
//! tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! ```
//!
//! Normalization (Docker's `ParseNormalizedNamed`): the first `/`-separated component is a
//! domain when it contains `.` or `:`, equals `localhost`, or contains an uppercase letter;
//! otherwise the domain is `docker.io`. `index.docker.io` becomes `docker.io`, and a Docker Hub
//! name with a single path component gets the `library/` namespace.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// Docker Hub's canonical domain.
const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's legacy domain, rewritten to [`DOCKER_HUB`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
/// Namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";
/// Maximum length of `domain "/" path`.
const NAME_MAX: usize = 255;
/// Maximum length of a tag.
const TAG_MAX: usize = 128;

/// Why a string is not a valid [`Reference`].
///
/// Offsets are byte offsets into [`ReferenceError::input`]: the whole reference for
/// [`Reference::parse`], or the single part that was checked for [`Reference::new`] and
/// [`Reference::with_tag`]. The message does not repeat the input; callers usually print
/// `"{input}: {error}"`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The input is the empty string.
    #[error("reference is empty")]
    Empty,
    /// The normalized name (`registry/repository`) is longer than 255 bytes.
    #[error("name is {len} bytes long once normalized; at most 255 are allowed")]
    NameTooLong {
        /// The rejected input.
        input: String,
        /// Length of the normalized name in bytes.
        len: usize,
    },
    /// The registry host is not a valid host name, IPv4 address or bracketed IPv6 address.
    #[error("invalid registry host: {} at byte {offset}", describe(.input, *.offset))]
    InvalidDomain {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of the host when it is cut short).
        offset: usize,
    },
    /// The registry port is empty or not made of decimal digits.
    #[error("invalid registry port: {} at byte {offset}", describe(.input, *.offset))]
    InvalidPort {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte.
        offset: usize,
    },
    /// A repository path component is empty, or has a separator (`.`, `_`, `__`, `-`) at its
    /// start or end, or a character outside `[a-z0-9._-]`.
    #[error("invalid repository path: {} at byte {offset}", describe(.input, *.offset))]
    InvalidPathComponent {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of the component when it is empty
        /// or ends with a separator).
        offset: usize,
    },
    /// The repository path contains an uppercase letter; repositories are lowercase.
    #[error("repository must be lowercase: {} at byte {offset}", describe(.input, *.offset))]
    UppercaseRepository {
        /// The rejected input.
        input: String,
        /// Byte offset of the first uppercase letter.
        offset: usize,
    },
    /// The tag is empty, starts with `.` or `-`, or has a character outside `[A-Za-z0-9_.-]`.
    #[error("invalid tag: {} at byte {offset}", describe(.input, *.offset))]
    InvalidTag {
        /// The rejected input.
        input: String,
        /// Byte offset of the first offending byte (the end of input for an empty tag).
        offset: usize,
    },
    /// The tag is longer than 128 bytes.
    #[error("tag is {len} bytes long; at most 128 are allowed")]
    TagTooLong {
        /// The rejected input.
        input: String,
        /// Length of the tag in bytes.
        len: usize,
    },
    /// The digest after `@` is not a valid [`Digest`] (unsupported algorithm, wrong length,
    /// uppercase or non-hex characters). The inner error carries the whole input and the
    /// offset of the bad character.
    #[error(transparent)]
    DigestError(#[from] DigestError),
    /// The Docker Hub repository name is a 64-character lowercase hexadecimal string, which
    /// Docker refuses because it could be confused with an image ID.
    #[error(
        "repository name cannot be a 64-character hexadecimal string (it reads as an image ID)"
    )]
    NameIsDigest {
        /// The rejected input.
        input: String,
    },
    /// [`Reference::new`] was given a registry that would not be recognized as one when the
    /// reference is written out (no `.`, no `:port`, no uppercase letter and not `localhost`):
    /// `myhost/app` names the Docker Hub repository `docker.io/myhost/app`.
    #[error(
        "registry {input:?} would read as a Docker Hub namespace; a registry needs a '.', a ':port', or to be 'localhost'"
    )]
    UnqualifiedRegistry {
        /// The rejected registry.
        input: String,
    },
}

/// Describes the byte at `offset` for an error message.
fn describe(input: &str, offset: usize) -> String {
    match input.get(offset..).and_then(|rest| rest.chars().next()) {
        Some(c) => format!("unexpected {c:?}"),
        None => "unexpected end".to_owned(),
    }
}

impl ReferenceError {
    /// The string that was rejected (empty for [`ReferenceError::Empty`]).
    #[must_use]
    pub fn input(&self) -> &str {
        match self {
            ReferenceError::Empty => "",
            ReferenceError::NameTooLong { input, .. }
            | ReferenceError::InvalidDomain { input, .. }
            | ReferenceError::InvalidPort { input, .. }
            | ReferenceError::InvalidPathComponent { input, .. }
            | ReferenceError::UppercaseRepository { input, .. }
            | ReferenceError::InvalidTag { input, .. }
            | ReferenceError::TagTooLong { input, .. }
            | ReferenceError::NameIsDigest { input }
            | ReferenceError::UnqualifiedRegistry { input } => input,
            ReferenceError::DigestError(e) => match e {
                DigestError::MissingSeparator { input }
                | DigestError::UnsupportedAlgorithm { input, .. }
                | DigestError::InvalidLength { input, .. }
                | DigestError::InvalidHex { input, .. } => input,
            },
        }
    }

    /// The byte offset of the offending character, when the error points at one.
    #[must_use]
    pub fn offset(&self) -> Option<usize> {
        match self {
            ReferenceError::InvalidDomain { offset, .. }
            | ReferenceError::InvalidPort { offset, .. }
            | ReferenceError::InvalidPathComponent { offset, .. }
            | ReferenceError::UppercaseRepository { offset, .. }
            | ReferenceError::InvalidTag { offset, .. }
            | ReferenceError::DigestError(DigestError::InvalidHex { offset, .. }) => Some(*offset),
            _ => None,
        }
    }
}

/// A validated, normalized image reference: `registry/repository[:tag][@digest]`.
///
/// Parsing follows docker/distribution's grammar and Docker's normalization, so `nginx`,
/// `docker.io/nginx` and `index.docker.io/library/nginx` are the same reference. Nothing is
/// invented: a reference written without a tag has no tag ([`Reference::tag`] is `None`);
/// only [`Reference::normalized`] spells out the implicit `:latest`.
///
/// [`Display`](fmt::Display) writes `registry/repository[:tag][@digest]`, which parses back to
/// an equal value, and serde uses the same string.
///
/// ```
/// use boltseal_reference::Reference;
///
/// let r = Reference::parse("nginx")?;
/// assert_eq!(r.registry(), "docker.io");
/// assert_eq!(r.repository(), "library/nginx");
/// assert_eq!(r.tag(), None);
/// assert_eq!(r.to_string(), "docker.io/library/nginx");
/// assert_eq!(r.normalized(), "docker.io/library/nginx:latest");
/// assert_eq!(r.familiar(), "nginx");
/// # Ok::<(), boltseal_reference::ReferenceError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `registry "/" repository [":" tag]`.
    text: String,
    /// Length of the registry (the `/` after it is at this index).
    registry_len: u16,
    /// End of the repository in `text`; a tag follows when `text` is longer.
    name_len: u16,
    digest: Option<Digest>,
}

/// Where the parts of a reference are, as validated.
struct Parts<'a> {
    registry: &'a str,
    library: bool,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference, applying Docker's normalization.
    ///
    /// ```
    /// use boltseal_reference::{Reference, ReferenceError};
    ///
    /// let r = Reference::parse("localhost:5000/team/app:v1.2")?;
    /// assert_eq!(r.registry(), "localhost:5000");
    /// assert_eq!(r.repository(), "team/app");
    /// assert_eq!(r.tag(), Some("v1.2"));
    ///
    /// let r = Reference::parse("index.docker.io/library/busybox@sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa")?;
    /// assert_eq!(r.to_string(), "docker.io/library/busybox@sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa");
    ///
    /// assert!(matches!(
    ///     Reference::parse("ghcr.io/Org/app"),
    ///     Err(ReferenceError::UppercaseRepository { offset: 8, .. })
    /// ));
    /// # Ok::<(), ReferenceError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ReferenceError`] naming the first part that is wrong and the byte offset within `s`.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let parts = split(s)?;
        Ok(Reference::assemble(&parts))
    }

    /// Builds a reference from its parts, validating each one.
    ///
    /// The registry is kept as given, except that `index.docker.io` becomes `docker.io`. The
    /// repository is taken literally: `library/` is *not* added, so for Docker Hub's official
    /// images pass `library/NAME` (otherwise the written form `docker.io/NAME` parses back as
    /// `docker.io/library/NAME`).
    ///
    /// ```
    /// use boltseal_reference::{Reference, ReferenceError};
    ///
    /// let r = Reference::new("127.0.0.1:5000", "demo/app", Some("v1"), None)?;
    /// assert_eq!(r.to_string(), "127.0.0.1:5000/demo/app:v1");
    /// assert_eq!(r, Reference::parse("127.0.0.1:5000/demo/app:v1")?);
    ///
    /// // A registry must look like one, or the written reference would name Docker Hub.
    /// assert!(matches!(
    ///     Reference::new("myhost", "app", None, None),
    ///     Err(ReferenceError::UnqualifiedRegistry { .. })
    /// ));
    /// # Ok::<(), ReferenceError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ReferenceError`] for the first invalid part; its input and offset refer to that part.
    pub fn new(
        registry: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Reference, ReferenceError> {
        if registry.is_empty() {
            return Err(ReferenceError::InvalidDomain {
                input: String::new(),
                offset: 0,
            });
        }
        check_domain(registry, 0, registry.len(), registry)?;
        let registry = if registry == DOCKER_HUB_LEGACY {
            DOCKER_HUB
        } else {
            registry
        };
        if !looks_like_domain(registry) {
            return Err(ReferenceError::UnqualifiedRegistry {
                input: registry.to_owned(),
            });
        }
        check_path(repository, 0, repository.len(), repository)?;
        let len = registry.len() + 1 + repository.len();
        if len > NAME_MAX {
            return Err(ReferenceError::NameTooLong {
                input: repository.to_owned(),
                len,
            });
        }
        if registry == DOCKER_HUB
            && (is_hex64(repository)
                || repository
                    .strip_prefix(OFFICIAL_PREFIX)
                    .is_some_and(is_hex64))
        {
            return Err(ReferenceError::NameIsDigest {
                input: repository.to_owned(),
            });
        }
        if let Some(tag) = tag {
            check_tag(tag, 0, tag)?;
        }
        Ok(Reference::assemble(&Parts {
            registry,
            library: false,
            path: repository,
            tag,
            digest,
        }))
    }

    fn assemble(p: &Parts<'_>) -> Reference {
        let lib = if p.library { OFFICIAL_PREFIX } else { "" };
        let name_len = p.registry.len() + 1 + lib.len() + p.path.len();
        let cap = name_len + p.tag.map_or(0, |t| t.len() + 1);
        let mut text = String::with_capacity(cap);
        text.push_str(p.registry);
        text.push('/');
        text.push_str(lib);
        text.push_str(p.path);
        if let Some(tag) = p.tag {
            text.push(':');
            text.push_str(tag);
        }
        Reference {
            text,
            // Both are at most NAME_MAX (255), checked by the callers.
            registry_len: p.registry.len() as u16,
            name_len: name_len as u16,
            digest: p.digest,
        }
    }

    /// The registry: `docker.io` for Docker Hub, otherwise the host (and port) as written.
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.text[..usize::from(self.registry_len)]
    }

    /// The repository path within the registry, such as `library/nginx`.
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.text[usize::from(self.registry_len) + 1..usize::from(self.name_len)]
    }

    /// The tag, if one was written (no implicit `latest`).
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.text.get(usize::from(self.name_len) + 1..)
    }

    /// The digest, if one was written.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, the name without tag or digest.
    #[must_use]
    pub fn repository_name(&self) -> String {
        self.name().to_owned()
    }

    fn name(&self) -> &str {
        &self.text[..usize::from(self.name_len)]
    }

    /// The fully qualified form, `registry/repository[:tag][@digest]`, with `:latest` added when
    /// there is neither a tag nor a digest (what a client pulls).
    ///
    /// ```
    /// use boltseal_reference::Reference;
    ///
    /// assert_eq!(Reference::parse("alpine")?.normalized(), "docker.io/library/alpine:latest");
    /// assert_eq!(Reference::parse("quay.io/x/y:3")?.normalized(), "quay.io/x/y:3");
    /// # Ok::<(), boltseal_reference::ReferenceError>(())
    /// ```
    #[must_use]
    pub fn normalized(&self) -> String {
        if self.tag().is_none() && self.digest.is_none() {
            let mut s = String::with_capacity(self.text.len() + ":latest".len());
            s.push_str(&self.text);
            s.push_str(":latest");
            s
        } else {
            self.to_string()
        }
    }

    /// Docker's short form: `docker.io/` and, for official images, `library/` are removed;
    /// the tag and digest are kept as written.
    ///
    /// Unlike Docker, `docker.io/` is kept when removing it would change the meaning, that is
    /// when the first path component would then read as a registry (`docker.io/foo.bar/app`),
    /// so the familiar form always parses back to the same reference.
    ///
    /// ```
    /// use boltseal_reference::Reference;
    ///
    /// assert_eq!(Reference::parse("docker.io/library/nginx:1.27")?.familiar(), "nginx:1.27");
    /// assert_eq!(Reference::parse("index.docker.io/grafana/grafana")?.familiar(), "grafana/grafana");
    /// assert_eq!(Reference::parse("library/a/b")?.familiar(), "library/a/b");
    /// assert_eq!(Reference::parse("ghcr.io/o/app:v1")?.familiar(), "ghcr.io/o/app:v1");
    /// # Ok::<(), boltseal_reference::ReferenceError>(())
    /// ```
    #[must_use]
    pub fn familiar(&self) -> String {
        let start = if self.registry() == DOCKER_HUB {
            let repo = self.repository();
            let repo_start = usize::from(self.registry_len) + 1;
            match repo.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => repo_start + OFFICIAL_PREFIX.len(),
                _ => {
                    let first = repo.split('/').next().unwrap_or_default();
                    if repo.contains('/') && looks_like_domain(first) {
                        0
                    } else {
                        repo_start
                    }
                }
            }
        } else {
            0
        };
        let rest = &self.text[start..];
        match &self.digest {
            None => rest.to_owned(),
            Some(d) => {
                let mut s = String::with_capacity(rest.len() + 1 + d.as_str().len());
                s.push_str(rest);
                s.push('@');
                s.push_str(d.as_str());
                s
            }
        }
    }

    /// The same repository with `tag` as its tag and no digest.
    ///
    /// # Errors
    /// [`ReferenceError::InvalidTag`] or [`ReferenceError::TagTooLong`], relative to `tag`.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        check_tag(tag, 0, tag)?;
        Ok(self.rebuild(Some(tag), None))
    }

    /// The same reference (tag kept) pinned to `digest`.
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Reference {
        self.rebuild(self.tag(), Some(digest))
    }

    /// The same reference without its tag (the digest is kept).
    #[must_use]
    pub fn without_tag(&self) -> Reference {
        self.rebuild(None, self.digest)
    }

    fn rebuild(&self, tag: Option<&str>, digest: Option<Digest>) -> Reference {
        let name = self.name();
        let mut text = String::with_capacity(name.len() + tag.map_or(0, |t| t.len() + 1));
        text.push_str(name);
        if let Some(tag) = tag {
            text.push(':');
            text.push_str(tag);
        }
        Reference {
            text,
            registry_len: self.registry_len,
            name_len: self.name_len,
            digest,
        }
    }
}

/// Validates `s` and finds its parts, applying Docker's normalization.
fn split(s: &str) -> Result<Parts<'_>, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let b = s.as_bytes();
    // The digest starts after the first '@'; name and tag never contain one.
    let at = b.iter().position(|&c| c == b'@');
    let name_tag_end = at.unwrap_or(b.len());
    // The tag starts at the first ':' after the last '/' (a port's ':' comes before a '/').
    let last_slash = b[..name_tag_end].iter().rposition(|&c| c == b'/');
    let after_slash = last_slash.map_or(0, |i| i + 1);
    let colon = b[after_slash..name_tag_end]
        .iter()
        .position(|&c| c == b':')
        .map(|i| i + after_slash);
    let name_end = colon.unwrap_or(name_tag_end);

    // Domain: the first component, when it looks like one.
    let first_slash = b[..name_end].iter().position(|&c| c == b'/');
    let (registry, path_start) = match first_slash {
        Some(i) if looks_like_domain(&s[..i]) => {
            check_domain(s, 0, i, s)?;
            let d = &s[..i];
            (
                if d == DOCKER_HUB_LEGACY {
                    DOCKER_HUB
                } else {
                    d
                },
                i + 1,
            )
        }
        _ => (DOCKER_HUB, 0),
    };
    let path = &s[path_start..name_end];
    check_path(s, path_start, name_end, s)?;
    let library = registry == DOCKER_HUB && !path.contains('/');
    let name_len =
        registry.len() + 1 + if library { OFFICIAL_PREFIX.len() } else { 0 } + path.len();
    if name_len > NAME_MAX {
        return Err(ReferenceError::NameTooLong {
            input: s.to_owned(),
            len: name_len,
        });
    }
    if registry == DOCKER_HUB {
        let repo = if library {
            path
        } else {
            path.strip_prefix(OFFICIAL_PREFIX).unwrap_or("")
        };
        if is_hex64(repo) {
            return Err(ReferenceError::NameIsDigest {
                input: s.to_owned(),
            });
        }
    }
    let tag = match colon {
        Some(c) => {
            check_tag(&s[c + 1..name_tag_end], c + 1, s)?;
            Some(&s[c + 1..name_tag_end])
        }
        None => None,
    };
    let digest = match at {
        Some(a) => Some(Digest::parse_at(&s[a + 1..], a + 1, s)?),
        None => None,
    };
    Ok(Parts {
        registry,
        library,
        path,
        tag,
        digest,
    })
}

/// Whether Docker takes a first path component as a domain.
fn looks_like_domain(first: &str) -> bool {
    first == "localhost"
        || first
            .bytes()
            .any(|c| c == b'.' || c == b':' || c.is_ascii_uppercase())
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks `whole[start..end]` against `host [":" port]`; errors carry `whole`.
fn check_domain(whole: &str, start: usize, end: usize, input: &str) -> Result<(), ReferenceError> {
    let b = whole.as_bytes();
    let bad = |offset| {
        Err(ReferenceError::InvalidDomain {
            input: input.to_owned(),
            offset,
        })
    };
    let mut i = start;
    if b.get(i) == Some(&b'[') {
        i += 1;
        let hex_start = i;
        while i < end && (b[i].is_ascii_hexdigit() || b[i] == b':') {
            i += 1;
        }
        if i == hex_start || i >= end || b[i] != b']' {
            return bad(i);
        }
        i += 1;
    } else {
        loop {
            if i >= end || !b[i].is_ascii_alphanumeric() {
                return bad(i);
            }
            while i < end && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
                i += 1;
            }
            if b[i - 1] == b'-' {
                return bad(i - 1);
            }
            if i < end && b[i] == b'.' {
                i += 1;
            } else {
                break;
            }
        }
    }
    if i < end {
        if b[i] != b':' {
            return bad(i);
        }
        i += 1;
        if i == end {
            return Err(ReferenceError::InvalidPort {
                input: input.to_owned(),
                offset: i,
            });
        }
        while i < end {
            if !b[i].is_ascii_digit() {
                return Err(ReferenceError::InvalidPort {
                    input: input.to_owned(),
                    offset: i,
                });
            }
            i += 1;
        }
    }
    Ok(())
}

/// Checks `whole[start..end]` against `path-comp ("/" path-comp)*`.
fn check_path(whole: &str, start: usize, end: usize, input: &str) -> Result<(), ReferenceError> {
    let b = whole.as_bytes();
    let fail = |offset: usize| {
        if b.get(offset).is_some_and(u8::is_ascii_uppercase) {
            Err(ReferenceError::UppercaseRepository {
                input: input.to_owned(),
                offset,
            })
        } else {
            Err(ReferenceError::InvalidPathComponent {
                input: input.to_owned(),
                offset,
            })
        }
    };
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = start;
    loop {
        // An alphanumeric run is required here: at a component start or after a separator.
        if i >= end || !alnum(b[i]) {
            return fail(i);
        }
        while i < end && alnum(b[i]) {
            i += 1;
        }
        if i == end {
            return Ok(());
        }
        match b[i] {
            b'/' | b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < end && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < end && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return fail(i),
        }
    }
}

/// Checks a tag (`tag` starts at byte `base` of `input`).
fn check_tag(tag: &str, base: usize, input: &str) -> Result<(), ReferenceError> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = tag.as_bytes();
    match b.first() {
        Some(&c) if word(c) => {}
        _ => {
            return Err(ReferenceError::InvalidTag {
                input: input.to_owned(),
                offset: base,
            });
        }
    }
    if let Some(i) = b.iter().position(|&c| !(word(c) || c == b'.' || c == b'-')) {
        return Err(ReferenceError::InvalidTag {
            input: input.to_owned(),
            offset: base + i,
        });
    }
    if b.len() > TAG_MAX {
        return Err(ReferenceError::TagTooLong {
            input: input.to_owned(),
            len: b.len(),
        });
    }
    Ok(())
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if let Some(d) = &self.digest {
            f.write_str("@")?;
            f.write_str(d.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reference")
            .field("registry", &self.registry())
            .field("repository", &self.repository())
            .field("tag", &self.tag())
            .field("digest", &self.digest.as_ref().map(Digest::as_str))
            .finish()
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

impl TryFrom<&str> for Reference {
    type Error = ReferenceError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Reference::parse(s)
    }
}

impl TryFrom<String> for Reference {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Reference::parse(&s)
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Reference;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image reference such as registry/repository:tag@sha256:<hex>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Reference, E> {
                Reference::parse(v).map_err(|e| E::custom(format_args!("{v:?}: {e}")))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(feature = "oci-spec")]
mod oci {
    use super::{Reference, ReferenceError};

    /// Converts to oci-spec's reference. oci-spec has no tagless, digestless form, so a
    /// reference with neither gets the tag `latest` (what oci-spec's own parser does).
    impl From<&Reference> for oci_spec::distribution::Reference {
        fn from(r: &Reference) -> Self {
            let registry = r.registry().to_owned();
            let repository = r.repository().to_owned();
            match (r.tag(), r.digest()) {
                (Some(t), Some(d)) => Self::with_tag_and_digest(
                    registry,
                    repository,
                    t.to_owned(),
                    d.as_str().to_owned(),
                ),
                (Some(t), None) => Self::with_tag(registry, repository, t.to_owned()),
                (None, Some(d)) => Self::with_digest(registry, repository, d.as_str().to_owned()),
                (None, None) => Self::with_tag(registry, repository, "latest".to_owned()),
            }
        }
    }

    /// Validates oci-spec's reference with boltseal's parser (its written form is parsed), so
    /// values oci-spec accepts but boltseal does not (uppercase hex digests, `Z/0`-style
    /// repositories) are refused.
    impl TryFrom<&oci_spec::distribution::Reference> for Reference {
        type Error = ReferenceError;
        fn try_from(r: &oci_spec::distribution::Reference) -> Result<Self, Self::Error> {
            Reference::parse(&r.whole())
        }
    }
}
