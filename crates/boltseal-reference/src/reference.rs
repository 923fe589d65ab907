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
/// an equal value, and serde uses the same string. [`Reference::familiar`] and
/// [`Reference::normalized`] parse back too (the latter with `:latest` when it was implicit).
///
/// # Normalization
///
/// - The first `/`-separated component is the registry when it contains `.` or `:`, is
///   `localhost`, or contains an uppercase letter (so `Foo/bar` is host `Foo`, as in Docker);
///   otherwise the registry is `docker.io`. Registry hosts keep their case.
/// - `index.docker.io` becomes `docker.io`; a Docker Hub name with one path component gets
///   `library/`.
/// - A tag and a digest may both be given and both are kept.
///
/// Where boltseal is stricter than docker/distribution:
///
/// - A Docker Hub repository that is a 64-character lowercase hex string (an image ID) is
///   refused however it is spelled (`<hex>`, `<hex>:tag`, `docker.io/<hex>`); Docker refuses
///   only the bare `<hex>`.
/// - A first component that is taken as a registry must be a valid host: `a_b.com/x` is an
///   [`ReferenceError::InvalidDomain`]; distribution accepts it as a registry-less path.
/// - Digests are `sha256`, `sha384` or `sha512` with lowercase hex of the exact length.
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
        split(s)
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
        check_path(repository)?;
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
            check_tag(tag)?;
        }
        Ok(Reference::assemble(
            registry, false, repository, tag, digest,
        ))
    }

    /// Builds the value from validated parts (in place: `Option<Digest>` is large).
    #[inline(always)]
    fn assemble(
        registry: &str,
        library: bool,
        path: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Reference {
        let lib = if library { OFFICIAL_PREFIX } else { "" };
        let name_len = registry.len() + 1 + lib.len() + path.len();
        let cap = name_len + tag.map_or(0, |t| t.len() + 1);
        let mut text = String::with_capacity(cap);
        text.push_str(registry);
        text.push('/');
        text.push_str(lib);
        text.push_str(path);
        if let Some(tag) = tag {
            text.push(':');
            text.push_str(tag);
        }
        Reference {
            text,
            // Both are at most NAME_MAX (255), checked by the callers.
            registry_len: registry.len() as u16,
            name_len: name_len as u16,
            digest,
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
        check_tag(tag)?;
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

/// Character classes of the grammar, one bit each, looked up by byte.
const LOWER: u8 = 1; // a-z
const DIGIT: u8 = 2; // 0-9
const UPPER: u8 = 4; // A-Z
const TAG_PUNCT: u8 = 8; // _ . -
const HOST_PUNCT: u8 = 16; // -
const DOMAIN_HINT: u8 = 32; // . : A-Z: a first component with one of these is a domain
const DELIM: u8 = 64; // / @: ends the first component

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_uppercase() {
            UPPER | DOMAIN_HINT
        } else if b == b'-' {
            TAG_PUNCT | HOST_PUNCT
        } else if b == b'_' {
            TAG_PUNCT
        } else if b == b'.' {
            TAG_PUNCT | DOMAIN_HINT
        } else if b == b':' {
            DOMAIN_HINT
        } else if b == b'/' || b == b'@' {
            DELIM
        } else {
            0
        };
        c += 1;
    }
    t
};

#[inline(always)]
fn class(c: u8) -> u8 {
    CLASS[usize::from(c)]
}

const ALNUM: u8 = LOWER | DIGIT;

/// Validates `s` and builds the reference, applying Docker's normalization, in one
/// left-to-right pass (the first component is read twice when it is not a domain).
fn split(s: &str) -> Result<Reference, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let b = s.as_bytes();

    // The first component ends at the first '/' (or '@', or the end). It is a domain when a
    // '/' follows it and it contains '.', ':' or an uppercase letter, or is `localhost`.
    let mut first_end = 0;
    let mut hints = 0;
    while first_end < b.len() {
        let c = class(b[first_end]);
        if c & DELIM != 0 {
            break;
        }
        hints |= c;
        first_end += 1;
    }
    let explicit = b.get(first_end) == Some(&b'/')
        && (hints & DOMAIN_HINT != 0 || &b[..first_end] == b"localhost");
    let (registry, path_start) = if explicit {
        check_domain(s, 0, first_end, s)?;
        let d = &s[..first_end];
        let d = if d == DOCKER_HUB_LEGACY {
            DOCKER_HUB
        } else {
            d
        };
        (d, first_end + 1)
    } else {
        (DOCKER_HUB, 0)
    };

    // The path ends at ':' (a tag follows), '@' (a digest follows) or the end.
    let (path_end, nested) = scan_path(b, path_start, s)?;
    let path = &s[path_start..path_end];
    let hub = registry == DOCKER_HUB;
    let library = hub && !nested;
    let name_len =
        registry.len() + 1 + if library { OFFICIAL_PREFIX.len() } else { 0 } + path.len();
    if name_len > NAME_MAX {
        return Err(ReferenceError::NameTooLong {
            input: s.to_owned(),
            len: name_len,
        });
    }
    if hub {
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

    let name_tag_end = if b.get(path_end) == Some(&b':') {
        scan_tag(b, path_end + 1, s)?
    } else {
        path_end
    };
    let digest = if name_tag_end < b.len() {
        // b[name_tag_end] is '@'.
        Some(Digest::parse_at(
            &s[name_tag_end + 1..],
            name_tag_end + 1,
            s,
        )?)
    } else {
        None
    };

    // The text is `registry/path[:tag]`: the input itself for an explicit, canonical registry.
    let verbatim = explicit && !library && registry.len() == first_end;
    let mut text;
    if verbatim {
        text = String::with_capacity(name_tag_end);
    } else {
        let extra = if library { OFFICIAL_PREFIX.len() } else { 0 };
        text = String::with_capacity(DOCKER_HUB.len() + 1 + extra + name_tag_end - path_start);
        text.push_str(DOCKER_HUB);
        text.push('/');
        if library {
            text.push_str(OFFICIAL_PREFIX);
        }
    }
    let copy_from = if verbatim { 0 } else { path_start };
    text.push_str(&s[copy_from..name_tag_end]);
    Ok(Reference {
        text,
        // Both are at most NAME_MAX (255), checked above.
        registry_len: registry.len() as u16,
        name_len: name_len as u16,
        digest,
    })
}

/// Whether Docker takes a first path component as a domain.
fn looks_like_domain(first: &str) -> bool {
    first == "localhost" || first.bytes().any(|c| class(c) & DOMAIN_HINT != 0)
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks `whole[start..end]` against `host [":" port]`; errors carry `input`.
fn check_domain(whole: &str, start: usize, end: usize, input: &str) -> Result<(), ReferenceError> {
    let b = &whole.as_bytes()[..end];
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
        while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b':') {
            i += 1;
        }
        if i == hex_start || b.get(i) != Some(&b']') {
            return bad(i);
        }
        i += 1;
    } else {
        loop {
            // A component: starts and ends with an alphanumeric, '-' allowed inside.
            if b.get(i).is_none_or(|&c| class(c) & (ALNUM | UPPER) == 0) {
                return bad(i);
            }
            i += 1;
            while i < b.len() && class(b[i]) & (ALNUM | UPPER | HOST_PUNCT) != 0 {
                i += 1;
            }
            if b[i - 1] == b'-' {
                return bad(i - 1);
            }
            if b.get(i) == Some(&b'.') {
                i += 1;
            } else {
                break;
            }
        }
    }
    if i < b.len() {
        if b[i] != b':' {
            return bad(i);
        }
        i += 1;
        let port = &b[i..];
        let bad_port = if port.is_empty() {
            Some(0)
        } else {
            port.iter().position(|c| !c.is_ascii_digit())
        };
        if let Some(j) = bad_port {
            return Err(ReferenceError::InvalidPort {
                input: input.to_owned(),
                offset: i + j,
            });
        }
    }
    Ok(())
}

/// Reads `path-comp ("/" path-comp)*` from `b[start..]` up to ':', '@' or the end; returns
/// where the path ends and whether it has more than one component.
#[inline(always)]
fn scan_path(b: &[u8], start: usize, input: &str) -> Result<(usize, bool), ReferenceError> {
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
    let mut nested = false;
    let mut i = start;
    loop {
        // An alphanumeric run is required here: at a component start or after a separator.
        if b.get(i).is_none_or(|&c| class(c) & ALNUM == 0) {
            return fail(i);
        }
        i += 1;
        while i < b.len() && class(b[i]) & ALNUM != 0 {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Ok((i, nested));
        };
        match c {
            b'/' => nested = true,
            b'.' => {}
            b'_' => {
                if b.get(i + 1) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i + 1) == Some(&b'-') {
                    i += 1;
                }
            }
            b':' | b'@' => return Ok((i, nested)),
            _ => return fail(i),
        }
        i += 1;
    }
}

/// Reads a tag from `b[start..]` up to '@' or the end; returns where it ends.
#[inline(always)]
fn scan_tag(b: &[u8], start: usize, input: &str) -> Result<usize, ReferenceError> {
    let bad = |offset| {
        Err(ReferenceError::InvalidTag {
            input: input.to_owned(),
            offset,
        })
    };
    // The first character is a word character: not '.' or '-'.
    if b.get(start)
        .is_none_or(|&c| class(c) & (ALNUM | UPPER) == 0 && c != b'_')
    {
        return bad(start);
    }
    let mut i = start + 1;
    while i < b.len() && class(b[i]) & (ALNUM | UPPER | TAG_PUNCT) != 0 {
        i += 1;
    }
    if i < b.len() && b[i] != b'@' {
        return bad(i);
    }
    if i - start > TAG_MAX {
        return Err(ReferenceError::TagTooLong {
            input: input.to_owned(),
            len: i - start,
        });
    }
    Ok(i)
}

/// Checks that all of `path` is a repository path; returns whether it is nested.
fn check_path(path: &str) -> Result<bool, ReferenceError> {
    let (end, nested) = scan_path(path.as_bytes(), 0, path)?;
    if end < path.len() {
        return Err(ReferenceError::InvalidPathComponent {
            input: path.to_owned(),
            offset: end,
        });
    }
    Ok(nested)
}

/// Checks that all of `tag` is a tag.
fn check_tag(tag: &str) -> Result<(), ReferenceError> {
    let end = scan_tag(tag.as_bytes(), 0, tag)?;
    if end < tag.len() {
        return Err(ReferenceError::InvalidTag {
            input: tag.to_owned(),
            offset: end,
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

#[cfg(test)]
mod tests {
    use super::{check_domain, scan_path};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        /// The path scanner accepts exactly the grammar's paths.
        #[test]
        fn path_scanner_agrees_with_grammar(s in "[a-z0-9._/A-Z:@-]{0,24}") {
            let grammar = slow_path(&s);
            let scanned = scan_path(s.as_bytes(), 0, &s);
            prop_assert_eq!(scanned.is_ok(), grammar.is_ok(), "{:?}: {:?}", s, scanned);
            if let Ok(parts) = grammar {
                prop_assert_eq!(scanned.ok(), Some(parts), "{:?}", s);
            }
        }

        /// The host check accepts exactly the grammar's host names (with optional port).
        #[test]
        fn host_check_agrees_with_grammar(s in "[a-zA-Z0-9._:-]{0,20}") {
            let checked = check_domain(&s, 0, s.len(), &s).is_ok();
            prop_assert_eq!(checked, slow_host(&s), "{:?}", s);
        }
    }

    /// The grammar's path rule, written naively.
    fn slow_path(s: &str) -> Result<(usize, bool), ()> {
        let end = s.find([':', '@']).unwrap_or(s.len());
        let path = &s[..end];
        let comp_ok = |c: &str| {
            // [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
            let mut rest = c;
            let alnum = |r: &str| {
                r.len()
                    - r.trim_start_matches(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
                        .len()
            };
            let n = alnum(rest);
            if n == 0 {
                return false;
            }
            rest = &rest[n..];
            while !rest.is_empty() {
                let sep = if rest.starts_with("__") {
                    2
                } else if rest.starts_with(['.', '_']) {
                    1
                } else if rest.starts_with('-') {
                    rest.len() - rest.trim_start_matches('-').len()
                } else {
                    return false;
                };
                rest = &rest[sep..];
                let n = alnum(rest);
                if n == 0 {
                    return false;
                }
                rest = &rest[n..];
            }
            true
        };
        if path.split('/').all(comp_ok) {
            Ok((end, path.contains('/')))
        } else {
            Err(())
        }
    }

    /// The grammar's host rule (without IPv6), written naively.
    fn slow_host(s: &str) -> bool {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let comp_ok = |c: &str| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        };
        host.split('.').all(comp_ok)
            && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
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
