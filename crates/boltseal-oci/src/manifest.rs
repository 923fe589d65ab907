//! Descriptors, manifests and indexes: the JSON documents a store moves.
//!
//! Manifests travel as raw bytes ([`RawManifest`]): their digest is the digest of those exact
//! bytes, so boltseal never re-serializes a manifest it did not write. The typed views
//! ([`ImageManifest`], [`ImageIndex`]) are parsed from the bytes when a caller needs fields; they
//! keep only what the store needs and ignore unknown fields.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use boltseal_reference::{Digest, media_type};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest manifest or index any store reads or writes (4 MiB, as distribution does).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A content descriptor: what a manifest, index or layout says about a blob or manifest.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the content.
    pub media_type: String,
    /// The digest of the content.
    pub digest: Digest,
    /// The size of the content in bytes.
    pub size: u64,
    /// The artifact type of an artifact manifest (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The platform of a manifest inside an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Alternative download locations (foreign layers). Never followed by boltseal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

impl Descriptor {
    /// A descriptor with no annotations or platform.
    #[must_use]
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
            urls: Vec::new(),
        }
    }

    /// The descriptor of `bytes` with `media_type`.
    #[must_use]
    pub fn of_bytes(media_type: impl Into<String>, bytes: &[u8]) -> Self {
        Self::new(media_type, Digest::sha256_of(bytes), bytes.len() as u64)
    }

    /// Sets an annotation, returning the descriptor.
    #[must_use]
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Sets the platform, returning the descriptor.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Sets the artifact type, returning the descriptor.
    #[must_use]
    pub fn with_artifact_type(mut self, artifact_type: impl Into<String>) -> Self {
        self.artifact_type = Some(artifact_type.into());
        self
    }
}

/// An image platform: `os/architecture[/variant]`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`, ...).
    pub architecture: String,
    /// Operating system (`linux`, `windows`).
    pub os: String,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Operating system version (Windows).
    #[serde(
        default,
        rename = "os.version",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
}

impl Platform {
    /// `linux/amd64`, the default platform of every boltseal tool.
    #[must_use]
    pub fn linux_amd64() -> Self {
        Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
            os_version: None,
        }
    }

    /// Whether a descriptor's platform satisfies this request. A request without a variant
    /// accepts any variant; `arm64` without a variant equals `arm64/v8`.
    #[must_use]
    pub fn matches(&self, candidate: &Platform) -> bool {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return false;
        }
        match (&self.variant, &candidate.variant) {
            (None, _) => true,
            (Some(want), Some(have)) => want == have,
            (Some(want), None) => self.architecture == "arm64" && want == "v8",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidLocation {
            input: s.to_owned(),
            reason: format!("platform {reason} (expected os/arch[/variant])"),
        };
        let mut parts = s.split('/');
        let os = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("has no os"))?;
        let arch = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("has no architecture"))?;
        let variant = parts.next().map(str::to_owned);
        if parts.next().is_some() || variant.as_deref() == Some("") {
            return Err(bad("has too many parts"));
        }
        let ok = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        };
        if !ok(os) || !ok(arch) || !variant.as_deref().is_none_or(ok) {
            return Err(bad("has invalid characters"));
        }
        Ok(Platform {
            architecture: arch.to_owned(),
            os: os.to_owned(),
            variant,
            os_version: None,
        })
    }
}

/// A single-image manifest (OCI image manifest or Docker schema 2 manifest).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The media type, optional in OCI manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type (OCI 1.1 artifacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The configuration blob.
    pub config: Descriptor,
    /// The layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ImageManifest {
    /// An OCI image manifest with `config` and `layers`.
    #[must_use]
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_owned()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// The manifest as compact JSON, a [`RawManifest`] of its media type (OCI's when it has
    /// none).
    ///
    /// # Errors
    /// Only if serialization fails, which it does not for these types.
    pub fn to_raw(&self) -> Result<RawManifest> {
        to_raw(self, self.media_type.as_deref(), media_type::OCI_MANIFEST)
    }
}

/// An index of manifests (OCI image index or Docker manifest list).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// The media type, optional in OCI indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The manifests.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ImageIndex {
    /// An OCI image index listing `manifests`.
    #[must_use]
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.to_owned()),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// The index as compact JSON, a [`RawManifest`] of its media type (OCI's when it has
    /// none).
    ///
    /// # Errors
    /// Only if serialization fails, which it does not for these types.
    pub fn to_raw(&self) -> Result<RawManifest> {
        to_raw(self, self.media_type.as_deref(), media_type::OCI_INDEX)
    }

    /// The descriptor of the manifest for `platform`, if any.
    #[must_use]
    pub fn find_platform(&self, platform: &Platform) -> Option<&Descriptor> {
        self.manifests
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)))
    }
}

fn to_raw<T: Serialize>(value: &T, media_type: Option<&str>, default: &str) -> Result<RawManifest> {
    let media_type = media_type.unwrap_or(default).to_owned();
    let bytes = serde_json::to_vec(value).map_err(|e| Error::InvalidManifest {
        what: media_type.clone(),
        reason: e.to_string(),
    })?;
    Ok(RawManifest::new(bytes, media_type))
}

/// A parsed manifest: an image or an index.
// Parsed once and borrowed; boxing the image variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// A single image.
    Image(ImageManifest),
    /// An index of images.
    Index(ImageIndex),
}

impl Manifest {
    /// The subject of a referrer manifest.
    #[must_use]
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => m.subject.as_ref(),
            Manifest::Index(i) => i.subject.as_ref(),
        }
    }

    /// The artifact type: `artifactType`, else the config media type of an image manifest.
    #[must_use]
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) => m
                .artifact_type
                .as_deref()
                .or(Some(m.config.media_type.as_str())),
            Manifest::Index(i) => i.artifact_type.as_deref(),
        }
    }

    /// The annotations.
    #[must_use]
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        match self {
            Manifest::Image(m) => &m.annotations,
            Manifest::Index(i) => &i.annotations,
        }
    }
}

/// A manifest or index as bytes, with its media type and the digest of exactly those bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawManifest {
    bytes: Bytes,
    media_type: String,
    digest: Digest,
}

/// The fields needed to classify a manifest whose media type is not known.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<u32>,
    media_type: Option<String>,
    manifests: Option<serde::de::IgnoredAny>,
    config: Option<serde::de::IgnoredAny>,
}

impl RawManifest {
    /// Wraps `bytes` of `media_type`, computing the SHA-256 digest.
    #[must_use]
    pub fn new(bytes: impl Into<Bytes>, media_type: impl Into<String>) -> Self {
        let bytes = bytes.into();
        let digest = Digest::sha256_of(&bytes);
        RawManifest {
            bytes,
            media_type: media_type.into(),
            digest,
        }
    }

    /// Checks bytes received for `what`: size limit, expected digest (when the caller fetched by
    /// digest), and the media type (from the transport, the body, or the document's shape).
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::DigestMismatch`], [`Error::InvalidManifest`] or
    /// [`Error::UnsupportedMediaType`].
    pub fn from_untrusted(
        what: &str,
        bytes: Bytes,
        announced_media_type: Option<&str>,
        expected: Option<&Digest>,
    ) -> Result<Self> {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: what.to_owned(),
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let digest = match expected {
            Some(e) => {
                let actual = Digest::of(e.algorithm(), &bytes);
                if actual != *e {
                    return Err(Error::DigestMismatch {
                        what: what.to_owned(),
                        expected: Box::new(*e),
                        actual: Box::new(actual),
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| Error::InvalidManifest {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
        if probe.schema_version != Some(2) {
            return Err(Error::InvalidManifest {
                what: what.to_owned(),
                reason: format!(
                    "schemaVersion is {}, expected 2",
                    probe
                        .schema_version
                        .map_or_else(|| "missing".to_owned(), |v| v.to_string())
                ),
            });
        }
        // Registries often answer a generic type; trust it only when it names a manifest type.
        let announced = announced_media_type
            .map(|m| m.split(';').next().unwrap_or(m).trim())
            .filter(|m| media_type::is_manifest(m) || media_type::is_index(m));
        let media_type = match (probe.media_type.as_deref(), announced) {
            (Some(body), Some(header)) if body != header => {
                return Err(Error::InvalidManifest {
                    what: what.to_owned(),
                    reason: format!("body says mediaType {body:?} but it was served as {header:?}"),
                });
            }
            (Some(body), _) => body.to_owned(),
            (None, Some(header)) => header.to_owned(),
            (None, None) if probe.manifests.is_some() => media_type::OCI_INDEX.to_owned(),
            (None, None) if probe.config.is_some() => media_type::OCI_MANIFEST.to_owned(),
            (None, None) => {
                return Err(Error::InvalidManifest {
                    what: what.to_owned(),
                    reason: "neither mediaType nor config nor manifests".to_owned(),
                });
            }
        };
        if !media_type::is_manifest(&media_type) && !media_type::is_index(&media_type) {
            return Err(Error::UnsupportedMediaType {
                what: what.to_owned(),
                media_type,
            });
        }
        let raw = RawManifest {
            bytes,
            media_type,
            digest,
        };
        // Fail now rather than later on a document we cannot read.
        raw.parse()?;
        Ok(raw)
    }

    /// The bytes.
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The media type.
    #[must_use]
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The digest of the bytes.
    #[must_use]
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The descriptor of this manifest.
    #[must_use]
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest,
            self.bytes.len() as u64,
        )
    }

    /// Whether this is an index (OCI index or Docker manifest list).
    #[must_use]
    pub fn is_index(&self) -> bool {
        media_type::is_index(&self.media_type)
    }

    /// Parses the typed view.
    ///
    /// # Errors
    /// [`Error::InvalidManifest`] when the JSON does not have the manifest's shape.
    pub fn parse(&self) -> Result<Manifest> {
        let parsed = if self.is_index() {
            serde_json::from_slice(&self.bytes).map(Manifest::Index)
        } else {
            serde_json::from_slice(&self.bytes).map(Manifest::Image)
        };
        parsed.map_err(|e| Error::InvalidManifest {
            what: self.digest.to_string(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_without_media_type_is_sniffed() {
        let body = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[]}"#;
        let raw = RawManifest::from_untrusted("m", Bytes::from_static(body), None, None).unwrap();
        assert_eq!(raw.media_type(), media_type::OCI_MANIFEST);
        let raw = RawManifest::from_untrusted(
            "m",
            Bytes::from_static(body),
            Some("application/octet-stream"),
            None,
        )
        .unwrap();
        assert_eq!(raw.media_type(), media_type::OCI_MANIFEST);
    }

    #[test]
    fn refuses_confused_media_type_and_bad_digest() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = RawManifest::from_untrusted(
            "m",
            Bytes::from_static(body),
            Some(media_type::OCI_MANIFEST),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("served as"), "{err}");
        let wrong = Digest::sha256_of(b"other");
        let err = RawManifest::from_untrusted("m", Bytes::from_static(body), None, Some(&wrong))
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }));
    }

    #[test]
    fn refuses_schema1_and_garbage() {
        for body in [
            &br#"{"schemaVersion":1,"name":"x"}"#[..],
            b"not json",
            br#"{"schemaVersion":2}"#,
            br#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:00","size":1}}"#,
            br#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":-1}}"#,
        ] {
            assert!(
                RawManifest::from_untrusted("m", Bytes::copy_from_slice(body), None, None).is_err()
            );
        }
    }

    #[test]
    fn platform_parse_and_match() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        let bare: Platform = "linux/arm64".parse().unwrap();
        assert!(bare.matches(&p));
        assert!(p.matches(&bare));
        assert!(!Platform::linux_amd64().matches(&p));
        for bad in ["", "linux", "linux/", "linux/amd64/v1/x", "li nux/amd64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }
}
