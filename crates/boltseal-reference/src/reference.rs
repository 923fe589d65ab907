//! Image references: the docker/distribution grammar with Docker's normalization.
//!
//! Grammar (facts from docker/distribution `reference`):
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path            (path at most 255 bytes once normalized)
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
//! name with a single path component gets the `library/` namespace. An input that is nothing
//! but 64 lowercase hex digits is refused: it reads as an image ID.

mod error;
mod grammar;

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;
pub use error::ReferenceError;
use grammar::{check_domain, check_path, check_tag, is_hex64, looks_like_domain, split};

/// Docker Hub's canonical domain.
const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's legacy domain, rewritten to [`DOCKER_HUB`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
/// Namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";
/// Maximum length of the repository path (without the domain, with `library/` when added), as
/// distribution's `RepositoryNameTotalLengthMax`.
const PATH_MAX: usize = 255;
/// Longest input kept: offsets are `u32`, with room for `docker.io/library/`.
const INPUT_MAX: usize = (u32::MAX / 2) as usize;
/// Maximum length of a tag.
const TAG_MAX: usize = 128;

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
    registry_len: u32,
    /// End of the repository in `text`; a tag follows when `text` is longer.
    name_len: u32,
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
        if registry.len() > INPUT_MAX {
            return Err(ReferenceError::InvalidDomain {
                input: String::new(),
                offset: INPUT_MAX,
            });
        }
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
        if repository.len() > PATH_MAX {
            return Err(ReferenceError::NameTooLong {
                input: repository.to_owned(),
                len: repository.len(),
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
            // Both are at most INPUT_MAX + 256, checked by the caller.
            registry_len: registry.len() as u32,
            name_len: name_len as u32,
            digest,
        }
    }

    /// The registry: `docker.io` for Docker Hub, otherwise the host (and port) as written.
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.text[..(self.registry_len as usize)]
    }

    /// The repository path within the registry, such as `library/nginx`.
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.text[(self.registry_len as usize) + 1..(self.name_len as usize)]
    }

    /// The tag, if one was written (no implicit `latest`).
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.text.get((self.name_len as usize) + 1..)
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
        &self.text[..(self.name_len as usize)]
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
    /// so the familiar form always parses back to the same reference; for the same reason an
    /// official image named by 64 hex digits keeps `library/` when it has no tag or digest
    /// (the bare hex would read as an image ID).
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
            let repo_start = (self.registry_len as usize) + 1;
            match repo.strip_prefix(OFFICIAL_PREFIX) {
                // A bare 64-hex name would read as an image ID: it keeps `library/`.
                Some(rest) if !rest.contains('/') && !self.bare_image_id(rest) => {
                    repo_start + OFFICIAL_PREFIX.len()
                }
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

    /// Whether the familiar form `rest` alone would read as an image ID.
    fn bare_image_id(&self, rest: &str) -> bool {
        self.tag().is_none() && self.digest.is_none() && is_hex64(rest)
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
