//! in-toto attestation statements: Statement v1 (written and read) and v0.1 (read, and written
//! when asked for, as `cosign attest` still does).
//!
//! ```json
//! {"_type":"https://in-toto.io/Statement/v1",
//!  "subject":[{"digest":{"sha256":"…"}}],
//!  "predicateType":"https://slsa.dev/provenance/v1",
//!  "predicate":{…}}
//! ```
//!
//! [`Statement::to_bytes`] is compact and deterministic: keys in the order above, empty optional
//! fields omitted, every object inside `predicate` and `annotations` with sorted keys. It is not
//! what protojson writes byte for byte; nothing needs that, because a DSSE signature covers the
//! payload bytes as stored and verifiers must never re-serialize.
//!
//! [`Statement::parse`] ignores unknown fields and insists on what a verifier relies on: a known
//! `_type`, at least one subject, a digest on every subject, lowercase hex of the right length for
//! `sha256`/`sha384`/`sha512` digests, and a non-empty `predicateType`.
//!
//! ```
//! use boltseal_envelope::intoto::Statement;
//! use boltseal_envelope::predicate;
//! use boltseal_reference::Digest;
//!
//! let image = Digest::sha256_of(b"manifest");
//! let statement = Statement::for_image(&image, predicate::COSIGN_SIGN_V1, serde_json::json!({}));
//! let bytes = statement.to_bytes();
//! assert!(bytes.starts_with(br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":""#));
//! let parsed = Statement::parse(&bytes)?;
//! assert!(parsed.matches_digest(&image));
//! assert_eq!(parsed, statement);
//! # Ok::<(), boltseal_envelope::intoto::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use boltseal_reference::Digest;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{b64, wire};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of an in-toto Statement v0.1.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";

/// Why bytes are not an in-toto statement.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not JSON, or a known field is missing, has the wrong JSON type or appears twice.
    #[error("in-toto statement is not valid JSON of the expected shape: {source}")]
    Json {
        /// The decoder's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// `_type` is neither Statement v1 nor v0.1.
    #[error("in-toto statement has unknown _type {found:?}")]
    UnknownType {
        /// The `_type` found.
        found: String,
    },
    /// `subject` is empty.
    #[error("in-toto statement has no subject")]
    NoSubject,
    /// A subject has no digest.
    #[error("in-toto statement subject {index} has no digest")]
    SubjectWithoutDigest {
        /// Index of the subject.
        index: usize,
    },
    /// A subject's `sha256`, `sha384` or `sha512` digest is not lowercase hex of the right length.
    #[error("in-toto statement subject {index} has an invalid {algorithm} digest {value:?}")]
    InvalidSubjectDigest {
        /// Index of the subject.
        index: usize,
        /// The digest algorithm key.
        algorithm: String,
        /// The value found.
        value: String,
    },
    /// `predicateType` is empty.
    #[error("in-toto statement has an empty predicateType")]
    NoPredicateType,
}

/// The version of the statement layer (`_type`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StatementType {
    /// `https://in-toto.io/Statement/v1`, what boltseal writes by default.
    #[default]
    V1,
    /// `https://in-toto.io/Statement/v0.1`, what `cosign attest` writes.
    V0_1,
}

impl StatementType {
    /// The `_type` URI.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            StatementType::V1 => STATEMENT_V1,
            StatementType::V0_1 => STATEMENT_V0_1,
        }
    }

    /// The statement type named by a `_type` URI.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            STATEMENT_V1 => Some(StatementType::V1),
            STATEMENT_V0_1 => Some(StatementType::V0_1),
            _ => None,
        }
    }
}

impl fmt::Display for StatementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An in-toto v1 resource descriptor: a statement subject, or a SLSA dependency / byproduct.
///
/// v0.1 subjects are the same object with only `name` and `digest`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// A name for the resource, e.g. the image repository; empty when absent.
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "wire::string::deserialize"
    )]
    pub name: String,
    /// A URI identifying the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the resource by algorithm name (`sha256` → lowercase hex).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "digest_set"
    )]
    pub digest: BTreeMap<String, String>,
    /// The resource's content itself (JSON: base64).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_bytes"
    )]
    pub content: Option<Vec<u8>>,
    /// Where the resource can be downloaded.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "download_location"
    )]
    pub download_location: Option<String>,
    /// The media type of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "media_type")]
    pub media_type: Option<String>,
    /// Free-form annotations (cosign puts `-a key=value` here).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "wire::sorted_map::serialize"
    )]
    pub annotations: Option<Map<String, Value>>,
}

/// A statement subject (an in-toto v1 resource descriptor).
pub type Subject = ResourceDescriptor;

/// A digest set; `null` is empty, and an algorithm named twice is refused (JSON readers disagree
/// on which of two values wins, so a verifier and a signer could see different digests).
fn digest_set<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct Set;

    impl<'de> serde::de::Visitor<'de> for Set {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of digest algorithm to hex value")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((algorithm, value)) = map.next_entry::<String, String>()? {
                if out.contains_key(&algorithm) {
                    return Err(A::Error::custom(format_args!(
                        "digest algorithm {algorithm:?} appears twice"
                    )));
                }
                out.insert(algorithm, value);
            }
            Ok(out)
        }
    }

    d.deserialize_any(Set)
}

mod optional_bytes {
    use super::*;

    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_str(&b64::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| b64::decode(&text).map_err(D::Error::custom))
            .transpose()
    }
}

impl ResourceDescriptor {
    /// A descriptor with `name` and one digest.
    #[must_use]
    pub fn new(name: impl Into<String>, digest: &Digest) -> Self {
        let mut set = BTreeMap::new();
        set.insert(
            digest.algorithm().as_str().to_owned(),
            digest.encoded().to_owned(),
        );
        ResourceDescriptor {
            name: name.into(),
            digest: set,
            ..ResourceDescriptor::default()
        }
    }

    /// A descriptor identified by `uri` only (no digest).
    #[must_use]
    pub fn with_uri(uri: impl Into<String>) -> Self {
        ResourceDescriptor {
            uri: Some(uri.into()),
            ..ResourceDescriptor::default()
        }
    }

    /// Sets the URI.
    #[must_use]
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// Adds a digest (`algorithm` → hex).
    #[must_use]
    pub fn digest(mut self, algorithm: impl Into<String>, value: impl Into<String>) -> Self {
        self.digest.insert(algorithm.into(), value.into());
        self
    }

    /// Sets the download location.
    #[must_use]
    pub fn download_location(mut self, location: impl Into<String>) -> Self {
        self.download_location = Some(location.into());
        self
    }

    /// Sets the media type.
    #[must_use]
    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// Adds an annotation.
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.annotations
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// Whether this descriptor's digest set records `digest` (same algorithm, same hex).
    #[must_use]
    pub fn matches_digest(&self, digest: &Digest) -> bool {
        self.digest
            .get(digest.algorithm().as_str())
            .is_some_and(|hex| hex == digest.encoded())
    }
}

/// An in-toto statement: subjects, a predicate type and the predicate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `_type`: the statement layer version.
    pub statement_type: StatementType,
    /// The artifacts the statement is about.
    pub subject: Vec<Subject>,
    /// `predicateType`: a URI naming the predicate's schema (see [`crate::predicate`]).
    pub predicate_type: String,
    /// `predicate`: any JSON; `Null` when absent.
    pub predicate: Value,
}

#[derive(Serialize)]
struct WireOut<'a> {
    #[serde(rename = "_type")]
    statement_type: &'static str,
    subject: &'a [Subject],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicate: Option<wire::Sorted<'a>>,
}

#[derive(Deserialize)]
struct WireIn {
    #[serde(rename = "_type")]
    statement_type: String,
    #[serde(default, deserialize_with = "wire::list::deserialize")]
    subject: Vec<Subject>,
    #[serde(rename = "predicateType", alias = "predicate_type", default)]
    predicate_type: String,
    #[serde(default)]
    predicate: Value,
}

impl Statement {
    /// A v1 statement about `subject`.
    #[must_use]
    pub fn new(subject: Vec<Subject>, predicate_type: impl Into<String>, predicate: Value) -> Self {
        Statement {
            statement_type: StatementType::V1,
            subject,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// A v1 statement about one image manifest, subject without a name — what `cosign sign`
    /// writes into its bundles (`cosign attest` names the repository and uses v0.1; see
    /// [`Statement::with_subject_name`] and [`Statement::with_type`]).
    #[must_use]
    pub fn for_image(digest: &Digest, predicate_type: impl Into<String>, predicate: Value) -> Self {
        Statement::new(vec![Subject::new("", digest)], predicate_type, predicate)
    }

    /// Sets the name of every subject (e.g. the repository, as `cosign attest` does).
    #[must_use]
    pub fn with_subject_name(mut self, name: &str) -> Self {
        for subject in &mut self.subject {
            subject.name = name.to_owned();
        }
        self
    }

    /// Sets the statement layer version.
    #[must_use]
    pub fn with_type(mut self, statement_type: StatementType) -> Self {
        self.statement_type = statement_type;
        self
    }

    /// Whether some subject records `digest`.
    #[must_use]
    pub fn matches_digest(&self, digest: &Digest) -> bool {
        self.subject.iter().any(|s| s.matches_digest(digest))
    }

    /// The statement as compact, deterministic JSON.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let out = WireOut {
            statement_type: self.statement_type.as_str(),
            subject: &self.subject,
            predicate_type: &self.predicate_type,
            predicate: (!self.predicate.is_null()).then_some(wire::Sorted(&self.predicate)),
        };
        // Strings, maps and JSON values serialize into a Vec without error.
        serde_json::to_vec(&out).unwrap_or_default()
    }

    /// Parses a v1 or v0.1 statement.
    ///
    /// # Errors
    /// [`Error::Json`] for malformed JSON or mistyped fields; [`Error::UnknownType`],
    /// [`Error::NoSubject`], [`Error::SubjectWithoutDigest`], [`Error::InvalidSubjectDigest`],
    /// [`Error::NoPredicateType`] for statements a verifier cannot rely on.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let wire: WireIn =
            serde_json::from_slice(bytes).map_err(|source| Error::Json { source })?;
        let statement_type =
            StatementType::from_uri(&wire.statement_type).ok_or(Error::UnknownType {
                found: wire.statement_type,
            })?;
        if wire.subject.is_empty() {
            return Err(Error::NoSubject);
        }
        for (index, subject) in wire.subject.iter().enumerate() {
            if subject.digest.is_empty() {
                return Err(Error::SubjectWithoutDigest { index });
            }
            for (algorithm, value) in &subject.digest {
                let len = match algorithm.as_str() {
                    "sha256" => 64,
                    "sha384" => 96,
                    "sha512" => 128,
                    _ => continue,
                };
                let hex = value.len() == len
                    && value
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !hex {
                    return Err(Error::InvalidSubjectDigest {
                        index,
                        algorithm: algorithm.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
        if wire.predicate_type.is_empty() {
            return Err(Error::NoPredicateType);
        }
        Ok(Statement {
            statement_type,
            subject: wire.subject,
            predicate_type: wire.predicate_type,
            predicate: wire.predicate,
        })
    }
}
