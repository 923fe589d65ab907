//! Validation of SPDX 2.2/2.3 and CycloneDX 1.4–1.7 JSON documents (for 1.7, its additions to
//! 1.6: citations, external components with version ranges, mixed license choices,
//! distribution constraints; patent assertions are checked for their JSON type only).
//!
//! Two layers, both reported as [`Finding`]s:
//!
//! * **Schema rules**, compiled into Rust from the official JSON schemas' structure (the
//!   schemas themselves are not embedded): required properties, property types, closed objects
//!   (`additionalProperties: false`), enumerations per spec version, patterns (serial number,
//!   hash content, BOM links, MIME types, locales), `oneOf` choices (license choice, tools,
//!   lifecycles, annotators, JSF algorithms), `uniqueItems`, numeric bounds, and the
//!   `date-time`, `uri`, `iri-reference` and `idn-email` formats asserted. CycloneDX areas with
//!   deep structures of their own — `formulation`, `declarations`, `definitions`, `modelCard`,
//!   component `data`, `cryptoProperties`, evidence call stacks, vulnerability
//!   `proofOfConcept` — are checked for their JSON type only.
//! * **Semantic rules** the schemas cannot express: unique SPDX ids and `bom-ref`s, SPDX id
//!   syntax, relationships and dependencies that point at existing elements, at least one
//!   `DESCRIBES`, `filesAnalyzed` consistent with files, package verification code and
//!   `licenseInfoFromFiles`, a document namespace, valid package URLs, valid SPDX license
//!   expressions with every `LicenseRef-` defined, checksum lengths, CPE 2.3 syntax.
//!
//! Findings name the element concerned: a JSON pointer for schema rules, the SPDX id or
//! `bom-ref` for semantic rules.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::{CycloneDxVersion, Format, HashAlgorithm, SpdxVersion};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The document breaks a rule of its format: it is invalid.
    Error,
    /// Allowed but questionable (for example a deprecated spelling).
    Warning,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The element concerned: a JSON pointer (`/components/3/hashes/0/content`) or an element
    /// id (`SPDXRef-Package-x`, a `bom-ref`).
    pub element: String,
    /// What is wrong.
    pub message: String,
    /// For schema rules, the JSON pointer of the offending node (the property itself for a
    /// property that is not allowed).
    node: String,
}

impl Finding {
    /// The JSON pointer of the node a schema rule rejected (empty for semantic rules).
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let element = if self.element.is_empty() {
            "/"
        } else {
            &self.element
        };
        write!(f, "{sev}: {element}: {}", self.message)
    }
}

/// The outcome of [`validate`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Validation {
    /// The format the document claims.
    pub format: Format,
    /// Findings in document order (schema rules first, then semantic rules).
    pub findings: Vec<Finding>,
}

impl Validation {
    /// Whether there is no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }
}

/// Validates an SPDX or CycloneDX JSON document.
///
/// ```
/// let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
///   "metadata":{"timestamp":"2020-04-13"},
///   "components":[{"type":"library","name":"a","bom-ref":"a","purl":"pkg:npm/a@1"},
///                 {"type":"library","name":"b","bom-ref":"a"}]}"#;
/// let v = boltseal_sbom::validate(doc)?;
/// assert!(!v.is_valid());
/// let lines: Vec<String> = v.findings.iter().map(|f| f.to_string()).collect();
/// assert!(lines.iter().any(|l| l.contains("/metadata/timestamp")));
/// assert!(lines.iter().any(|l| l.contains("bom-ref") && l.contains("not unique")));
/// # Ok::<(), boltseal_sbom::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Json`] when the input is not JSON, [`Error::UnknownFormat`] when it is neither SPDX
/// nor CycloneDX, [`Error::UnsupportedVersion`] for versions this crate does not validate.
pub fn validate(bytes: &[u8]) -> Result<Validation, Error> {
    let text = crate::decode_text(bytes)?;
    let value: Value = serde_json::from_slice(&text).map_err(|source| Error::Json {
        format: "JSON",
        source,
    })?;
    validate_value(&value)
}

/// Validates a parsed JSON document; see [`validate`].
///
/// # Errors
///
/// As [`validate`], except for JSON syntax.
pub fn validate_value(value: &Value) -> Result<Validation, Error> {
    let obj = value.as_object();
    let get = |k: &str| obj.and_then(|o| o.get(k));
    if let Some(v) = get("spdxVersion") {
        let version = match v.as_str() {
            Some("SPDX-2.3") => SpdxVersion::V2_3,
            Some("SPDX-2.2") => SpdxVersion::V2_2,
            _ => {
                return Err(Error::UnsupportedVersion {
                    format: "SPDX",
                    version: v.to_string(),
                    supported: "SPDX-2.2 and SPDX-2.3",
                });
            }
        };
        let mut s = Spdx::new(version);
        s.document(value);
        s.semantics(value);
        return Ok(Validation {
            format: Format::Spdx(version),
            findings: s.c.out,
        });
    }
    if get("bomFormat").is_some() || get("specVersion").is_some() {
        let spec = get("specVersion").and_then(Value::as_str).unwrap_or("");
        let version =
            CycloneDxVersion::from_spec(spec).ok_or_else(|| Error::UnsupportedVersion {
                format: "CycloneDX",
                version: get("specVersion").map_or("(missing)".to_owned(), Value::to_string),
                supported: "1.4 to 1.7",
            })?;
        let mut c = Cdx {
            c: Cx::default(),
            v: version,
        };
        c.bom(value);
        c.semantics(value);
        return Ok(Validation {
            format: Format::CycloneDx(version),
            findings: c.c.out,
        });
    }
    Err(Error::UnknownFormat {
        reason: "neither spdxVersion nor bomFormat/specVersion is present".to_owned(),
    })
}

// ------------------------------------------------------------------------------------------
// Shared machinery: a JSON pointer being walked and the findings so far.

#[derive(Default)]
struct Cx {
    path: String,
    out: Vec<Finding>,
    /// Inside a `oneOf`/`anyOf` probe: only whether there was an error matters.
    probing: bool,
    /// The node of the next error when it is not the current path.
    node: Option<String>,
}

impl Cx {
    fn err(&mut self, msg: impl Into<String>) {
        if self.probing {
            self.out.push(Finding {
                severity: Severity::Error,
                element: String::new(),
                message: String::new(),
                node: String::new(),
            });
            return;
        }
        self.out.push(Finding {
            severity: Severity::Error,
            element: self.path.clone(),
            message: msg.into(),
            node: self.node.take().unwrap_or_else(|| self.path.clone()),
        });
    }

    fn finding(&mut self, severity: Severity, element: &str, msg: impl Into<String>) {
        self.out.push(Finding {
            severity,
            element: element.to_owned(),
            message: msg.into(),
            node: String::new(),
        });
    }

    fn at<F: FnOnce(&mut Self)>(&mut self, key: &str, f: F) {
        let len = self.path.len();
        self.path.push('/');
        for c in key.chars() {
            match c {
                '~' => self.path.push_str("~0"),
                '/' => self.path.push_str("~1"),
                c => self.path.push(c),
            }
        }
        f(self);
        self.path.truncate(len);
    }

    fn at_index<F: FnOnce(&mut Self)>(&mut self, i: usize, f: F) {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&i.to_string());
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` without recording findings; returns whether it found none.
    fn probe<F: FnOnce(&mut Self)>(&mut self, f: F) -> bool {
        let saved = std::mem::take(&mut self.out);
        let was = std::mem::replace(&mut self.probing, true);
        f(self);
        self.probing = was;
        let ok = self.out.is_empty();
        self.out = saved;
        ok
    }

    fn object<'v>(&mut self, v: &'v Value, required: &[&str]) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            self.err(format!("expected an object, found {}", kind(v)));
            return None;
        };
        for r in required {
            if !m.contains_key(*r) {
                self.err(format!("required property {r:?} is missing"));
            }
        }
        Some(m)
    }

    fn unknown(&mut self, key: &str) {
        let len = self.path.len();
        // Report at the object, naming the property.
        let parent = self.path.rfind('/').map_or(0, |i| i);
        self.node = Some(self.path.clone());
        let saved = self.path.split_off(parent);
        self.err(format!("property {key:?} is not allowed here"));
        self.path.push_str(&saved);
        debug_assert_eq!(self.path.len(), len);
    }

    fn string<'v>(&mut self, v: &'v Value) -> Option<&'v str> {
        match v.as_str() {
            Some(s) => Some(s),
            None => {
                self.err(format!("expected a string, found {}", kind(v)));
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value) {
        if !v.is_boolean() {
            self.err(format!("expected a boolean, found {}", kind(v)));
        }
    }

    fn integer(&mut self, v: &Value, min: Option<i64>) {
        match v.as_i64() {
            Some(n) => {
                if let Some(m) = min
                    && n < m
                {
                    self.err(format!("{n} is less than the minimum {m}"));
                }
            }
            None if v.as_u64().is_some() => {}
            None if v.as_f64().is_some_and(|f| f.fract() == 0.0) => {}
            None => self.err(format!("expected an integer, found {}", kind(v))),
        }
    }

    fn number(&mut self, v: &Value, min: Option<f64>, max: Option<f64>) {
        let Some(n) = v.as_f64() else {
            self.err(format!("expected a number, found {}", kind(v)));
            return;
        };
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            self.err(format!("{n} is out of range"));
        }
    }

    fn enumeration(&mut self, v: &Value, allowed: &[&str]) {
        if let Some(s) = self.string(v)
            && !allowed.contains(&s)
        {
            self.err(format!("{s:?} is not one of the allowed values"));
        }
    }

    fn min_len(&mut self, v: &Value, min: usize) {
        if let Some(s) = self.string(v)
            && s.chars().count() < min
        {
            self.err(format!("must have at least {min} character(s)"));
        }
    }

    fn array<'v>(&mut self, v: &'v Value, unique: bool) -> Option<&'v [Value]> {
        let Some(a) = v.as_array() else {
            self.err(format!("expected an array, found {}", kind(v)));
            return None;
        };
        if unique && a.len() > 1 {
            let mut seen = HashSet::with_capacity(a.len());
            for x in a {
                let key = match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !seen.insert(key) {
                    self.err("items must be unique");
                    break;
                }
            }
        }
        Some(a)
    }

    fn each<F: FnMut(&mut Self, &Value)>(&mut self, v: &Value, unique: bool, mut f: F) {
        if let Some(a) = self.array(v, unique) {
            for (i, x) in a.iter().enumerate() {
                self.at_index(i, |c| f(c, x));
            }
        }
    }

    fn strings(&mut self, v: &Value, unique: bool) {
        self.each(v, unique, |c, x| {
            c.string(x);
        });
    }

    fn date_time(&mut self, v: &Value) {
        if let Some(s) = self.string(v)
            && !is_date_time(s)
        {
            self.err(format!("{s:?} is not an RFC 3339 date-time"));
        }
    }

    fn iri_reference(&mut self, v: &Value) {
        if let Some(s) = self.string(v)
            && !is_iri_reference(s)
        {
            self.err(format!("{s:?} is not an IRI reference"));
        }
    }

    fn email(&mut self, v: &Value) {
        if let Some(s) = self.string(v)
            && !is_email(s)
        {
            self.err(format!("{s:?} is not an e-mail address"));
        }
    }

    fn object_only(&mut self, v: &Value) {
        self.object(v, &[]);
    }

    fn objects(&mut self, v: &Value) {
        self.each(v, false, |c, x| c.object_only(x));
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ------------------------------------------------------------------------------------------
// Formats.

/// RFC 3339 `date-time` (as JSON Schema's format): full date, `T`, time with seconds,
/// optional fraction, and `Z` or an offset.
pub(crate) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') <= 23
                && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

fn valid_chars_and_escapes(s: &str, allow_non_ascii: bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(i + 2 < b.len() + 1
                && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if c >= 0x80 {
            if !allow_non_ascii {
                return false;
            }
        } else if c <= 0x20
            || c == 0x7f
            || matches!(
                c,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            return false;
        }
        i += 1;
    }
    s.matches('#').count() <= 1
}

fn scheme_of(s: &str) -> Option<&str> {
    let end = s.find(':')?;
    let scheme = &s[..end];
    if scheme.contains(['/', '?', '#']) {
        return None;
    }
    Some(scheme)
}

fn valid_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// An RFC 3987 IRI reference (relative references allowed): no spaces, controls or
/// characters outside the grammar, well-formed percent escapes, a valid scheme when present.
pub(crate) fn is_iri_reference(s: &str) -> bool {
    if !valid_chars_and_escapes(s, true) {
        return false;
    }
    match scheme_of(s) {
        Some(scheme) => valid_scheme(scheme),
        None => true,
    }
}

/// An RFC 3986 URI: a scheme, then ASCII characters of the grammar.
pub(crate) fn is_uri(s: &str) -> bool {
    valid_chars_and_escapes(s, false) && scheme_of(s).is_some_and(valid_scheme)
}

fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !s.contains(char::is_whitespace)
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn is_hex_digest(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid_lower(s: &str) -> bool {
    let g: Vec<&str> = s.split('-').collect();
    g.len() == 5
        && g.iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// `urn:cdx:<uuid>/<version>` (document) or with `#<ref>` (element).
fn is_bom_link(s: &str, element: bool) -> bool {
    let Some(rest) = s.strip_prefix("urn:cdx:") else {
        return false;
    };
    let Some((uuid, rest)) = rest.split_once('/') else {
        return false;
    };
    let (version, fragment) = match rest.split_once('#') {
        Some((v, f)) => (v, Some(f)),
        None => (rest, None),
    };
    is_uuid_lower(uuid)
        && version.starts_with(|c: char| ('1'..='9').contains(&c))
        && version.bytes().all(|b| b.is_ascii_digit())
        && (element == fragment.is_some_and(|f| !f.is_empty()))
        && fragment.is_none_or(|f| !f.is_empty())
        && is_iri_reference(s)
}

/// CPE 2.3 formatted string (the shape of the NIST pattern: 13 colon-separated fields).
fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else {
        return false;
    };
    let mut fields = 0;
    let mut escaped = false;
    let mut current_len = 0;
    for c in rest.chars() {
        if escaped {
            escaped = false;
            current_len += 1;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                if current_len == 0 {
                    return false;
                }
                fields += 1;
                current_len = 0;
            }
            c if c.is_whitespace() => return false,
            _ => current_len += 1,
        }
    }
    fields == 10 && current_len > 0 && rest.starts_with(['a', 'h', 'o', '*', '-'])
}

// ------------------------------------------------------------------------------------------
// CycloneDX schema rules.

use CycloneDxVersion::{V1_4, V1_5, V1_6, V1_7};

struct Cdx {
    c: Cx,
    v: CycloneDxVersion,
}

const COMPONENT_TYPES: &[(&str, CycloneDxVersion)] = &[
    ("application", V1_4),
    ("framework", V1_4),
    ("library", V1_4),
    ("container", V1_4),
    ("operating-system", V1_4),
    ("device", V1_4),
    ("firmware", V1_4),
    ("file", V1_4),
    ("platform", V1_5),
    ("device-driver", V1_5),
    ("machine-learning-model", V1_5),
    ("data", V1_5),
    ("cryptographic-asset", V1_6),
];

const EXTREF_TYPES: &[(&str, CycloneDxVersion)] = &[
    ("vcs", V1_4),
    ("issue-tracker", V1_4),
    ("website", V1_4),
    ("advisories", V1_4),
    ("bom", V1_4),
    ("mailing-list", V1_4),
    ("social", V1_4),
    ("chat", V1_4),
    ("documentation", V1_4),
    ("support", V1_4),
    ("distribution", V1_4),
    ("license", V1_4),
    ("build-meta", V1_4),
    ("build-system", V1_4),
    ("release-notes", V1_4),
    ("other", V1_4),
    ("distribution-intake", V1_5),
    ("security-contact", V1_5),
    ("model-card", V1_5),
    ("log", V1_5),
    ("configuration", V1_5),
    ("evidence", V1_5),
    ("formulation", V1_5),
    ("attestation", V1_5),
    ("threat-model", V1_5),
    ("adversary-model", V1_5),
    ("risk-assessment", V1_5),
    ("vulnerability-assertion", V1_5),
    ("exploitability-statement", V1_5),
    ("pentest-report", V1_5),
    ("static-analysis-report", V1_5),
    ("dynamic-analysis-report", V1_5),
    ("runtime-analysis-report", V1_5),
    ("component-analysis-report", V1_5),
    ("maturity-report", V1_5),
    ("certification-report", V1_5),
    ("codified-infrastructure", V1_5),
    ("quality-metrics", V1_5),
    ("poam", V1_5),
    ("source-distribution", V1_6),
    ("electronic-signature", V1_6),
    ("digital-signature", V1_6),
    ("rfc-9116", V1_6),
];

const HASH_ALGS: &[&str] = &[
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
];

const LIFECYCLE_PHASES: &[&str] = &[
    "design",
    "pre-build",
    "build",
    "post-build",
    "operations",
    "discovery",
    "decommission",
];

const JSF_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "Ed25519",
    "Ed448", "HS256", "HS384", "HS512",
];

impl Cdx {
    fn since(&self, v: CycloneDxVersion) -> bool {
        self.v >= v
    }

    fn versioned_enum(&mut self, x: &Value, table: &[(&str, CycloneDxVersion)]) {
        let v = self.v;
        if let Some(s) = self.c.string(x)
            && !table.iter().any(|(name, since)| *name == s && v >= *since)
        {
            self.c.err(format!(
                "{s:?} is not an allowed value in CycloneDX {}",
                v.as_str()
            ));
        }
    }

    fn bom(&mut self, v: &Value) {
        let required: &[&str] = if self.v == V1_4 {
            &["bomFormat", "specVersion", "version"]
        } else {
            &["bomFormat", "specVersion"]
        };
        let Some(m) = self.c.object(v, required) else {
            return;
        };
        for (k, x) in m {
            self.with(k, |s| s.bom_property(k, x));
        }
    }

    /// Runs `f` on a sub-walker sharing this one's findings and path.
    fn with<F: FnOnce(&mut Cdx)>(&mut self, key: &str, f: F) {
        let v = self.v;
        self.c.at(key, |c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            f(&mut s);
            *c = s.c;
        });
    }

    fn with_index<F: FnOnce(&mut Cdx)>(&mut self, i: usize, f: F) {
        let v = self.v;
        self.c.at_index(i, |c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            f(&mut s);
            *c = s.c;
        });
    }

    fn each<F: FnMut(&mut Cdx, &Value)>(&mut self, x: &Value, unique: bool, mut f: F) {
        if let Some(a) = self.c.array(x, unique) {
            for (i, item) in a.iter().enumerate() {
                self.with_index(i, |s| f(s, item));
            }
        }
    }

    /// Walks the properties of an object: `f` returns false for a property not allowed.
    fn props<F: FnMut(&mut Cdx, &str, &Value) -> bool>(
        &mut self,
        v: &Value,
        required: &[&str],
        mut f: F,
    ) {
        let Some(m) = self.c.object(v, required) else {
            return;
        };
        for (k, x) in m {
            self.with(k, |s| {
                if !f(s, k, x) {
                    s.c.unknown(k);
                }
            });
        }
    }

    fn bom_property(&mut self, k: &str, x: &Value) {
        match k {
            "$schema" => {
                if self.v == V1_4 {
                    self.c
                        .enumeration(x, &["http://cyclonedx.org/schema/bom-1.4.schema.json"]);
                } else {
                    self.c.string(x);
                }
            }
            "bomFormat" => self.c.enumeration(x, &["CycloneDX"]),
            "specVersion" => {
                self.c.string(x);
            }
            "serialNumber" => {
                if let Some(s) = self.c.string(x)
                    && !s.strip_prefix("urn:uuid:").is_some_and(is_uuid_lower)
                {
                    self.c
                        .err(format!("{s:?} does not match urn:uuid:<lower-case UUID>"));
                }
            }
            "version" => self
                .c
                .integer(x, if self.v == V1_4 { None } else { Some(1) }),
            "metadata" => self.metadata(x),
            "components" => self.each(x, true, |s, c| s.component(c)),
            "services" => self.each(x, true, |s, c| s.service(c)),
            "externalReferences" => self.each(x, false, |s, c| s.external_reference(c)),
            "dependencies" => self.each(x, true, |s, c| s.dependency(c)),
            "compositions" => self.each(x, true, |s, c| s.composition(c)),
            "vulnerabilities" => self.each(x, true, |s, c| s.vulnerability(c)),
            "signature" => self.signature(x),
            "annotations" if self.since(V1_5) => self.each(x, true, |s, c| s.annotation(c)),
            "formulation" if self.since(V1_5) => {
                self.each(x, true, |s, c| s.c.object_only(c));
            }
            "properties" if self.since(V1_5) => self.properties(x),
            "citations" if self.since(V1_7) => self.each(x, true, |s, c| s.citation(c)),
            "declarations" | "definitions" if self.since(V1_6) => self.c.object_only(x),
            other => self.c.unknown(other),
        }
    }

    fn ref_type(&mut self, x: &Value) {
        self.c.min_len(x, 1);
    }

    fn ref_or_link(&mut self, x: &Value) {
        if self.v == V1_4 {
            self.ref_type(x);
            return;
        }
        // anyOf(refLinkType, bomLinkElementType); refLinkType already admits any non-empty
        // string.
        self.ref_type(x);
    }

    fn properties(&mut self, x: &Value) {
        let v = self.v;
        self.each(x, false, |s, p| {
            let required: &[&str] = if v >= V1_6 { &["name"] } else { &[] };
            s.props(p, required, |s, k, x| {
                match k {
                    "name" | "value" => {
                        s.c.string(x);
                    }
                    _ if v < V1_6 => {
                        // 1.4 and 1.5 do not close the property object.
                    }
                    _ => return false,
                }
                true
            });
        });
    }

    fn hash(&mut self, x: &Value) {
        self.props(x, &["alg", "content"], |s, k, x| {
            match k {
                "alg" => s.c.enumeration(x, HASH_ALGS),
                "content" => {
                    if let Some(c) = s.c.string(x)
                        && !is_hex_digest(c)
                    {
                        s.c.err(format!("{c:?} is not a hex digest of a known length"));
                    }
                }
                _ => return false,
            }
            true
        });
    }

    fn hashes(&mut self, x: &Value) {
        self.each(x, false, |s, h| s.hash(h));
    }

    fn attachment(&mut self, x: &Value) {
        self.props(x, &["content"], |s, k, x| {
            match k {
                "contentType" | "content" => {
                    s.c.string(x);
                }
                "encoding" => s.c.enumeration(x, &["base64"]),
                _ => return false,
            }
            true
        });
    }

    fn contact(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "name" | "phone" => {
                    s.c.string(x);
                }
                "email" => s.c.email(x),
                "bom-ref" if v >= V1_5 => s.ref_type(x),
                _ => return false,
            }
            true
        });
    }

    fn entity(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "name" => {
                    s.c.string(x);
                }
                "url" => s.each(x, false, |s, u| s.c.iri_reference(u)),
                "contact" => s.each(x, false, |s, c| s.contact(c)),
                "bom-ref" if v >= V1_5 => s.ref_type(x),
                "address" if v >= V1_6 => s.props(x, &[], |s, k, x| {
                    match k {
                        "bom-ref" => s.ref_type(x),
                        "country"
                        | "region"
                        | "locality"
                        | "postOfficeBoxNumber"
                        | "postalCode"
                        | "streetAddress" => {
                            s.c.string(x);
                        }
                        _ => return false,
                    }
                    true
                }),
                _ => return false,
            }
            true
        });
    }

    fn tool_legacy(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            match k {
                "vendor" | "name" | "version" => {
                    s.c.string(x);
                }
                "hashes" => s.hashes(x),
                "externalReferences" => s.each(x, false, |s, e| s.external_reference(e)),
                _ => return false,
            }
            true
        });
    }

    fn tools(&mut self, x: &Value) {
        if self.v == V1_4 {
            self.each(x, false, |s, t| s.tool_legacy(t));
            return;
        }
        // oneOf: { components, services } or a legacy array.
        let v = self.v;
        let as_object = self.c.probe(|c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            s.tools_object(x);
            *c = s.c;
        });
        let as_array = self.c.probe(|c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            s.each(x, false, |s, t| s.tool_legacy(t));
            *c = s.c;
        });
        if as_object == as_array {
            if x.is_object() {
                self.tools_object(x);
            } else if x.is_array() {
                self.each(x, false, |s, t| s.tool_legacy(t));
            } else {
                self.c
                    .err("expected an object with components/services, or an array of tools");
            }
        }
    }

    fn tools_object(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            match k {
                "components" => s.each(x, true, |s, c| s.component(c)),
                "services" => s.each(x, true, |s, c| s.service(c)),
                _ => return false,
            }
            true
        });
    }

    fn metadata(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "timestamp" => s.c.date_time(x),
                "tools" => s.tools(x),
                "authors" => s.each(x, false, |s, a| s.contact(a)),
                "component" => s.component(x),
                "manufacture" | "supplier" => s.entity(x),
                "licenses" => s.license_choice(x),
                "properties" => s.properties(x),
                "lifecycles" if v >= V1_5 => s.each(x, false, |s, l| s.lifecycle(l)),
                "manufacturer" if v >= V1_6 => s.entity(x),
                "distributionConstraints" if v >= V1_7 => s.props(x, &[], |s, k, x| {
                    k == "tlp" && {
                        s.c.enumeration(x, &["CLEAR", "GREEN", "AMBER", "AMBER_AND_STRICT", "RED"]);
                        true
                    }
                }),
                _ => return false,
            }
            true
        });
    }

    fn lifecycle(&mut self, x: &Value) {
        let v = self.v;
        let phase = self.c.probe(|c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            s.props(x, &["phase"], |s, k, x| {
                k == "phase" && {
                    s.c.enumeration(x, LIFECYCLE_PHASES);
                    true
                }
            });
            *c = s.c;
        });
        let named = self.c.probe(|c| {
            let mut s = Cdx {
                c: std::mem::take(c),
                v,
            };
            s.props(x, &["name"], |s, k, x| {
                matches!(k, "name" | "description") && s.c.string(x).is_some()
            });
            *c = s.c;
        });
        if phase == named {
            self.c
                .err("a lifecycle is either {phase} with a known phase or {name, description}");
        }
    }

    fn component(&mut self, x: &Value) {
        let v = self.v;
        if v >= V1_7
            && let Some(m) = x.as_object()
            && m.contains_key("versionRange")
        {
            if m.contains_key("version") {
                self.c
                    .err("a component has either \"version\" or \"versionRange\", not both");
            }
            if m.get("isExternal").and_then(Value::as_bool) != Some(true) {
                self.c.err(
                    "\"versionRange\" is only allowed on components with \"isExternal\": true",
                );
            }
        }
        self.props(x, &["type", "name"], |s, k, x| {
            match k {
                "type" => s.versioned_enum(x, COMPONENT_TYPES),
                "mime-type" => {
                    if let Some(m) = s.c.string(x) {
                        let ok = m.split_once('/').is_some_and(|(a, b)| {
                            let part = |p: &str| {
                                !p.is_empty()
                                    && p.bytes().all(|c| {
                                        c.is_ascii_lowercase()
                                            || c.is_ascii_digit()
                                            || matches!(c, b'-' | b'+' | b'.')
                                    })
                            };
                            part(a) && part(b)
                        });
                        if !ok {
                            s.c.err(format!("{m:?} is not a MIME type"));
                        }
                    }
                }
                "bom-ref" => s.ref_type(x),
                "supplier" => s.entity(x),
                "author" | "publisher" | "group" | "name" | "description" | "copyright" | "cpe"
                | "purl" => {
                    s.c.string(x);
                }
                "version" => {
                    if let Some(ver) = s.c.string(x)
                        && v >= V1_6
                        && ver.chars().count() > 1024
                    {
                        s.c.err("longer than 1024 characters");
                    }
                }
                "scope" => s.c.enumeration(x, &["required", "optional", "excluded"]),
                "hashes" => s.hashes(x),
                "licenses" => s.license_choice(x),
                "swid" => s.swid(x),
                "modified" => s.c.boolean(x),
                "pedigree" => s.pedigree(x),
                "externalReferences" => s.each(x, false, |s, e| s.external_reference(e)),
                "components" => s.each(x, true, |s, c| s.component(c)),
                "evidence" => s.evidence(x),
                "releaseNotes" => s.release_notes(x),
                "properties" => s.properties(x),
                "signature" => s.signature(x),
                "modelCard" if v >= V1_5 => s.c.object_only(x),
                "data" if v >= V1_5 => s.c.objects(x),
                "manufacturer" if v >= V1_6 => s.entity(x),
                "authors" if v >= V1_6 => s.each(x, false, |s, a| s.contact(a)),
                "omniborId" | "swhid" | "tags" if v >= V1_6 => s.c.strings(x, false),
                "cryptoProperties" if v >= V1_6 => s.c.object_only(x),
                "isExternal" if v >= V1_7 => s.c.boolean(x),
                "versionRange" if v >= V1_7 => s.c.min_len(x, 1),
                "patentAssertions" if v >= V1_7 => s.c.objects(x),
                _ => return false,
            }
            true
        });
    }

    fn swid(&mut self, x: &Value) {
        self.props(x, &["tagId", "name"], |s, k, x| {
            match k {
                "tagId" | "name" | "version" => {
                    s.c.string(x);
                }
                "tagVersion" => s.c.integer(x, None),
                "patch" => s.c.boolean(x),
                "text" => s.attachment(x),
                "url" => s.c.iri_reference(x),
                _ => return false,
            }
            true
        });
    }

    fn pedigree(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            match k {
                "ancestors" | "descendants" | "variants" => {
                    s.each(x, false, |s, c| s.component(c));
                }
                "commits" => s.each(x, false, |s, c| s.commit(c)),
                "patches" => s.each(x, false, |s, p| s.patch(p)),
                "notes" => {
                    s.c.string(x);
                }
                _ => return false,
            }
            true
        });
    }

    fn commit(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            match k {
                "uid" | "message" => {
                    s.c.string(x);
                }
                "url" => s.c.iri_reference(x),
                "author" | "committer" => s.identifiable_action(x),
                _ => return false,
            }
            true
        });
    }

    fn identifiable_action(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            match k {
                "timestamp" => s.c.date_time(x),
                "name" => {
                    s.c.string(x);
                }
                "email" => s.c.email(x),
                _ => return false,
            }
            true
        });
    }

    fn patch(&mut self, x: &Value) {
        self.props(x, &["type"], |s, k, x| {
            match k {
                "type" => {
                    s.c.enumeration(x, &["unofficial", "monkey", "backport", "cherry-pick"])
                }
                "diff" => s.props(x, &[], |s, k, x| {
                    match k {
                        "text" => s.attachment(x),
                        "url" => s.c.iri_reference(x),
                        _ => return false,
                    }
                    true
                }),
                "resolves" => s.each(x, false, |s, i| s.issue(i)),
                _ => return false,
            }
            true
        });
    }

    fn issue(&mut self, x: &Value) {
        self.props(x, &["type"], |s, k, x| {
            match k {
                "type" => s.c.enumeration(x, &["defect", "enhancement", "security"]),
                "id" | "name" | "description" => {
                    s.c.string(x);
                }
                "source" => s.props(x, &[], |s, k, x| {
                    match k {
                        "name" => {
                            s.c.string(x);
                        }
                        "url" => s.c.iri_reference(x),
                        _ => return false,
                    }
                    true
                }),
                "references" => s.each(x, false, |s, r| s.c.iri_reference(r)),
                _ => return false,
            }
            true
        });
    }

    fn evidence(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "licenses" => s.license_choice(x),
                "copyright" => s.each(x, false, |s, c| {
                    s.props(c, &["text"], |s, k, x| {
                        k == "text" && s.c.string(x).is_some()
                    });
                }),
                "identity" if v >= V1_5 => {
                    if v >= V1_6 && x.is_array() {
                        s.c.objects(x);
                    } else {
                        s.c.object_only(x);
                    }
                }
                "occurrences" if v >= V1_5 => s.each(x, false, |s, o| {
                    s.props(o, &["location"], |s, k, x| {
                        match k {
                            "bom-ref" => s.ref_type(x),
                            "location" => {
                                s.c.string(x);
                            }
                            "line" | "offset" if v >= V1_6 => s.c.integer(x, Some(0)),
                            "symbol" | "additionalContext" if v >= V1_6 => {
                                s.c.string(x);
                            }
                            _ => return false,
                        }
                        true
                    });
                }),
                "callstack" if v >= V1_5 => s.c.object_only(x),
                _ => return false,
            }
            true
        });
    }

    fn release_notes(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &["type"], |s, k, x| {
            match k {
                "type" | "title" | "description" => {
                    s.c.string(x);
                }
                "featuredImage" | "socialImage" => s.c.iri_reference(x),
                "timestamp" => s.c.date_time(x),
                "aliases" | "tags" => s.c.strings(x, false),
                "resolves" => s.each(x, false, |s, i| s.issue(i)),
                "notes" => s.each(x, false, |s, n| {
                    s.props(n, &["text"], |s, k, x| {
                        match k {
                            "locale" => {
                                if let Some(l) = s.c.string(x) {
                                    let b = l.as_bytes();
                                    let ok = (b.len() == 2 || (b.len() == 5 && b[2] == b'-'))
                                        && b[..2].iter().all(u8::is_ascii_lowercase)
                                        && b.get(3..)
                                            .is_none_or(|r| r.iter().all(u8::is_ascii_uppercase));
                                    if !ok {
                                        s.c.err(format!("{l:?} is not a locale like en-US"));
                                    }
                                }
                            }
                            "text" => s.attachment(x),
                            _ => return false,
                        }
                        true
                    });
                }),
                "properties" => s.properties(x),
                _ if v < V1_5 && k == "unused" => {}
                _ => return false,
            }
            true
        });
    }

    fn license(&mut self, x: &Value) {
        let v = self.v;
        // oneOf: exactly one of `id` and `name`.
        if let Some(m) = x.as_object()
            && m.contains_key("id") == m.contains_key("name")
        {
            self.c
                .err("a license has exactly one of \"id\" and \"name\"");
        }
        self.props(x, &[], |s, k, x| {
            match k {
                "id" => {
                    if let Some(id) = s.c.string(x)
                        && spdx::license_id(id).is_none()
                        && spdx::exception_id(id).is_none()
                    {
                        s.c.err(format!("{id:?} is not an SPDX license id"));
                    }
                }
                "name" => {
                    s.c.string(x);
                }
                "text" => s.attachment(x),
                "url" => s.c.iri_reference(x),
                "bom-ref" if v >= V1_5 => s.ref_type(x),
                "licensing" if v >= V1_5 => s.c.object_only(x),
                "properties" if v >= V1_5 => s.properties(x),
                "acknowledgement" if v >= V1_6 => {
                    s.c.enumeration(x, &["declared", "concluded"]);
                }
                _ => return false,
            }
            true
        });
    }

    fn license_choice(&mut self, x: &Value) {
        let v = self.v;
        if v >= V1_7 {
            // Each item is a license or an expression; they may be mixed.
            self.each(x, false, |s, item| {
                let is_expression = item
                    .as_object()
                    .is_some_and(|m| m.contains_key("expression"));
                if is_expression {
                    s.props(item, &["expression"], |s, k, x| {
                        match k {
                            "expression" => {
                                s.c.string(x);
                            }
                            "expressionDetails" => s.c.objects(x),
                            "acknowledgement" => {
                                s.c.enumeration(x, &["declared", "concluded"]);
                            }
                            "bom-ref" => s.ref_type(x),
                            "licensing" => s.c.object_only(x),
                            "properties" => s.properties(x),
                            _ => return false,
                        }
                        true
                    });
                } else {
                    s.props(item, &["license"], |s, k, x| {
                        k == "license" && {
                            s.license(x);
                            true
                        }
                    });
                }
            });
            return;
        }
        if v == V1_4 {
            // An array of objects, each with exactly one of `license` and `expression`.
            self.each(x, false, |s, item| {
                if let Some(m) = item.as_object()
                    && m.contains_key("license") == m.contains_key("expression")
                {
                    s.c.err("a license choice has exactly one of \"license\" and \"expression\"");
                }
                s.props(item, &[], |s, k, x| {
                    match k {
                        "license" => s.license(x),
                        "expression" => {
                            s.c.string(x);
                        }
                        _ => return false,
                    }
                    true
                });
            });
            return;
        }
        let Some(items) = self.c.array(x, false) else {
            return;
        };
        let all_licenses = items.iter().all(|i| {
            i.as_object()
                .is_some_and(|m| m.contains_key("license") && m.len() == 1)
        });
        if all_licenses {
            for (i, item) in items.iter().enumerate() {
                self.with_index(i, |s| {
                    s.props(item, &["license"], |s, k, x| {
                        k == "license" && {
                            s.license(x);
                            true
                        }
                    });
                });
            }
            return;
        }
        let single_expression = items.len() == 1
            && items[0]
                .as_object()
                .is_some_and(|m| m.contains_key("expression"));
        if single_expression {
            self.with_index(0, |s| {
                s.props(&items[0], &["expression"], |s, k, x| {
                    match k {
                        "expression" => {
                            s.c.string(x);
                        }
                        "bom-ref" => s.ref_type(x),
                        "acknowledgement" if v >= V1_6 => {
                            s.c.enumeration(x, &["declared", "concluded"]);
                        }
                        _ => return false,
                    }
                    true
                });
            });
            return;
        }
        self.c.err(
            "licenses are either a list of {\"license\": …} objects or a single {\"expression\": …}",
        );
    }

    fn citation(&mut self, x: &Value) {
        if let Some(m) = x.as_object() {
            if m.contains_key("pointers") == m.contains_key("expressions") {
                self.c
                    .err("a citation has exactly one of \"pointers\" and \"expressions\"");
            }
            if !m.contains_key("attributedTo") && !m.contains_key("process") {
                self.c
                    .err("a citation names \"attributedTo\" or \"process\" (or both)");
            }
        }
        self.props(x, &["timestamp"], |s, k, x| {
            match k {
                "bom-ref" | "attributedTo" | "process" => s.ref_type(x),
                "pointers" | "expressions" => {
                    if x.as_array().is_some_and(Vec::is_empty) {
                        s.c.err("needs at least 1 item(s)");
                    }
                    s.c.strings(x, false);
                }
                "timestamp" => s.c.date_time(x),
                "note" => {
                    s.c.string(x);
                }
                "signature" => s.signature(x),
                _ => return false,
            }
            true
        });
    }

    fn external_reference(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &["url", "type"], |s, k, x| {
            match k {
                "url" => {
                    if let Some(u) = s.c.string(x) {
                        let ok = is_iri_reference(u)
                            || (v >= V1_5 && (is_bom_link(u, false) || is_bom_link(u, true)));
                        if !ok {
                            s.c.err(format!("{u:?} is not an IRI reference"));
                        }
                    }
                }
                "comment" => {
                    s.c.string(x);
                }
                "type" => s.versioned_enum(x, EXTREF_TYPES),
                "hashes" => s.hashes(x),
                "properties" if v >= V1_7 => s.properties(x),
                _ => return false,
            }
            true
        });
    }

    fn dependency(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &["ref"], |s, k, x| {
            match k {
                "ref" => s.ref_or_link(x),
                "dependsOn" => s.each(x, true, |s, r| s.ref_or_link(r)),
                "provides" if v >= V1_6 => s.each(x, true, |s, r| s.ref_or_link(r)),
                _ => return false,
            }
            true
        });
    }

    fn service(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &["name"], |s, k, x| {
            match k {
                "bom-ref" => s.ref_type(x),
                "provider" => s.entity(x),
                "group" | "name" | "version" | "description" => {
                    s.c.string(x);
                }
                "endpoints" => s.each(x, false, |s, e| s.c.iri_reference(e)),
                "authenticated" | "x-trust-boundary" => s.c.boolean(x),
                "data" => s.each(x, false, |s, d| s.service_data(d)),
                "licenses" => s.license_choice(x),
                "externalReferences" => s.each(x, false, |s, e| s.external_reference(e)),
                "services" => s.each(x, true, |s, c| s.service(c)),
                "releaseNotes" => s.release_notes(x),
                "properties" => s.properties(x),
                "signature" => s.signature(x),
                "trustZone" if v >= V1_5 => {
                    s.c.string(x);
                }
                "tags" if v >= V1_6 => s.c.strings(x, false),
                "patentAssertions" if v >= V1_7 => s.c.objects(x),
                _ => return false,
            }
            true
        });
    }

    fn service_data(&mut self, x: &Value) {
        let v = self.v;
        let flows = &["inbound", "outbound", "bi-directional", "unknown"];
        self.props(x, &["flow", "classification"], |s, k, x| {
            match k {
                "flow" => s.c.enumeration(x, flows),
                "classification" => {
                    s.c.string(x);
                }
                "name" | "description" if v >= V1_5 => {
                    s.c.string(x);
                }
                "governance" if v >= V1_5 => s.c.object_only(x),
                "source" | "destination" if v >= V1_5 => {
                    s.each(x, false, |s, e| {
                        if let Some(u) = s.c.string(e)
                            && !is_iri_reference(u)
                            && !is_bom_link(u, true)
                        {
                            s.c.err(format!("{u:?} is not an IRI reference or BOM link"));
                        }
                    });
                }
                _ => return false,
            }
            true
        });
    }

    fn composition(&mut self, x: &Value) {
        let v = self.v;
        let aggregates = [
            "complete",
            "incomplete",
            "incomplete_first_party_only",
            "incomplete_first_party_proprietary_only",
            "incomplete_first_party_opensource_only",
            "incomplete_third_party_only",
            "incomplete_third_party_proprietary_only",
            "incomplete_third_party_opensource_only",
            "unknown",
            "not_specified",
        ];
        let allowed: &[&str] = if v == V1_4 {
            &[
                "complete",
                "incomplete",
                "incomplete_first_party_only",
                "incomplete_third_party_only",
                "unknown",
                "not_specified",
            ]
        } else {
            &aggregates
        };
        self.props(x, &["aggregate"], |s, k, x| {
            match k {
                "aggregate" => s.c.enumeration(x, allowed),
                "assemblies" => s.each(x, true, |s, r| s.ref_or_link(r)),
                "dependencies" => s.c.strings(x, true),
                "signature" => s.signature(x),
                "bom-ref" if v >= V1_5 => s.ref_type(x),
                "vulnerabilities" if v >= V1_5 => s.c.strings(x, true),
                _ => return false,
            }
            true
        });
    }

    fn vulnerability(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "bom-ref" => s.ref_type(x),
                "id" | "description" | "detail" | "recommendation" => {
                    s.c.string(x);
                }
                "source" => s.vulnerability_source(x),
                "references" => s.each(x, false, |s, r| {
                    s.props(r, &["id", "source"], |s, k, x| {
                        match k {
                            "id" => {
                                s.c.string(x);
                            }
                            "source" => s.vulnerability_source(x),
                            _ => return false,
                        }
                        true
                    });
                }),
                "ratings" => s.each(x, false, |s, r| s.rating(r)),
                "cwes" => s.each(x, false, |s, c| s.c.integer(c, Some(1))),
                "advisories" => s.each(x, false, |s, a| {
                    s.props(a, &["url"], |s, k, x| {
                        match k {
                            "title" => {
                                s.c.string(x);
                            }
                            "url" => s.c.iri_reference(x),
                            _ => return false,
                        }
                        true
                    });
                }),
                "created" | "published" | "updated" => s.c.date_time(x),
                "credits" => s.props(x, &[], |s, k, x| {
                    match k {
                        "organizations" => s.each(x, false, |s, e| s.entity(e)),
                        "individuals" => s.each(x, false, |s, c| s.contact(c)),
                        _ => return false,
                    }
                    true
                }),
                "tools" => s.tools(x),
                "analysis" => s.analysis(x),
                "affects" => s.each(x, true, |s, a| {
                    s.props(a, &["ref"], |s, k, x| {
                        match k {
                            "ref" => s.ref_or_link(x),
                            "versions" => s.c.objects(x),
                            _ => return false,
                        }
                        true
                    });
                }),
                "properties" => s.properties(x),
                "workaround" if v >= V1_5 => {
                    s.c.string(x);
                }
                "proofOfConcept" if v >= V1_5 => s.c.object_only(x),
                "rejected" if v >= V1_5 => s.c.date_time(x),
                _ => return false,
            }
            true
        });
    }

    fn vulnerability_source(&mut self, x: &Value) {
        self.props(x, &[], |s, k, x| {
            matches!(k, "url" | "name") && s.c.string(x).is_some()
        });
    }

    fn rating(&mut self, x: &Value) {
        let v = self.v;
        let mut methods = vec!["CVSSv2", "CVSSv3", "CVSSv31", "OWASP", "other"];
        if v >= V1_5 {
            methods.extend(["CVSSv4", "SSVC"]);
        }
        self.props(x, &[], |s, k, x| {
            match k {
                "source" => s.vulnerability_source(x),
                "score" => s.c.number(x, None, None),
                "severity" => s.c.enumeration(
                    x,
                    &[
                        "critical", "high", "medium", "low", "info", "none", "unknown",
                    ],
                ),
                "method" => s.c.enumeration(x, &methods),
                "vector" | "justification" => {
                    s.c.string(x);
                }
                _ => return false,
            }
            true
        });
    }

    fn analysis(&mut self, x: &Value) {
        let v = self.v;
        self.props(x, &[], |s, k, x| {
            match k {
                "state" => s.c.enumeration(
                    x,
                    &[
                        "resolved",
                        "resolved_with_pedigree",
                        "exploitable",
                        "in_triage",
                        "false_positive",
                        "not_affected",
                    ],
                ),
                "justification" => s.c.enumeration(
                    x,
                    &[
                        "code_not_present",
                        "code_not_reachable",
                        "requires_configuration",
                        "requires_dependency",
                        "requires_environment",
                        "protected_by_compiler",
                        "protected_at_runtime",
                        "protected_at_perimeter",
                        "protected_by_mitigating_control",
                    ],
                ),
                "response" => s.each(x, true, |s, r| {
                    s.c.enumeration(
                        r,
                        &[
                            "can_not_fix",
                            "will_not_fix",
                            "update",
                            "rollback",
                            "workaround_available",
                        ],
                    );
                }),
                "detail" => {
                    s.c.string(x);
                }
                "firstIssued" | "lastUpdated" if v >= V1_5 => s.c.date_time(x),
                _ => return false,
            }
            true
        });
    }

    fn annotation(&mut self, x: &Value) {
        self.props(
            x,
            &["subjects", "annotator", "timestamp", "text"],
            |s, k, x| {
                match k {
                    "bom-ref" => s.ref_type(x),
                    "subjects" => s.each(x, true, |s, r| s.ref_or_link(r)),
                    "annotator" => {
                        if let Some(m) = x.as_object() {
                            let n = ["organization", "individual", "component", "service"]
                                .iter()
                                .filter(|k| m.contains_key(**k))
                                .count();
                            if n != 1 {
                                s.c.err("an annotator is exactly one of organization, individual, component, service");
                            }
                        }
                        s.props(x, &[], |s, k, x| {
                            match k {
                                "organization" => s.entity(x),
                                "individual" => s.contact(x),
                                "component" => s.component(x),
                                "service" => s.service(x),
                                _ => return false,
                            }
                            true
                        });
                    }
                    "timestamp" => s.c.date_time(x),
                    "text" => {
                        s.c.string(x);
                    }
                    "signature" => s.signature(x),
                    _ => return false,
                }
                true
            },
        );
    }

    /// JSF 0.82: a signer object, or `{signers: [...]}` or `{chain: [...]}`.
    fn signature(&mut self, x: &Value) {
        let Some(m) = self.c.object(x, &[]) else {
            return;
        };
        if let Some(list) = m.get("signers").or_else(|| m.get("chain")) {
            let key = if m.contains_key("signers") {
                "signers"
            } else {
                "chain"
            };
            if m.len() != 1 {
                self.c
                    .err("a multiple-signature object has only \"signers\" or \"chain\"");
            }
            self.with(key, |s| s.each(list, false, |s, sig| s.signer(sig)));
        } else {
            self.signer(x);
        }
    }

    fn signer(&mut self, x: &Value) {
        self.props(x, &["algorithm", "value"], |s, k, x| {
            match k {
                "algorithm" => {
                    // oneOf(enum of JWA names, a URI): "ES256" must not also be a URI.
                    if let Some(a) = s.c.string(x) {
                        let n = usize::from(JSF_ALGORITHMS.contains(&a)) + usize::from(is_uri(a));
                        if n != 1 {
                            s.c.err(format!("{a:?} is neither a JSF algorithm name nor a URI"));
                        }
                    }
                }
                "keyId" | "value" => {
                    s.c.string(x);
                }
                "publicKey" => s.c.object_only(x),
                "certificatePath" | "excludes" => s.c.strings(x, k == "excludes"),
                _ => return false,
            }
            true
        });
    }
}

// ------------------------------------------------------------------------------------------
// CycloneDX semantic rules.

fn collect_bom_refs<'v>(v: &'v Value, path: &mut String, out: &mut Vec<(&'v str, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "bom-ref" {
                    if let Some(s) = x.as_str() {
                        out.push((s, path.clone()));
                    }
                    continue;
                }
                let len = path.len();
                path.push('/');
                path.push_str(k);
                collect_bom_refs(x, path, out);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                collect_bom_refs(x, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a bom-ref path is a component or service (possibly nested, or the metadata
/// component), as opposed to a bom-ref of some other object.
fn is_graph_element(path: &str) -> bool {
    let rest = path.strip_prefix("/metadata/component").unwrap_or(path);
    let rest = rest.strip_prefix("/metadata/tools").unwrap_or(rest);
    let mut parts = rest.split('/').skip(1);
    let mut any = path.starts_with("/metadata/component");
    loop {
        match (parts.next(), parts.next()) {
            (None, _) => return any,
            (Some("components" | "services"), Some(i)) if i.parse::<usize>().is_ok() => any = true,
            _ => return false,
        }
    }
}

fn components_recursive<'v>(v: &'v Value, path: String, out: &mut Vec<(String, &'v Value)>) {
    if let Some(list) = v.get("components").and_then(Value::as_array) {
        for (i, c) in list.iter().enumerate() {
            let p = format!("{path}/components/{i}");
            out.push((p.clone(), c));
            components_recursive(c, p, out);
        }
    }
}

impl Cdx {
    fn semantics(&mut self, v: &Value) {
        let mut refs = Vec::new();
        collect_bom_refs(v, &mut String::new(), &mut refs);
        let mut seen: HashMap<&str, &str> = HashMap::with_capacity(refs.len());
        for (r, path) in &refs {
            if r.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(r, path) {
                // Components and services are what dependencies and compositions point at:
                // a duplicate there makes references ambiguous. Elsewhere (formulation
                // workspaces, licenses, …) the specification's own examples repeat bom-refs.
                let severity = if is_graph_element(first) && is_graph_element(path) {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                self.c.finding(
                    severity,
                    r,
                    format!("bom-ref is not unique (at {first} and {path})"),
                );
            }
        }
        let exists = |r: &str| seen.contains_key(r) || r.starts_with("urn:cdx:");
        if let Some(deps) = v.get("dependencies").and_then(Value::as_array) {
            let mut dependents = HashSet::new();
            for (i, d) in deps.iter().enumerate() {
                let Some(r) = d.get("ref").and_then(Value::as_str) else {
                    continue;
                };
                let element = if r.is_empty() {
                    format!("/dependencies/{i}")
                } else {
                    r.to_owned()
                };
                if !r.is_empty() && !exists(r) {
                    self.c.finding(
                        Severity::Error,
                        &element,
                        "dependency ref names no component or service in this BOM",
                    );
                }
                if !dependents.insert(r) {
                    self.c.finding(
                        Severity::Error,
                        &element,
                        "more than one dependencies entry for this ref",
                    );
                }
                for key in ["dependsOn", "provides"] {
                    for t in d.get(key).and_then(Value::as_array).into_iter().flatten() {
                        if let Some(t) = t.as_str()
                            && !t.is_empty()
                            && !exists(t)
                        {
                            self.c.finding(
                                Severity::Error,
                                &element,
                                format!("{key} {t:?} names no component or service in this BOM"),
                            );
                        }
                    }
                }
            }
        }
        let mut components = Vec::new();
        if let Some(m) = v.get("metadata").and_then(|m| m.get("component")) {
            components.push(("/metadata/component".to_owned(), m));
            components_recursive(m, "/metadata/component".to_owned(), &mut components);
        }
        components_recursive(v, String::new(), &mut components);
        for (path, c) in components {
            let element = c
                .get("bom-ref")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map_or(path, str::to_owned);
            if let Some(p) = c.get("purl").and_then(Value::as_str)
                && let Err(e) = p.parse::<crate::Purl>()
            {
                self.c
                    .finding(purl_severity(&e), &element, format!("invalid purl: {e}"));
            }
            for choice in c
                .get("licenses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(e) = choice.get("expression").and_then(Value::as_str)
                    && let Err(err) = crate::LicenseExpression::parse(e)
                {
                    self.c.finding(Severity::Error, &element, err.to_string());
                }
            }
            if let Some(cpe) = c.get("cpe").and_then(Value::as_str)
                && cpe.starts_with("cpe:2.3:")
                && !is_cpe23(cpe)
            {
                self.c.finding(
                    Severity::Warning,
                    &element,
                    format!("{cpe:?} is not a well-formed CPE 2.3 name"),
                );
            }
        }
    }
}

fn purl_severity(e: &crate::PurlError) -> Severity {
    if e.is_type_rule() {
        Severity::Warning
    } else {
        Severity::Error
    }
}

// ------------------------------------------------------------------------------------------
// SPDX schema and semantic rules.

struct Spdx {
    c: Cx,
    version: SpdxVersion,
}

const SPDX_CHECKSUM_ALGS: &[&str] = &[
    "SHA1",
    "BLAKE3",
    "SHA3-384",
    "SHA256",
    "SHA384",
    "BLAKE2b-512",
    "BLAKE2b-256",
    "SHA3-512",
    "MD2",
    "ADLER32",
    "MD4",
    "SHA3-256",
    "BLAKE2b-384",
    "SHA512",
    "MD6",
    "MD5",
    "SHA224",
];

const SPDX_RELATIONSHIPS: &[&str] = &[
    "VARIANT_OF",
    "COPY_OF",
    "PATCH_FOR",
    "TEST_DEPENDENCY_OF",
    "CONTAINED_BY",
    "DATA_FILE_OF",
    "OPTIONAL_COMPONENT_OF",
    "ANCESTOR_OF",
    "GENERATES",
    "CONTAINS",
    "OPTIONAL_DEPENDENCY_OF",
    "FILE_ADDED",
    "REQUIREMENT_DESCRIPTION_FOR",
    "DEV_DEPENDENCY_OF",
    "DEPENDENCY_OF",
    "BUILD_DEPENDENCY_OF",
    "DESCRIBES",
    "PREREQUISITE_FOR",
    "HAS_PREREQUISITE",
    "PROVIDED_DEPENDENCY_OF",
    "DYNAMIC_LINK",
    "DESCRIBED_BY",
    "METAFILE_OF",
    "DEPENDENCY_MANIFEST_OF",
    "PATCH_APPLIED",
    "RUNTIME_DEPENDENCY_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "DEPENDS_ON",
    "SPECIFICATION_FOR",
    "FILE_MODIFIED",
    "DISTRIBUTION_ARTIFACT",
    "AMENDS",
    "DOCUMENTATION_OF",
    "GENERATED_FROM",
    "STATIC_LINK",
    "OTHER",
    "BUILD_TOOL_OF",
    "TEST_CASE_OF",
    "PACKAGE_OF",
    "DESCENDANT_OF",
    "FILE_DELETED",
    "EXPANDED_FROM_ARCHIVE",
    "DEV_TOOL_OF",
    "EXAMPLE_OF",
];

const SPDX_FILE_TYPES: &[&str] = &[
    "OTHER",
    "DOCUMENTATION",
    "IMAGE",
    "VIDEO",
    "ARCHIVE",
    "SPDX",
    "APPLICATION",
    "SOURCE",
    "BINARY",
    "TEXT",
    "AUDIO",
];

impl Spdx {
    fn new(version: SpdxVersion) -> Self {
        Spdx {
            c: Cx::default(),
            version,
        }
    }

    fn props<F: FnMut(&mut Spdx, &str, &Value) -> bool>(
        &mut self,
        v: &Value,
        required: &[&str],
        mut f: F,
    ) {
        let Some(m) = self.c.object(v, required) else {
            return;
        };
        for (k, x) in m {
            let version = self.version;
            self.c.at(k, |c| {
                let mut s = Spdx {
                    c: std::mem::take(c),
                    version,
                };
                if !f(&mut s, k, x) {
                    s.c.unknown(k);
                }
                *c = s.c;
            });
        }
    }

    fn each<F: FnMut(&mut Spdx, &Value)>(&mut self, x: &Value, min: usize, mut f: F) {
        let Some(a) = self.c.array(x, false) else {
            return;
        };
        if a.len() < min {
            self.c.err(format!("needs at least {min} item(s)"));
        }
        for (i, item) in a.iter().enumerate() {
            let version = self.version;
            self.c.at_index(i, |c| {
                let mut s = Spdx {
                    c: std::mem::take(c),
                    version,
                };
                f(&mut s, item);
                *c = s.c;
            });
        }
    }

    fn document(&mut self, v: &Value) {
        self.props(
            v,
            &[
                "SPDXID",
                "creationInfo",
                "dataLicense",
                "name",
                "spdxVersion",
            ],
            |s, k, x| {
                match k {
                    "SPDXID" | "comment" | "dataLicense" | "name" | "spdxVersion"
                    | "documentNamespace" => {
                        s.c.string(x);
                    }
                    "$schema" => {
                        s.c.string(x);
                    }
                    "annotations" => s.each(x, 0, |s, a| s.annotation(a)),
                    "creationInfo" => s.props(x, &["created", "creators"], |s, k, x| {
                        match k {
                            "comment" | "licenseListVersion" => {
                                s.c.string(x);
                            }
                            "created" => s.c.date_time(x),
                            "creators" => s.each(x, 1, |s, c| {
                                s.c.string(c);
                            }),
                            _ => return false,
                        }
                        true
                    }),
                    "externalDocumentRefs" => s.each(x, 0, |s, r| {
                        s.props(
                            r,
                            &["checksum", "externalDocumentId", "spdxDocument"],
                            |s, k, x| {
                                match k {
                                    "checksum" => s.checksum(x),
                                    "externalDocumentId" | "spdxDocument" => {
                                        s.c.string(x);
                                    }
                                    _ => return false,
                                }
                                true
                            },
                        );
                    }),
                    "hasExtractedLicensingInfos" => s.each(x, 0, |s, e| {
                        s.props(e, &["extractedText", "licenseId"], |s, k, x| {
                            match k {
                                "comment" | "extractedText" | "licenseId" | "name" => {
                                    s.c.string(x);
                                }
                                "seeAlsos" => s.c.strings(x, false),
                                "crossRefs" => s.each(x, 0, |s, r| {
                                    s.props(r, &["url"], |s, k, x| {
                                        match k {
                                            "isLive" | "isValid" | "isWayBackLink" => {
                                                s.c.boolean(x);
                                            }
                                            "match" | "timestamp" | "url" => {
                                                s.c.string(x);
                                            }
                                            "order" => s.c.integer(x, None),
                                            _ => return false,
                                        }
                                        true
                                    });
                                }),
                                _ => return false,
                            }
                            true
                        });
                    }),
                    "revieweds" => s.each(x, 0, |s, r| {
                        s.props(r, &["reviewDate"], |s, k, x| {
                            matches!(k, "comment" | "reviewDate" | "reviewer")
                                && s.c.string(x).is_some()
                        });
                    }),
                    "documentDescribes" => s.c.strings(x, false),
                    "packages" => s.each(x, 0, |s, p| s.package(p)),
                    "files" => s.each(x, 0, |s, f| s.file(f)),
                    "snippets" => s.each(x, 0, |s, sn| s.snippet(sn)),
                    "relationships" => s.each(x, 0, |s, r| {
                        s.props(
                            r,
                            &["spdxElementId", "relatedSpdxElement", "relationshipType"],
                            |s, k, x| {
                                match k {
                                    "spdxElementId" | "relatedSpdxElement" | "comment" => {
                                        s.c.string(x);
                                    }
                                    "relationshipType" => s.c.enumeration(x, SPDX_RELATIONSHIPS),
                                    _ => return false,
                                }
                                true
                            },
                        );
                    }),
                    _ => return false,
                }
                true
            },
        );
    }

    fn annotation(&mut self, x: &Value) {
        self.props(
            x,
            &["annotationDate", "annotationType", "annotator", "comment"],
            |s, k, x| {
                match k {
                    "annotationDate" => s.c.date_time(x),
                    "annotationType" => s.c.enumeration(x, &["OTHER", "REVIEW"]),
                    "annotator" | "comment" => {
                        s.c.string(x);
                    }
                    _ => return false,
                }
                true
            },
        );
    }

    fn checksum(&mut self, x: &Value) {
        self.props(x, &["algorithm", "checksumValue"], |s, k, x| {
            match k {
                "algorithm" => s.c.enumeration(x, SPDX_CHECKSUM_ALGS),
                "checksumValue" => {
                    s.c.string(x);
                }
                _ => return false,
            }
            true
        });
    }

    fn package(&mut self, x: &Value) {
        self.props(x, &["SPDXID", "downloadLocation", "name"], |s, k, x| {
            match k {
                "SPDXID" | "comment" | "copyrightText" | "description" | "downloadLocation"
                | "homepage" | "licenseComments" | "licenseConcluded" | "licenseDeclared"
                | "name" | "originator" | "packageFileName" | "sourceInfo" | "summary"
                | "supplier" | "versionInfo" => {
                    s.c.string(x);
                }
                "annotations" => s.each(x, 0, |s, a| s.annotation(a)),
                "attributionTexts" | "licenseInfoFromFiles" | "hasFiles" => {
                    s.c.strings(x, false);
                }
                "builtDate" | "releaseDate" | "validUntilDate" => s.c.date_time(x),
                "checksums" => s.each(x, 0, |s, c| s.checksum(c)),
                "externalRefs" => s.each(x, 0, |s, r| {
                    s.props(
                        r,
                        &["referenceCategory", "referenceLocator", "referenceType"],
                        |s, k, x| {
                            match k {
                                "comment" | "referenceLocator" | "referenceType" => {
                                    s.c.string(x);
                                }
                                "referenceCategory" => s.c.enumeration(
                                    x,
                                    &[
                                        "OTHER",
                                        "PERSISTENT-ID",
                                        "PERSISTENT_ID",
                                        "SECURITY",
                                        "PACKAGE-MANAGER",
                                        "PACKAGE_MANAGER",
                                    ],
                                ),
                                _ => return false,
                            }
                            true
                        },
                    );
                }),
                "filesAnalyzed" => s.c.boolean(x),
                "packageVerificationCode" => {
                    s.props(x, &["packageVerificationCodeValue"], |s, k, x| {
                        match k {
                            "packageVerificationCodeValue" => {
                                s.c.string(x);
                            }
                            "packageVerificationCodeExcludedFiles" => s.c.strings(x, false),
                            _ => return false,
                        }
                        true
                    });
                }
                "primaryPackagePurpose" => s.c.enumeration(
                    x,
                    &[
                        "OTHER",
                        "INSTALL",
                        "ARCHIVE",
                        "FIRMWARE",
                        "APPLICATION",
                        "FRAMEWORK",
                        "LIBRARY",
                        "CONTAINER",
                        "SOURCE",
                        "DEVICE",
                        "OPERATING_SYSTEM",
                        "OPERATING-SYSTEM",
                        "FILE",
                    ],
                ),
                _ => return false,
            }
            true
        });
    }

    fn file(&mut self, x: &Value) {
        self.props(x, &["SPDXID", "checksums", "fileName"], |s, k, x| {
            match k {
                "SPDXID" | "comment" | "copyrightText" | "fileName" | "licenseComments"
                | "licenseConcluded" | "noticeText" => {
                    s.c.string(x);
                }
                "annotations" => s.each(x, 0, |s, a| s.annotation(a)),
                "artifactOfs" => s.c.objects(x),
                "attributionTexts" | "fileContributors" | "fileDependencies"
                | "licenseInfoInFiles" => s.c.strings(x, false),
                "checksums" => s.each(x, 1, |s, c| s.checksum(c)),
                "fileTypes" => s.each(x, 0, |s, t| s.c.enumeration(t, SPDX_FILE_TYPES)),
                _ => return false,
            }
            true
        });
    }

    fn snippet(&mut self, x: &Value) {
        self.props(
            x,
            &["SPDXID", "name", "ranges", "snippetFromFile"],
            |s, k, x| {
                match k {
                    "SPDXID" | "comment" | "copyrightText" | "licenseComments"
                    | "licenseConcluded" | "name" | "snippetFromFile" => {
                        s.c.string(x);
                    }
                    "annotations" => s.each(x, 0, |s, a| s.annotation(a)),
                    "attributionTexts" | "licenseInfoInSnippets" => s.c.strings(x, false),
                    "ranges" => s.each(x, 1, |s, r| {
                        s.props(r, &["endPointer", "startPointer"], |s, k, x| {
                            matches!(k, "endPointer" | "startPointer") && {
                                s.props(x, &["reference"], |s, k, x| {
                                    match k {
                                        "reference" => {
                                            s.c.string(x);
                                        }
                                        "offset" | "lineNumber" => s.c.integer(x, None),
                                        _ => return false,
                                    }
                                    true
                                });
                                true
                            }
                        });
                    }),
                    _ => return false,
                }
                true
            },
        );
    }

    fn semantics(&mut self, v: &Value) {
        let str_of = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_owned);
        let doc_id = str_of(v, "SPDXID").unwrap_or_default();
        if doc_id != crate::model::DOCUMENT_ID {
            self.c.finding(
                Severity::Error,
                "/SPDXID",
                format!("the document id must be SPDXRef-DOCUMENT, not {doc_id:?}"),
            );
        }
        match str_of(v, "documentNamespace") {
            None => self.c.finding(
                Severity::Error,
                "/documentNamespace",
                "the document namespace is missing",
            ),
            Some(ns) => {
                if !crate::validate::is_uri(&ns) || ns.contains('#') {
                    self.c.finding(
                        Severity::Error,
                        "/documentNamespace",
                        format!("{ns:?} is not a URI without a fragment"),
                    );
                }
            }
        }
        if let Some(dl) = str_of(v, "dataLicense")
            && dl != "CC0-1.0"
        {
            self.c.finding(
                Severity::Error,
                "/dataLicense",
                format!("the data license must be CC0-1.0, not {dl:?}"),
            );
        }
        let list = |k: &str| {
            v.get(k)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
        };
        // External document refs.
        let external_docs: HashSet<String> = list("externalDocumentRefs")
            .iter()
            .filter_map(|r| str_of(r, "externalDocumentId"))
            .collect();
        // Ids: unique, well-formed.
        let mut ids: HashMap<String, &'static str> = HashMap::new();
        ids.insert(doc_id.clone(), "document");
        let mut files_of_kind = HashSet::new();
        for (kind, key) in [
            ("package", "packages"),
            ("file", "files"),
            ("snippet", "snippets"),
        ] {
            for (i, e) in list(key).iter().enumerate() {
                let Some(id) = str_of(e, "SPDXID") else {
                    continue;
                };
                if !crate::convert::is_spdx_id(&id) {
                    self.c.finding(
                        Severity::Error,
                        &format!("/{key}/{i}"),
                        format!("{id:?} is not an SPDX id (SPDXRef-[A-Za-z0-9.-]+)"),
                    );
                }
                if ids.insert(id.clone(), kind).is_some() {
                    self.c.finding(
                        Severity::Error,
                        &id,
                        "SPDX id is not unique in the document",
                    );
                }
                if kind == "file" {
                    files_of_kind.insert(id);
                }
            }
        }
        let exists = |id: &str, allow_none: bool| -> bool {
            if allow_none && (id == "NONE" || id == "NOASSERTION") {
                return true;
            }
            if let Some(rest) = id.strip_prefix("DocumentRef-") {
                return rest
                    .split_once(':')
                    .is_some_and(|(doc, _)| external_docs.contains(&format!("DocumentRef-{doc}")));
            }
            ids.contains_key(id)
        };
        let mut describes = 0usize;
        let mut contains_files: HashSet<String> = HashSet::new();
        for t in list("documentDescribes").iter().filter_map(Value::as_str) {
            describes += 1;
            if !exists(t, false) {
                self.c.finding(
                    Severity::Error,
                    t,
                    "documentDescribes names an element that is not in the document",
                );
            }
        }
        for (i, r) in list("relationships").iter().enumerate() {
            let (Some(from), Some(kind), Some(to)) = (
                str_of(r, "spdxElementId"),
                str_of(r, "relationshipType"),
                str_of(r, "relatedSpdxElement"),
            ) else {
                continue;
            };
            let element = format!("/relationships/{i}");
            if !exists(&from, false) {
                self.c.finding(
                    Severity::Error,
                    &element,
                    format!("{kind} from {from:?}, which is not in the document"),
                );
            }
            if !exists(&to, true) {
                self.c.finding(
                    Severity::Error,
                    &element,
                    format!("{kind} to {to:?}, which is not in the document"),
                );
            }
            if (kind == "DESCRIBES" && from == doc_id) || (kind == "DESCRIBED_BY" && to == doc_id) {
                describes += 1;
            }
            if kind == "CONTAINS" && files_of_kind.contains(&to) {
                contains_files.insert(from.clone());
            }
            if kind == "CONTAINED_BY" && files_of_kind.contains(&from) {
                contains_files.insert(to.clone());
            }
        }
        let packages = list("packages");
        if describes == 0
            && !(packages.len() == 1 && list("files").is_empty() && list("snippets").is_empty())
        {
            self.c.finding(
                Severity::Error,
                &doc_id,
                "the document DESCRIBES no element (needed unless it has exactly one package and nothing else)",
            );
        }
        // Licenses.
        let extracted: HashSet<String> = list("hasExtractedLicensingInfos")
            .iter()
            .filter_map(|e| str_of(e, "licenseId"))
            .collect();
        let check_license = |c: &mut Cx, element: &str, field: &str, text: &str| {
            match crate::LicenseExpression::parse(text) {
                Ok(e) => {
                    for r in e.license_refs() {
                        if !extracted.contains(r) {
                            c.finding(
                                Severity::Error,
                                element,
                                format!("{field} uses {r}, which hasExtractedLicensingInfos does not define"),
                            );
                        }
                    }
                }
                Err(e) => c.finding(Severity::Error, element, format!("{field}: {e}")),
            }
        };
        for p in packages {
            let id = str_of(p, "SPDXID").unwrap_or_default();
            for field in ["licenseConcluded", "licenseDeclared"] {
                if let Some(l) = str_of(p, field) {
                    check_license(&mut self.c, &id, field, &l);
                }
            }
            for l in p
                .get("licenseInfoFromFiles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                check_license(&mut self.c, &id, "licenseInfoFromFiles", l);
            }
            if p.get("filesAnalyzed").and_then(Value::as_bool) == Some(false) {
                if contains_files.contains(&id) {
                    self.c.finding(
                        Severity::Error,
                        &id,
                        "filesAnalyzed is false but the package CONTAINS files",
                    );
                }
                if p.get("packageVerificationCode").is_some() {
                    self.c.finding(
                        Severity::Error,
                        &id,
                        "filesAnalyzed is false but a package verification code is given",
                    );
                }
                if p.get("licenseInfoFromFiles").is_some() {
                    self.c.finding(
                        Severity::Error,
                        &id,
                        "filesAnalyzed is false but licenseInfoFromFiles is given",
                    );
                }
            }
            for c in p
                .get("checksums")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.checksum_value(&id, c);
            }
            for r in p
                .get("externalRefs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(kind), Some(loc)) =
                    (str_of(r, "referenceType"), str_of(r, "referenceLocator"))
                else {
                    continue;
                };
                match kind.as_str() {
                    "purl" => {
                        if let Err(e) = loc.parse::<crate::Purl>() {
                            self.c
                                .finding(purl_severity(&e), &id, format!("invalid purl: {e}"));
                        }
                    }
                    "cpe23Type" if !is_cpe23(&loc) => {
                        self.c.finding(
                            Severity::Error,
                            &id,
                            format!("{loc:?} is not a CPE 2.3 formatted string"),
                        );
                    }
                    _ => {}
                }
                if loc.contains(char::is_whitespace) {
                    self.c.finding(
                        Severity::Error,
                        &id,
                        format!("external reference locator {loc:?} contains whitespace"),
                    );
                }
            }
            if let Some(dl) = str_of(p, "downloadLocation")
                && dl.is_empty()
            {
                self.c
                    .finding(Severity::Error, &id, "the download location is empty");
            }
        }
        for f in list("files") {
            let id = str_of(f, "SPDXID").unwrap_or_default();
            if let Some(l) = str_of(f, "licenseConcluded") {
                check_license(&mut self.c, &id, "licenseConcluded", &l);
            }
            for l in f
                .get("licenseInfoInFiles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                check_license(&mut self.c, &id, "licenseInfoInFiles", l);
            }
            for c in f
                .get("checksums")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.checksum_value(&id, c);
            }
        }
        for s in list("snippets") {
            let id = str_of(s, "SPDXID").unwrap_or_default();
            if let Some(from) = str_of(s, "snippetFromFile")
                && !exists(&from, false)
            {
                self.c.finding(
                    Severity::Error,
                    &id,
                    format!("snippetFromFile {from:?} is not in the document"),
                );
            }
        }
    }

    fn checksum_value(&mut self, id: &str, c: &Value) {
        let (Some(alg), Some(val)) = (
            c.get("algorithm").and_then(Value::as_str),
            c.get("checksumValue").and_then(Value::as_str),
        ) else {
            return;
        };
        let alg = HashAlgorithm::parse(alg);
        let ok = match alg.hex_len() {
            Some(n) => val.len() == n && val.bytes().all(|b| b.is_ascii_hexdigit()),
            None => true,
        };
        if !ok {
            self.c.finding(
                Severity::Error,
                id,
                format!(
                    "{} checksum {val:?} has the wrong length or is not hex",
                    alg.spdx_name()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_date_time("2020-04-13T20:20:39+00:00"));
        assert!(is_date_time("2024-02-29T23:59:60.123Z"));
        assert!(!is_date_time("2020-04-13"));
        assert!(!is_date_time("2023-02-29T00:00:00Z"));
        assert!(is_iri_reference("uri/to/changes.diff"));
        assert!(is_iri_reference("https://例え.jp/パス"));
        assert!(!is_iri_reference("has space"));
        assert!(is_uri("https://example.com/x"));
        assert!(!is_uri("ES256"));
        assert!(is_bom_link(
            "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#x",
            true
        ));
        assert!(is_cpe23("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"));
        assert!(!is_cpe23("cpe:2.3:a:busybox"));
    }
}
