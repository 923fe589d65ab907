//! SLSA Provenance v1 predicates (`https://slsa.dev/provenance/v1`) and a builder for them.
//!
//! ```json
//! {"buildDefinition":{"buildType":"…","externalParameters":{…},"internalParameters":{…},
//!                     "resolvedDependencies":[{"uri":"…","digest":{"sha256":"…"}}]},
//!  "runDetails":{"builder":{"id":"…","version":{"boltseal":"0.1.0"}},
//!                "metadata":{"invocationId":"…","startedOn":"…","finishedOn":"…"}}}
//! ```
//!
//! Timestamps are RFC 3339 strings supplied by the caller and checked for shape
//! ([`Timestamp`]); this crate reads no clock.
//!
//! ```
//! use boltseal_envelope::intoto::{ResourceDescriptor, Statement};
//! use boltseal_envelope::predicate;
//! use boltseal_envelope::slsa::{Provenance, Timestamp};
//! use boltseal_reference::Digest;
//!
//! let base = Digest::sha256_of(b"base image manifest");
//! let provenance = Provenance::builder("https://boltseal.example/buildtypes/dockerfile/v1", "https://boltseal.example/builder")
//!     .source("https://git.example/app.git", "0123456789abcdef0123456789abcdef01234567")
//!     .external_parameter("dockerfile", "Dockerfile")
//!     .resolved_dependency(ResourceDescriptor::new("docker.io/library/alpine:3.20", &base))
//!     .builder_version("boltseal", "0.1.0")
//!     .invocation_id("run-42")
//!     .started_on("2026-01-02T03:04:05Z".parse::<Timestamp>()?)
//!     .finished_on("2026-01-02T03:05:00.5+01:00".parse::<Timestamp>()?)
//!     .build()?;
//! let image = Digest::sha256_of(b"image manifest");
//! let statement = Statement::for_image(&image, predicate::SLSA_PROVENANCE_V1, provenance.to_value());
//! assert_eq!(Provenance::from_value(&statement.predicate)?, provenance);
//! # Ok::<(), boltseal_envelope::slsa::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::intoto::ResourceDescriptor;
use crate::wire;

/// Why a provenance predicate or timestamp is invalid.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not JSON of the provenance shape.
    #[error("SLSA provenance is not valid: {source}")]
    Json {
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// A timestamp is not RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    #[error("timestamp {input:?} is not RFC 3339 (problem at byte {position})")]
    Timestamp {
        /// The rejected input.
        input: String,
        /// Byte offset of the first problem.
        position: usize,
    },
    /// `buildType` is empty.
    #[error("SLSA provenance has an empty buildType")]
    MissingBuildType,
    /// `runDetails.builder.id` is empty.
    #[error("SLSA provenance has an empty builder id")]
    MissingBuilderId,
}

/// An RFC 3339 date-time with an explicit offset (`2026-01-02T03:04:05Z`,
/// `2026-01-02T03:04:05.123+01:00`). Uppercase `T` and `Z`; fractions of 1 to 9 digits; seconds
/// 00–59 (Go's `time` and protobuf's `Timestamp` refuse leap seconds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// Validates `input`.
    ///
    /// # Errors
    /// [`Error::Timestamp`] with the offset of the first problem.
    pub fn parse(input: &str) -> Result<Self, Error> {
        check_rfc3339(input.as_bytes()).map_err(|position| Error::Timestamp {
            input: input.to_owned(),
            position,
        })?;
        Ok(Timestamp(input.to_owned()))
    }

    /// The timestamp as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant it names (the text stays as written: offsets and fractions are kept).
    #[must_use]
    pub fn instant(&self) -> boltseal_core::Timestamp {
        // Every text this type accepts is RFC 3339 that boltseal-core reads.
        boltseal_core::Timestamp::parse_rfc3339(&self.0).unwrap_or_default()
    }
}

fn check_rfc3339(b: &[u8]) -> Result<(), usize> {
    let digits = |at: usize, n: usize| -> Result<u32, usize> {
        let mut value = 0;
        for i in at..at + n {
            match b.get(i) {
                Some(d @ b'0'..=b'9') => value = value * 10 + u32::from(d - b'0'),
                _ => return Err(i),
            }
        }
        Ok(value)
    };
    let byte = |at: usize, want: u8| -> Result<(), usize> {
        if b.get(at) == Some(&want) {
            Ok(())
        } else {
            Err(at)
        }
    };
    let year = digits(0, 4)?;
    byte(4, b'-')?;
    let month = digits(5, 2)?;
    if !(1..=12).contains(&month) {
        return Err(5);
    }
    byte(7, b'-')?;
    let day = digits(8, 2)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&day) {
        return Err(8);
    }
    byte(10, b'T')?;
    if digits(11, 2)? > 23 {
        return Err(11);
    }
    byte(13, b':')?;
    if digits(14, 2)? > 59 {
        return Err(14);
    }
    byte(16, b':')?;
    if digits(17, 2)? > 59 {
        return Err(17);
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start || at - start > 9 {
            return Err(at);
        }
    }
    match b.get(at) {
        Some(b'Z') => at += 1,
        Some(b'+' | b'-') => {
            if digits(at + 1, 2)? > 23 {
                return Err(at + 1);
            }
            byte(at + 3, b':')?;
            if digits(at + 4, 2)? > 59 {
                return Err(at + 4);
            }
            at += 6;
        }
        _ => return Err(at),
    }
    if at == b.len() { Ok(()) } else { Err(at) }
}

impl FromStr for Timestamp {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Timestamp::parse(s)
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self, Error> {
        Timestamp::parse(s)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        Timestamp::parse(&s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<boltseal_core::Timestamp> for Timestamp {
    type Error = Error;

    /// The instant in UTC (`Z`), as [`boltseal_core::Timestamp`] writes it; years outside
    /// 0000–9999 are refused.
    ///
    /// ```
    /// use boltseal_envelope::slsa::Timestamp;
    /// let t = Timestamp::try_from(boltseal_core::Timestamp::from_unix_seconds(0))?;
    /// assert_eq!(t.as_str(), "1970-01-01T00:00:00Z");
    /// assert_eq!(t.instant(), boltseal_core::Timestamp::UNIX_EPOCH);
    /// # Ok::<(), boltseal_envelope::slsa::Error>(())
    /// ```
    fn try_from(at: boltseal_core::Timestamp) -> Result<Self, Error> {
        Timestamp::parse(&at.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A SLSA Provenance v1 predicate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// What the build did, with its inputs.
    pub build_definition: BuildDefinition,
    /// Who ran it, when.
    pub run_details: RunDetails,
}

/// The inputs of a build.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// A URI naming the template the other fields follow.
    pub build_type: String,
    /// Parameters under the control of the build's invoker (e.g. the source and its revision).
    #[serde(serialize_with = "sorted_object")]
    pub external_parameters: Map<String, Value>,
    /// Parameters the builder chose.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "wire::sorted_map::serialize"
    )]
    pub internal_parameters: Option<Map<String, Value>>,
    /// Artifacts the build fetched (sources, base images, tools), with digests.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "wire::list::deserialize"
    )]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

fn sorted_object<S: serde::Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    use serde::ser::SerializeMap as _;
    let mut out = s.serialize_map(Some(entries.len()))?;
    for (key, value) in entries {
        out.serialize_entry(key, &wire::Sorted(value))?;
    }
    out.end()
}

/// How and when a build ran.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// The builder trusted to have produced the provenance.
    pub builder: Builder,
    /// Invocation id and timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    /// Additional artifacts the build produced.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "wire::list::deserialize"
    )]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// The builder's identity.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Builder {
    /// A URI naming the builder.
    pub id: String,
    /// Component versions (`name` → version).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
    /// The builder's own dependencies.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "wire::list::deserialize"
    )]
    pub builder_dependencies: Vec<ResourceDescriptor>,
}

/// Invocation id and timestamps of a build.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifies this run (e.g. a CI job URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// When the build started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<Timestamp>,
    /// When the build finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<Timestamp>,
}

impl Provenance {
    /// A builder for a provenance with `build_type` and `builder_id`.
    pub fn builder(
        build_type: impl Into<String>,
        builder_id: impl Into<String>,
    ) -> ProvenanceBuilder {
        ProvenanceBuilder {
            provenance: Provenance {
                build_definition: BuildDefinition {
                    build_type: build_type.into(),
                    external_parameters: Map::new(),
                    internal_parameters: None,
                    resolved_dependencies: Vec::new(),
                },
                run_details: RunDetails {
                    builder: Builder {
                        id: builder_id.into(),
                        version: BTreeMap::new(),
                        builder_dependencies: Vec::new(),
                    },
                    metadata: None,
                    byproducts: Vec::new(),
                },
            },
        }
    }

    /// The predicate as a JSON value (for [`crate::intoto::Statement::predicate`]).
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads a predicate from a JSON value (unknown fields ignored).
    ///
    /// # Errors
    /// [`Error::Json`] when the shape is wrong or a timestamp is invalid; [`Error::MissingBuildType`],
    /// [`Error::MissingBuilderId`] for empty required fields.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let provenance = Provenance::deserialize(value).map_err(|source| Error::Json { source })?;
        provenance.validate()?;
        Ok(provenance)
    }

    /// Parses a predicate from JSON bytes.
    ///
    /// # Errors
    /// As [`Provenance::from_value`].
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let provenance: Provenance =
            serde_json::from_slice(bytes).map_err(|source| Error::Json { source })?;
        provenance.validate()?;
        Ok(provenance)
    }

    /// The predicate as compact JSON with sorted parameter keys.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), Error> {
        if self.build_definition.build_type.is_empty() {
            return Err(Error::MissingBuildType);
        }
        if self.run_details.builder.id.is_empty() {
            return Err(Error::MissingBuilderId);
        }
        Ok(())
    }
}

/// Builds a [`Provenance`]; see the module example.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProvenanceBuilder {
    provenance: Provenance,
}

impl ProvenanceBuilder {
    /// Sets `externalParameters.<key>`.
    pub fn external_parameter(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.provenance
            .build_definition
            .external_parameters
            .insert(key.into(), value.into());
        self
    }

    /// Records the source: `externalParameters.source = {"repository", "revision"}`, and a
    /// resolved dependency `git+<repository>@<revision>` (with a `gitCommit` digest when the
    /// revision is a 40- or 64-character hex commit id).
    pub fn source(mut self, repository: &str, revision: &str) -> Self {
        let mut source = Map::new();
        source.insert("repository".into(), repository.into());
        source.insert("revision".into(), revision.into());
        self.provenance
            .build_definition
            .external_parameters
            .insert("source".into(), Value::Object(source));
        let uri = if repository.starts_with("git+") {
            format!("{repository}@{revision}")
        } else {
            format!("git+{repository}@{revision}")
        };
        let mut dependency = ResourceDescriptor::with_uri(uri);
        let is_commit = matches!(revision.len(), 40 | 64)
            && revision
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if is_commit {
            dependency = dependency.digest("gitCommit", revision);
        }
        self.provenance
            .build_definition
            .resolved_dependencies
            .push(dependency);
        self
    }

    /// Sets `internalParameters.<key>`.
    pub fn internal_parameter(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.provenance
            .build_definition
            .internal_parameters
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// Adds a resolved dependency (e.g. a base image with its digest).
    pub fn resolved_dependency(mut self, dependency: ResourceDescriptor) -> Self {
        self.provenance
            .build_definition
            .resolved_dependencies
            .push(dependency);
        self
    }

    /// Sets `runDetails.builder.version.<component>`.
    pub fn builder_version(
        mut self,
        component: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        self.provenance
            .run_details
            .builder
            .version
            .insert(component.into(), version.into());
        self
    }

    /// Adds a byproduct.
    pub fn byproduct(mut self, byproduct: ResourceDescriptor) -> Self {
        self.provenance.run_details.byproducts.push(byproduct);
        self
    }

    fn metadata(&mut self) -> &mut BuildMetadata {
        self.provenance
            .run_details
            .metadata
            .get_or_insert_with(BuildMetadata::default)
    }

    /// Sets `runDetails.metadata.invocationId`.
    pub fn invocation_id(mut self, id: impl Into<String>) -> Self {
        self.metadata().invocation_id = Some(id.into());
        self
    }

    /// Sets `runDetails.metadata.startedOn`.
    pub fn started_on(mut self, at: Timestamp) -> Self {
        self.metadata().started_on = Some(at);
        self
    }

    /// Sets `runDetails.metadata.finishedOn`.
    pub fn finished_on(mut self, at: Timestamp) -> Self {
        self.metadata().finished_on = Some(at);
        self
    }

    /// The provenance.
    ///
    /// # Errors
    /// [`Error::MissingBuildType`] or [`Error::MissingBuilderId`] when either was empty.
    pub fn build(self) -> Result<Provenance, Error> {
        self.provenance.validate()?;
        Ok(self.provenance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in [
            "2026-01-02T03:04:05Z",
            "2024-02-29T23:59:59.123456789-12:30",
            "2000-02-29T00:00:00+00:00",
            "1999-12-31T23:59:59.5Z",
        ] {
            assert!(Timestamp::parse(ok).is_ok(), "{ok}");
        }
        for (bad, at) in [
            ("2026-01-02 03:04:05Z", 10),
            ("2026-01-02T03:04:05", 19),
            ("2026-13-02T03:04:05Z", 5),
            ("2023-02-29T03:04:05Z", 8),
            ("1900-02-29T03:04:05Z", 8),
            ("2026-01-02T24:04:05Z", 11),
            ("2026-01-02T03:04:60Z", 17),
            ("2026-01-02T03:04:05.Z", 20),
            ("2026-01-02T03:04:05.1234567890Z", 30),
            ("2026-01-02T03:04:05z", 19),
            ("2026-01-02T03:04:05+0100", 22),
            ("2026-01-02T03:04:05Zx", 20),
            ("", 0),
        ] {
            match Timestamp::parse(bad) {
                Err(Error::Timestamp { position, .. }) => assert_eq!(position, at, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
