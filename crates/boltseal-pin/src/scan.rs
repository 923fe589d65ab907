//! What the scanners find: image references with their exact byte spans, and findings.

use std::ops::Range;

use boltseal_reference::{Digest, Reference};

/// Which scanner reads a file.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A Dockerfile or Containerfile.
    Dockerfile,
    /// Kubernetes manifests (YAML, any number of documents).
    Kubernetes,
}

impl FileKind {
    /// The kind a directory walk gives a file by its name: `Dockerfile*`, `Containerfile*`,
    /// `*.dockerfile`, `*.containerfile` are Dockerfiles; `*.yaml`, `*.yml` are manifests;
    /// anything else is not scanned.
    ///
    /// ```
    /// use boltseal_pin::FileKind;
    ///
    /// assert_eq!(FileKind::for_name("Dockerfile.prod"), Some(FileKind::Dockerfile));
    /// assert_eq!(FileKind::for_name("api.dockerfile"), Some(FileKind::Dockerfile));
    /// assert_eq!(FileKind::for_name("deploy.yml"), Some(FileKind::Kubernetes));
    /// assert_eq!(FileKind::for_name("main.rs"), None);
    /// ```
    #[must_use]
    pub fn for_name(name: &str) -> Option<FileKind> {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("dockerfile")
            || lower.starts_with("containerfile")
            || lower.ends_with(".dockerfile")
            || lower.ends_with(".containerfile")
        {
            Some(FileKind::Dockerfile)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(FileKind::Kubernetes)
        } else {
            None
        }
    }

    /// `dockerfile` or `kubernetes`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            FileKind::Dockerfile => "dockerfile",
            FileKind::Kubernetes => "kubernetes",
        }
    }
}

/// Where in a file an image reference was found.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The image of a `FROM` instruction.
    From {
        /// The `--platform` flag's value, if any.
        platform: Option<String>,
        /// The stage name (`AS name`), if any.
        stage: Option<String>,
    },
    /// The default of a global `ARG` that `FROM` instructions use as their image.
    Arg {
        /// The argument's name.
        name: String,
        /// The lines of the `FROM` instructions using it.
        used_by: Vec<usize>,
    },
    /// `COPY --from=<image>`.
    CopyFrom,
    /// `RUN --mount=...,from=<image>`.
    MountFrom,
    /// The `image` of a container in a Kubernetes object.
    Container {
        /// `Kind/name` of the object (`Deployment/web`).
        object: String,
        /// The field's path in the object (`spec.template.spec.containers[0].image`).
        field: String,
    },
}

impl Origin {
    /// A short description: `FROM`, `ARG BASE`, `COPY --from`, `RUN --mount`, or
    /// `Deployment/web spec.template.spec.containers[0].image`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Origin::From { .. } => "FROM".to_owned(),
            Origin::Arg { name, .. } => format!("ARG {name}"),
            Origin::CopyFrom => "COPY --from".to_owned(),
            Origin::MountFrom => "RUN --mount from".to_owned(),
            Origin::Container { object, field } => format!("{object} {field}"),
        }
    }
}

/// What the text of an image reference means.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A valid image reference.
    Image(Reference),
    /// Text in an image position that cannot be pinned in place (a build argument inside the
    /// name, a YAML alias or block scalar, an invalid reference, ...).
    Unsupported {
        /// Why.
        reason: String,
    },
}

/// An image reference found in a file.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The bytes of the reference in the file (without quotes). Rewriting replaces exactly
    /// these bytes. For an unsupported target the span may be empty.
    pub span: Range<usize>,
    /// The 1-based line of the span's start.
    pub line: usize,
    /// The reference as written (`text[span]`).
    pub written: String,
    /// Where it was found.
    pub origin: Origin,
    /// The parsed reference, or why it cannot be pinned.
    pub target: Target,
}

impl ImageRef {
    /// The reference, when it is one.
    #[must_use]
    pub fn reference(&self) -> Option<&Reference> {
        match &self.target {
            Target::Image(r) => Some(r),
            Target::Unsupported { .. } => None,
        }
    }

    /// The digest written after the last `@`, if it is a valid one (also for unsupported
    /// targets such as `node:${V}@sha256:…`).
    #[must_use]
    pub fn written_digest(&self) -> Option<Digest> {
        if let Some(r) = self.reference() {
            return r.digest().copied();
        }
        let (_, d) = self.written.rsplit_once('@')?;
        Digest::parse(d).ok()
    }
}

/// A lock-file and pinning hygiene rule.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A `FROM` image without a digest.
    UnpinnedFrom,
    /// A `FROM` whose image is a build argument without a default: nothing to pin in the file.
    FromBuildArg,
    /// `npm install` (from `package.json`) where `npm ci` and a lock file belong.
    NpmInstall,
    /// `yarn install` without `--frozen-lockfile` / `--immutable`.
    YarnInstall,
    /// `pip install` of named packages, without hashes or a lock file.
    PipInstall,
    /// `pip install -r FILE` where the requirements carry no hashes.
    PipRequirementsWithoutHashes,
}

impl Rule {
    /// The rule's name in output (`unpinned-from`, `npm-install`, ...).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::UnpinnedFrom => "unpinned-from",
            Rule::FromBuildArg => "from-build-arg",
            Rule::NpmInstall => "npm-install",
            Rule::YarnInstall => "yarn-install",
            Rule::PipInstall => "pip-install",
            Rule::PipRequirementsWithoutHashes => "pip-requirements-without-hashes",
        }
    }
}

/// A hygiene finding.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The 1-based line.
    pub line: usize,
    /// The rule.
    pub rule: Rule,
    /// What is wrong and what to do instead.
    pub message: String,
    /// For [`Rule::PipRequirementsWithoutHashes`]: the requirement files named.
    pub requirement_files: Vec<String>,
}

impl Finding {
    pub(crate) fn new(line: usize, rule: Rule, message: String) -> Self {
        Finding {
            line,
            rule,
            message,
            requirement_files: Vec::new(),
        }
    }
}

/// Everything found in one file.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Image references in file order, with non-overlapping spans.
    pub refs: Vec<ImageRef>,
    /// Hygiene findings in file order.
    pub findings: Vec<Finding>,
}

/// Byte offset → 1-based line, for one text.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Parses the text of an image position, refusing what cannot be pinned in place.
pub(crate) fn target_of(written: &str) -> Target {
    if written.contains('$') {
        return Target::Unsupported {
            reason: "the name is built from variables".to_owned(),
        };
    }
    match Reference::parse(written) {
        Ok(r) => Target::Image(r),
        Err(e) => Target::Unsupported {
            reason: format!("not an image reference: {e}"),
        },
    }
}
