//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`) per the purl
//! specification: parsing, type-specific normalization, and the canonical string form.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Why a string is not a package URL, or components do not build one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlError {
    /// The string does not start with the `pkg:` scheme.
    #[error("{input:?}: a package URL starts with `pkg:`")]
    MissingScheme {
        /// The rejected input.
        input: String,
    },
    /// The type is missing or has a character outside `[a-zA-Z0-9.+-]`, or starts with a digit.
    #[error("{input:?}: invalid package type")]
    InvalidType {
        /// The rejected input (whole purl or type).
        input: String,
    },
    /// The name is missing.
    #[error("{input:?}: a package URL needs a name")]
    MissingName {
        /// The rejected input.
        input: String,
    },
    /// A qualifier key is empty, has a character outside `[a-zA-Z0-9.-_]`, starts with a digit,
    /// or appears twice.
    #[error("{input:?}: invalid qualifier key {key:?}")]
    InvalidQualifier {
        /// The rejected input.
        input: String,
        /// The offending key.
        key: String,
    },
    /// A percent escape is malformed or decodes to invalid UTF-8.
    #[error("{input:?}: invalid percent-encoding")]
    InvalidEncoding {
        /// The rejected input.
        input: String,
    },
    /// The package type requires a namespace and none was given, or forbids one and one was.
    #[error("{input:?}: the {kind} type {rule} a namespace")]
    Namespace {
        /// The rejected input.
        input: String,
        /// The package type.
        kind: String,
        /// `requires` or `forbids`.
        rule: &'static str,
    },
    /// The name or version breaks the package type's own rules (e.g. a CPAN module name with
    /// `::`, a Chrome extension id that is not 32 letters `a`–`p`).
    #[error("{input:?}: not a valid {kind} name or version")]
    InvalidName {
        /// The rejected input.
        input: String,
        /// The package type.
        kind: String,
    },
    /// The package type requires a qualifier that is missing.
    #[error("{input:?}: the {kind} type requires the {key:?} qualifier")]
    MissingQualifier {
        /// The rejected input.
        input: String,
        /// The package type.
        kind: String,
        /// The required qualifier key.
        key: &'static str,
    },
}

/// A validated package URL, normalized for its type.
///
/// Components are stored decoded; [`Display`](fmt::Display) gives the canonical string
/// (lowercase type, qualifiers sorted by key, empty qualifier values dropped, percent-encoding
/// applied where needed).
///
/// ```
/// use boltseal_sbom::Purl;
///
/// let p: Purl = "pkg:npm/%40angular/animation@12.3.1".parse()?;
/// assert_eq!(p.kind(), "npm");
/// assert_eq!(p.namespace(), Some("@angular"));
/// assert_eq!(p.name(), "animation");
/// assert_eq!(p.to_string(), "pkg:npm/%40angular/animation@12.3.1");
///
/// let deb = Purl::builder("deb", "libc6")
///     .namespace("debian")
///     .version("2.36-9")
///     .qualifier("distro", "debian-12")
///     .qualifier("arch", "amd64")
///     .build()?;
/// assert_eq!(deb.to_string(), "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12");
/// # Ok::<(), boltseal_sbom::PurlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    kind: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

/// Builds a [`Purl`] from decoded components; see [`Purl::builder`].
#[derive(Debug, Clone)]
pub struct PurlBuilder {
    kind: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl PurlBuilder {
    /// Sets the namespace (`/`-separated segments, decoded).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the version (decoded).
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Adds a qualifier (decoded value); empty values are dropped.
    #[must_use]
    pub fn qualifier(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.qualifiers.push((key.into(), value.into()));
        self
    }

    /// Sets the subpath (`/`-separated, decoded).
    #[must_use]
    pub fn subpath(mut self, subpath: impl Into<String>) -> Self {
        self.subpath = Some(subpath.into());
        self
    }

    /// Validates and normalizes the components.
    ///
    /// # Errors
    ///
    /// [`PurlError`] when the type, name or a qualifier key is invalid, or the type's
    /// namespace or qualifier rules are broken.
    pub fn build(self) -> Result<Purl, PurlError> {
        let input = format!("{}/{}", self.kind, self.name);
        if !valid_type(&self.kind) {
            return Err(PurlError::InvalidType { input });
        }
        let kind = self.kind.to_ascii_lowercase();
        let namespace = self
            .namespace
            .map(|ns| {
                ns.split('/')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .filter(|ns| !ns.is_empty());
        let mut qualifiers = BTreeMap::new();
        for (key, value) in self.qualifiers {
            if !valid_qualifier_key(&key) {
                return Err(PurlError::InvalidQualifier { input, key });
            }
            if value.is_empty() {
                continue;
            }
            let key = key.to_ascii_lowercase();
            if qualifiers.insert(key.clone(), value).is_some() {
                return Err(PurlError::InvalidQualifier { input, key });
            }
        }
        let subpath = self.subpath.and_then(|s| clean_subpath(&s));
        Purl::finish(
            input,
            kind,
            namespace,
            self.name,
            self.version.filter(|v| !v.is_empty()),
            qualifiers,
            subpath,
        )
    }
}

fn valid_type(kind: &str) -> bool {
    let mut chars = kind.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '.' || c == '-' || c == '+')
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
}

fn valid_qualifier_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn clean_subpath(s: &str) -> Option<String> {
    let segments: Vec<&str> = s
        .split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
        .collect();
    (!segments.is_empty()).then(|| segments.join("/"))
}

/// Namespace rule of a known package type.
#[derive(Clone, Copy, PartialEq)]
enum Ns {
    Required,
    Prohibited,
    Optional,
}

/// Type-specific rules: namespace requirement, lower-casing of namespace and name, and
/// required qualifiers. Unknown types get no extra rules.
struct TypeRule {
    ns: Ns,
    lower_namespace: bool,
    lower_name: bool,
    required_qualifier: Option<&'static str>,
}

fn type_rule(kind: &str) -> Option<TypeRule> {
    use Ns::{Optional as O, Prohibited as P, Required as R};
    let (ns, lower_namespace, lower_name, required_qualifier) = match kind {
        "alpm" | "apk" | "bitbucket" | "composer" | "deb" | "github" | "qpkg"
        | "vscode-extension" => (R, true, kind != "qpkg", None),
        "rpm" => (R, true, false, None),
        "git" => (R, true, true, None),
        "golang" | "huggingface" | "maven" | "swift" => (R, false, false, None),
        "brew" | "hex" | "luarocks" | "yocto" => (O, true, kind != "yocto", None),
        "conan" | "cpan" | "docker" | "generic" | "npm" | "swid" => (O, false, false, None),
        "bitnami" | "chrome-extension" | "oci" | "otp" | "pub" | "pypi" => (P, false, true, None),
        "bazel" | "cargo" | "cocoapods" | "conda" | "cran" | "gem" | "hackage" | "mlflow"
        | "nuget" | "opam" | "vcpkg" => (P, false, false, None),
        "julia" => (P, false, false, Some("uuid")),
        _ => return None,
    };
    let required_qualifier = if kind == "swid" {
        Some("tag_id")
    } else {
        required_qualifier
    };
    Some(TypeRule {
        ns,
        lower_namespace,
        lower_name,
        required_qualifier,
    })
}

impl PurlError {
    /// Whether this is a rule of one package type (namespace requirement, required qualifier,
    /// name shape) rather than of the purl syntax itself. Generators break these in the wild
    /// (syft writes `pkg:oci/<repo-path>/<name>`), so validation reports them as warnings.
    pub fn is_type_rule(&self) -> bool {
        matches!(
            self,
            PurlError::Namespace { .. }
                | PurlError::MissingQualifier { .. }
                | PurlError::InvalidName { .. }
        )
    }
}

impl Purl {
    /// Starts a builder from the type and the (decoded) name.
    pub fn builder(kind: impl Into<String>, name: impl Into<String>) -> PurlBuilder {
        PurlBuilder {
            kind: kind.into(),
            namespace: None,
            name: name.into(),
            version: None,
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    fn finish(
        input: String,
        kind: String,
        mut namespace: Option<String>,
        mut name: String,
        version: Option<String>,
        qualifiers: BTreeMap<String, String>,
        subpath: Option<String>,
    ) -> Result<Purl, PurlError> {
        if name.is_empty() {
            return Err(PurlError::MissingName { input });
        }
        if let Some(rule) = type_rule(&kind) {
            match (rule.ns, &namespace) {
                (Ns::Required, None) => {
                    return Err(PurlError::Namespace {
                        input,
                        kind,
                        rule: "requires",
                    });
                }
                (Ns::Prohibited, Some(_)) => {
                    return Err(PurlError::Namespace {
                        input,
                        kind,
                        rule: "forbids",
                    });
                }
                _ => {}
            }
            if rule.lower_namespace {
                namespace = namespace.map(|n| n.to_lowercase());
            }
            if rule.lower_name {
                name = name.to_lowercase();
            }
            if let Some(key) = rule.required_qualifier
                && !qualifiers.contains_key(key)
            {
                return Err(PurlError::MissingQualifier { input, kind, key });
            }
        }
        let invalid_name = || PurlError::InvalidName {
            input: input.clone(),
            kind: kind.clone(),
        };
        if kind == "git" && (name.contains("//") || name.starts_with('/') || name.ends_with('/')) {
            // A git name is a path: no empty segments.
            name = name
                .split('/')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            if name.is_empty() {
                return Err(PurlError::MissingName { input });
            }
        }
        match kind.as_str() {
            "pypi" => name = name.replace('_', "-"),
            "cpan" if name.contains("::") => return Err(invalid_name()),
            "chrome-extension" => {
                let id_ok = name.len() == 32 && name.bytes().all(|b| (b'a'..=b'p').contains(&b));
                let version_ok = version.as_deref().is_none_or(|v| {
                    let parts: Vec<&str> = v.split('.').collect();
                    parts.len() <= 4
                        && parts
                            .iter()
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                });
                if !id_ok || !version_ok {
                    return Err(invalid_name());
                }
            }
            "mlflow"
                // Databricks-hosted registries are case-insensitive.
                if qualifiers
                    .get("repository_url")
                    .is_some_and(|u| u.contains("databricks"))
                => {
                    name = name.to_lowercase();
                }
            "huggingface" => {}
            _ => {}
        }
        let version = match (kind.as_str(), version) {
            ("huggingface", Some(v)) => Some(v.to_lowercase()),
            (_, v) => v,
        };
        Ok(Purl {
            kind,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// The package type, lowercase (`npm`, `deb`, `oci`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The namespace (decoded, `/`-separated), if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name (decoded).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version (decoded), if any.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The qualifiers, sorted by key (decoded values).
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    /// One qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }

    /// The subpath (decoded, `/`-separated), if any.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }
}

/// The non-empty `/`-separated segments of `path`, each percent-decoded; a segment that
/// decodes to a `/` is refused.
fn decode_segments(path: &str, input: &str) -> Result<Vec<String>, PurlError> {
    let mut out = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let seg = decode(seg, input)?;
        if seg.contains('/') {
            return Err(PurlError::InvalidEncoding {
                input: input.to_owned(),
            });
        }
        out.push(seg);
    }
    Ok(out)
}

fn decode(s: &str, input: &str) -> Result<String, PurlError> {
    let bytes = s.as_bytes();
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => out.push(b),
                None => {
                    return Err(PurlError::InvalidEncoding {
                        input: input.to_owned(),
                    });
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::InvalidEncoding {
        input: input.to_owned(),
    })
}

fn encode_into(out: &mut String, s: &str, keep_slash: bool) {
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric()
            || matches!(c, '.' | '-' | '_' | '~' | ':')
            || (keep_slash && c == '/')
        {
            out.push(c);
        } else {
            out.push('%');
            out.push(
                char::from_digit(u32::from(b >> 4), 16).map_or('0', |d| d.to_ascii_uppercase()),
            );
            out.push(
                char::from_digit(u32::from(b & 15), 16).map_or('0', |d| d.to_ascii_uppercase()),
            );
        }
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err_input = || input.to_owned();
        let rest = match input.get(..4) {
            Some(scheme) if scheme.eq_ignore_ascii_case("pkg:") => &input[4..],
            _ => return Err(PurlError::MissingScheme { input: err_input() }),
        };
        let rest = rest.trim_start_matches('/');
        // Subpath, then qualifiers, split from the right.
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, s)) => (r, Some(s)),
            None => (rest, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (kind, rest) = rest
            .split_once('/')
            .ok_or_else(|| PurlError::InvalidType { input: err_input() })?;
        if kind.is_empty() || !valid_type(kind) {
            return Err(PurlError::InvalidType { input: err_input() });
        }
        let kind = kind.to_ascii_lowercase();
        let rest = rest.trim_matches('/');
        // The version follows the last `@` of the last segment (a scope's `@` may stay unencoded).
        let last_segment = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, version) = match rest[last_segment..].rfind('@') {
            Some(at) => (
                &rest[..last_segment + at],
                Some(&rest[last_segment + at + 1..]),
            ),
            None => (rest, None),
        };
        // git: the namespace is the host, the name is the rest of the path.
        let split = if kind.eq_ignore_ascii_case("git") {
            path.find('/')
        } else {
            path.rfind('/')
        };
        let (namespace, name) = match split {
            Some(slash) => (Some(&path[..slash]), &path[slash + 1..]),
            None => (None, path),
        };
        let name = if kind.eq_ignore_ascii_case("git") {
            decode_segments(name, input)?.join("/")
        } else {
            decode(name, input)?
        };
        if name.is_empty() {
            return Err(PurlError::MissingName { input: err_input() });
        }
        let namespace = match namespace {
            Some(ns) => {
                let segments = decode_segments(ns, input)?;
                (!segments.is_empty()).then(|| segments.join("/"))
            }
            None => None,
        };
        let version = match version {
            Some(v) => Some(decode(v, input)?).filter(|v| !v.is_empty()),
            None => None,
        };
        let mut qualifiers = BTreeMap::new();
        if let Some(query) = query {
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if !valid_qualifier_key(key) {
                    return Err(PurlError::InvalidQualifier {
                        input: err_input(),
                        key: key.to_owned(),
                    });
                }
                let value = decode(value, input)?;
                if value.is_empty() {
                    continue;
                }
                let key = key.to_ascii_lowercase();
                if qualifiers.insert(key.clone(), value).is_some() {
                    return Err(PurlError::InvalidQualifier {
                        input: err_input(),
                        key,
                    });
                }
            }
        }
        let subpath = match subpath {
            Some(s) => {
                let mut segments = Vec::new();
                for seg in s.split('/') {
                    let seg = decode(seg, input)?;
                    if seg.contains('/') {
                        // An encoded `/` cannot be told from a separator once decoded.
                        return Err(PurlError::InvalidEncoding { input: err_input() });
                    }
                    if !seg.is_empty() && seg != "." && seg != ".." {
                        segments.push(seg);
                    }
                }
                (!segments.is_empty()).then(|| segments.join("/"))
            }
            None => None,
        };
        Purl::finish(
            input.to_owned(),
            kind,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        )
    }
}

impl TryFrom<&str> for Purl {
    type Error = PurlError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64);
        out.push_str("pkg:");
        out.push_str(&self.kind);
        out.push('/');
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/') {
                encode_into(&mut out, seg, false);
                out.push('/');
            }
        }
        encode_into(&mut out, &self.name, self.kind == "git");
        if let Some(v) = &self.version {
            out.push('@');
            encode_into(&mut out, v, false);
        }
        let mut sep = '?';
        for (k, v) in &self.qualifiers {
            out.push(sep);
            sep = '&';
            out.push_str(k);
            out.push('=');
            encode_into(&mut out, v, false);
        }
        if let Some(sp) = &self.subpath {
            out.push('#');
            for (i, seg) in sp.split('/').enumerate() {
                if i > 0 {
                    out.push('/');
                }
                encode_into(&mut out, seg, false);
            }
        }
        f.write_str(&out)
    }
}

impl serde::Serialize for Purl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Purl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Every PurlError is invalid input.
impl boltseal_core::Classify for PurlError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}
