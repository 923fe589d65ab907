//! Conversions to and from [`oci_spec::image`]'s descriptors, manifests and indexes (feature
//! `oci-spec`), so a program that already holds oci-spec values (an `oci-client` user, say)
//! can hand them to a [`Store`](crate::Store) and take boltseal's back.
//!
//! Every field both sides have is carried exactly: media types, digests, sizes, artifact
//! types, annotations, platforms, URLs, subjects. What boltseal's types do not hold is not
//! carried from oci-spec: a descriptor's embedded `data` and a platform's `os.features` and
//! `features`. An empty annotation map or URL list is `None` on the oci-spec side. A digest
//! boltseal does not accept (an algorithm other than `sha256`, `sha384`, `sha512`, or
//! uppercase hex) is an [`Error::InvalidManifest`].
//!
//! Manifest *bytes* stay [`RawManifest`](crate::RawManifest)'s: a manifest converted and
//! serialized again is a new document with its own digest.
//!
//! ```
//! use boltseal_oci::{Descriptor, ImageManifest};
//! use boltseal_oci::reference::{Digest, media_type};
//! use oci_spec::image as spec;
//!
//! let config = Descriptor::of_bytes(media_type::OCI_CONFIG, b"{}");
//! let manifest = ImageManifest::new(config, Vec::new());
//! let theirs = spec::ImageManifest::try_from(&manifest)?;
//! assert_eq!(theirs.config().size(), 2);
//! assert_eq!(ImageManifest::try_from(&theirs)?, manifest);
//! # Ok::<(), boltseal_oci::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use ::oci_spec::image as spec;
use boltseal_reference::Digest;

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, ImageIndex, ImageManifest, Platform};

fn invalid(what: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidManifest {
        what: format!("oci-spec {what}"),
        reason: reason.to_string(),
    }
}

fn to_spec_map(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn from_spec_map(map: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn to_spec_descriptors(descriptors: &[Descriptor]) -> Result<Vec<spec::Descriptor>> {
    descriptors.iter().map(spec::Descriptor::try_from).collect()
}

fn from_spec_descriptors(descriptors: &[spec::Descriptor]) -> Result<Vec<Descriptor>> {
    descriptors.iter().map(Descriptor::try_from).collect()
}

/// oci-spec's architecture for `name`, kept as written when oci-spec would spell it
/// differently (its table maps `armbe` to `arm64be`).
fn spec_arch(name: &str) -> spec::Arch {
    let arch = spec::Arch::from(name);
    if arch.to_string() == name {
        arch
    } else {
        spec::Arch::Other(name.to_owned())
    }
}

impl From<&Platform> for spec::Platform {
    fn from(p: &Platform) -> Self {
        let mut out = spec::Platform::default();
        out.set_architecture(spec_arch(&p.architecture));
        out.set_os(spec::Os::from(p.os.as_str()));
        out.set_variant(p.variant.clone());
        out.set_os_version(p.os_version.clone());
        out
    }
}

impl From<&spec::Platform> for Platform {
    fn from(p: &spec::Platform) -> Self {
        Platform {
            architecture: p.architecture().to_string(),
            os: p.os().to_string(),
            variant: p.variant().clone(),
            os_version: p.os_version().clone(),
        }
    }
}

impl TryFrom<&Descriptor> for spec::Descriptor {
    type Error = Error;

    fn try_from(d: &Descriptor) -> Result<Self> {
        let digest: spec::Digest = d
            .digest
            .as_str()
            .parse()
            .map_err(|e| invalid("digest", e))?;
        let mut out = spec::Descriptor::new(d.media_type.as_str().into(), d.size, digest);
        out.set_artifact_type(d.artifact_type.as_deref().map(spec::MediaType::from));
        out.set_annotations(to_spec_map(&d.annotations));
        out.set_platform(d.platform.as_ref().map(spec::Platform::from));
        out.set_urls((!d.urls.is_empty()).then(|| d.urls.clone()));
        Ok(out)
    }
}

impl TryFrom<&spec::Descriptor> for Descriptor {
    type Error = Error;

    fn try_from(d: &spec::Descriptor) -> Result<Self> {
        let digest = Digest::parse(d.digest().as_ref()).map_err(|e| invalid("descriptor", e))?;
        let mut out = Descriptor::new(d.media_type().to_string(), digest, d.size());
        out.artifact_type = d.artifact_type().as_ref().map(ToString::to_string);
        out.annotations = from_spec_map(d.annotations().as_ref());
        out.platform = d.platform().as_ref().map(Platform::from);
        out.urls = d.urls().clone().unwrap_or_default();
        Ok(out)
    }
}

impl TryFrom<&ImageManifest> for spec::ImageManifest {
    type Error = Error;

    fn try_from(m: &ImageManifest) -> Result<Self> {
        let mut out = spec::ImageManifestBuilder::default()
            .schema_version(m.schema_version)
            .config(spec::Descriptor::try_from(&m.config)?)
            .layers(to_spec_descriptors(&m.layers)?)
            .build()
            .map_err(|e| invalid("manifest", e))?;
        out.set_media_type(m.media_type.as_deref().map(spec::MediaType::from));
        out.set_artifact_type(m.artifact_type.as_deref().map(spec::MediaType::from));
        out.set_subject(
            m.subject
                .as_ref()
                .map(spec::Descriptor::try_from)
                .transpose()?,
        );
        out.set_annotations(to_spec_map(&m.annotations));
        Ok(out)
    }
}

impl TryFrom<&spec::ImageManifest> for ImageManifest {
    type Error = Error;

    fn try_from(m: &spec::ImageManifest) -> Result<Self> {
        Ok(ImageManifest {
            schema_version: m.schema_version(),
            media_type: m.media_type().as_ref().map(ToString::to_string),
            artifact_type: m.artifact_type().as_ref().map(ToString::to_string),
            config: Descriptor::try_from(m.config())?,
            layers: from_spec_descriptors(m.layers())?,
            subject: m.subject().as_ref().map(Descriptor::try_from).transpose()?,
            annotations: from_spec_map(m.annotations().as_ref()),
        })
    }
}

impl TryFrom<&ImageIndex> for spec::ImageIndex {
    type Error = Error;

    fn try_from(i: &ImageIndex) -> Result<Self> {
        let mut out = spec::ImageIndex::default();
        out.set_schema_version(i.schema_version);
        out.set_media_type(i.media_type.as_deref().map(spec::MediaType::from));
        out.set_artifact_type(i.artifact_type.as_deref().map(spec::MediaType::from));
        out.set_manifests(to_spec_descriptors(&i.manifests)?);
        out.set_subject(
            i.subject
                .as_ref()
                .map(spec::Descriptor::try_from)
                .transpose()?,
        );
        out.set_annotations(to_spec_map(&i.annotations));
        Ok(out)
    }
}

impl TryFrom<&spec::ImageIndex> for ImageIndex {
    type Error = Error;

    fn try_from(i: &spec::ImageIndex) -> Result<Self> {
        Ok(ImageIndex {
            schema_version: i.schema_version(),
            media_type: i.media_type().as_ref().map(ToString::to_string),
            artifact_type: i.artifact_type().as_ref().map(ToString::to_string),
            manifests: from_spec_descriptors(i.manifests())?,
            subject: i.subject().as_ref().map(Descriptor::try_from).transpose()?,
            annotations: from_spec_map(i.annotations().as_ref()),
        })
    }
}
