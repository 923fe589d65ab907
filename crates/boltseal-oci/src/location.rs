//! Image locations as users write them, and [`AnyStore`], the store chosen at run time.

use std::path::PathBuf;

use boltseal_reference::{Digest, Reference};

use crate::error::{Error, Result};
use crate::layout::{LayoutStore, valid_tag};
use crate::manifest::{Descriptor, RawManifest};
use crate::registry::{RegistryOptions, RegistryStore};
use crate::store::{BlobReader, ManifestRef, MountSource, Store};

/// Where an image is: an OCI layout directory or a registry repository, plus an optional tag or
/// digest.
///
/// - `oci:DIR`, `oci:DIR:TAG`, `oci:DIR@sha256:…`: an OCI image layout.
/// - `HOST[:PORT]/PATH[:TAG|@DIGEST]` or any docker reference (`nginx:1.27`): a registry.
///
/// ```
/// use boltseal_oci::{ImageLocation, ManifestRef};
///
/// let l: ImageLocation = "oci:target/img:v1".parse()?;
/// assert_eq!(l.manifest_ref(), Some(ManifestRef::Tag("v1".into())));
/// let r: ImageLocation = "127.0.0.1:5000/team/app:v1".parse()?;
/// assert!(matches!(r, ImageLocation::Registry(_)));
/// # Ok::<(), boltseal_oci::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageLocation {
    /// An OCI image layout directory.
    Layout {
        /// The directory.
        path: PathBuf,
        /// The tag or digest inside it, if given.
        reference: Option<ManifestRef>,
    },
    /// A registry repository.
    Registry(Reference),
}

impl ImageLocation {
    /// Parses a location.
    ///
    /// # Errors
    /// [`Error::InvalidLocation`] naming what is wrong.
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidLocation {
            input: input.to_owned(),
            reason,
        };
        if let Some(rest) = input.strip_prefix("oci:") {
            if let Some((dir, digest)) = rest.rsplit_once('@') {
                let digest = Digest::parse(digest).map_err(|e| bad(e.to_string()))?;
                return Self::layout(dir, Some(ManifestRef::Digest(digest)), input);
            }
            if let Some((dir, tag)) = rest.rsplit_once(':')
                && !tag.contains('/')
            {
                if !valid_tag(tag) {
                    return Err(bad(format!("{tag:?} is not a valid tag")));
                }
                return Self::layout(dir, Some(ManifestRef::Tag(tag.to_owned())), input);
            }
            return Self::layout(rest, None, input);
        }
        for transport in ["docker://", "docker-archive:", "oci-archive:", "dir:"] {
            if input.starts_with(transport) && transport != "docker://" {
                return Err(bad(format!("the {transport} transport is not a store")));
            }
        }
        let text = input.strip_prefix("docker://").unwrap_or(input);
        Reference::parse(text)
            .map(ImageLocation::Registry)
            .map_err(|e| bad(e.to_string()))
    }

    fn layout(dir: &str, reference: Option<ManifestRef>, input: &str) -> Result<Self> {
        if dir.is_empty() {
            return Err(Error::InvalidLocation {
                input: input.to_owned(),
                reason: "no directory after oci:".to_owned(),
            });
        }
        Ok(ImageLocation::Layout {
            path: PathBuf::from(dir),
            reference,
        })
    }

    /// The tag or digest named, if any. A registry reference with neither names `latest`.
    #[must_use]
    pub fn manifest_ref(&self) -> Option<ManifestRef> {
        match self {
            ImageLocation::Layout { reference, .. } => reference.clone(),
            ImageLocation::Registry(r) => Some(ManifestRef::of(r)),
        }
    }

    /// The tag named, if any (a registry reference with neither tag nor digest names `latest`).
    #[must_use]
    pub fn tag(&self) -> Option<String> {
        match self.manifest_ref() {
            Some(ManifestRef::Tag(t)) => Some(t),
            _ => None,
        }
    }

    /// Opens the store for reading; a layout must exist.
    ///
    /// # Errors
    /// [`Error::InvalidLayout`] for a missing layout, registry setup errors.
    pub async fn open(&self, options: &RegistryOptions) -> Result<AnyStore> {
        match self {
            ImageLocation::Layout { path, .. } => {
                Ok(AnyStore::Layout(LayoutStore::open(path.clone()).await?))
            }
            ImageLocation::Registry(r) => Ok(AnyStore::Registry(Box::new(RegistryStore::new(
                r,
                options.clone(),
            )?))),
        }
    }

    /// Opens the store for writing; a missing layout is created.
    ///
    /// # Errors
    /// I/O errors, registry setup errors.
    pub async fn create(&self, options: &RegistryOptions) -> Result<AnyStore> {
        match self {
            ImageLocation::Layout { path, .. } => {
                Ok(AnyStore::Layout(LayoutStore::create(path.clone()).await?))
            }
            ImageLocation::Registry(r) => Ok(AnyStore::Registry(Box::new(RegistryStore::new(
                r,
                options.clone(),
            )?))),
        }
    }

    /// Resolves the image this location names in `store` (opened from this location). A layout
    /// location without tag or digest names the layout's only image.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::InvalidLocation`] when a layout holds several images
    /// and none was named.
    pub async fn resolve(&self, store: &AnyStore) -> Result<Descriptor> {
        match self.manifest_ref() {
            Some(r) => store.resolve(&r).await,
            None => match store {
                AnyStore::Layout(l) => l.only_image().await,
                AnyStore::Registry(_) => store.resolve(&ManifestRef::Tag("latest".into())).await,
            },
        }
    }
}

impl std::str::FromStr for ImageLocation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ImageLocation::parse(s)
    }
}

impl std::fmt::Display for ImageLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageLocation::Layout { path, reference } => {
                write!(f, "oci:{}", path.display())?;
                match reference {
                    Some(ManifestRef::Tag(t)) => write!(f, ":{t}"),
                    Some(ManifestRef::Digest(d)) => write!(f, "@{d}"),
                    None => Ok(()),
                }
            }
            ImageLocation::Registry(r) => write!(f, "{r}"),
        }
    }
}

/// A store chosen at run time: a layout or a registry.
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyStore {
    /// An OCI image layout.
    Layout(LayoutStore),
    /// A registry repository.
    Registry(Box<RegistryStore>),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Layout($s) => $e,
            AnyStore::Registry($s) => $e,
        }
    };
}

impl Store for AnyStore {
    fn name(&self) -> String {
        delegate!(self, s => s.name())
    }
    async fn resolve(&self, reference: &ManifestRef) -> Result<Descriptor> {
        delegate!(self, s => s.resolve(reference).await)
    }
    async fn get_manifest(&self, reference: &ManifestRef) -> Result<RawManifest> {
        delegate!(self, s => s.get_manifest(reference).await)
    }
    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<()> {
        delegate!(self, s => s.put_manifest(manifest, tag).await)
    }
    async fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        delegate!(self, s => s.blob_exists(digest).await)
    }
    async fn get_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        delegate!(self, s => s.get_blob(descriptor).await)
    }
    async fn put_blob(&self, descriptor: &Descriptor, data: BlobReader) -> Result<()> {
        delegate!(self, s => s.put_blob(descriptor, data).await)
    }
    async fn list_tags(&self) -> Result<Vec<String>> {
        delegate!(self, s => s.list_tags().await)
    }
    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        delegate!(self, s => s.referrers(subject, artifact_type).await)
    }
    async fn delete(&self, digest: &Digest) -> Result<()> {
        delegate!(self, s => s.delete(digest).await)
    }
    fn mount_source(&self) -> Option<MountSource> {
        delegate!(self, s => s.mount_source())
    }
    async fn try_mount(&self, descriptor: &Descriptor, source: &MountSource) -> Result<bool> {
        delegate!(self, s => s.try_mount(descriptor, source).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_locations() {
        let l = ImageLocation::parse("oci:/tmp/x").unwrap();
        assert_eq!(
            l,
            ImageLocation::Layout {
                path: "/tmp/x".into(),
                reference: None
            }
        );
        let d = Digest::sha256_of(b"");
        let l = ImageLocation::parse(&format!("oci:dir@{d}")).unwrap();
        assert_eq!(l.manifest_ref(), Some(ManifestRef::Digest(d)));
        assert_eq!(l.to_string(), format!("oci:dir@{d}"));
        let l = ImageLocation::parse("oci:a/b:v1.2").unwrap();
        assert_eq!(l.to_string(), "oci:a/b:v1.2");
        assert!(ImageLocation::parse("oci:").is_err());
        assert!(ImageLocation::parse("oci:dir:bad tag").is_err());
        assert!(ImageLocation::parse("oci:dir@sha256:00").is_err());
        let r = ImageLocation::parse("docker://127.0.0.1:5000/a/b").unwrap();
        assert_eq!(r.manifest_ref(), Some(ManifestRef::Tag("latest".into())));
        assert!(ImageLocation::parse("docker-archive:x.tar").is_err());
        assert!(ImageLocation::parse("host/Upper").is_err());
    }
}
