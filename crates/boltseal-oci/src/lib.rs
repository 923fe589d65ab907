//! One artifact store API over OCI image layout directories and distribution registries.
//!
//! Every boltseal tool reads and writes images through the [`Store`] trait, so each runs the
//! same on the embedded default, an OCI image layout directory ([`LayoutStore`], no server),
//! and on a registry ([`RegistryStore`]). [`ImageLocation`] parses what users type
//! (`oci:DIR:TAG`, `HOST/REPO:TAG`) and opens the right backend as an [`AnyStore`].
//!
//! A store is untrusted input. Manifests are capped at [`MAX_MANIFEST_BYTES`] and checked
//! against their digest and media type; blobs are streamed through a [`BlobReader`] that refuses
//! any byte beyond the descriptor's size and fails at the end unless size and digest match.
//! Layout writes are atomic (temporary file, then rename), and symbolic links inside a layout
//! are refused.
//! A registry is bounded in time and volume too: each request for a small document has a
//! deadline, a blob download must keep a minimum rate, a tag list is capped in tags, bytes and
//! pages ([`RegistryOptions`]); a copy fetches each manifest once and at most
//! [`CopyOptions::max_manifests`] of them, indexes nested at most [`CopyOptions::max_depth`]
//! deep. A registry's error text reaches error messages as one short line.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use boltseal_oci::{CopyOptions, ImageBuilder, LayoutStore, ManifestRef, Store, copy_image};
//!
//! let dir = tempfile::tempdir()?;
//! let a = LayoutStore::create(dir.path().join("a")).await?;
//! let image = ImageBuilder::new().file("etc/motd", b"hello\n", 0o644).build()?;
//! let desc = image.write_to(&a, Some("v1")).await?;
//!
//! let b = LayoutStore::create(dir.path().join("b")).await?;
//! let report = copy_image(&a, &ManifestRef::Tag("v1".into()), &b, Some("v1"), &CopyOptions::new()).await?;
//! assert_eq!(report.descriptor.unwrap().digest, desc.digest);
//! assert_eq!(b.resolve(&ManifestRef::Tag("v1".into())).await?.digest, desc.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod auth;
mod copy;
mod counting;
mod error;
mod image;
mod layout;
mod location;
mod manifest;
#[cfg(feature = "oci-spec")]
pub mod oci_spec;
mod pool;
mod registry;
mod store;

pub use auth::{Credential, credential_files, credential_for, credential_from_file};
pub use copy::{
    CopyEvent, CopyOptions, CopyReport, DEFAULT_MAX_DEPTH, DEFAULT_MAX_MANIFESTS, Progress,
    ResolvedImage, copy_image, resolve_image,
};
pub use counting::{count_requests, registry_requests};
pub use error::{Error, ErrorKind, Result};
pub use image::{BuiltImage, ImageBuilder};
pub use layout::{LayoutStore, REF_NAME};
pub use location::{AnyStore, ImageLocation};
pub use manifest::{
    Descriptor, ImageIndex, ImageManifest, MAX_MANIFEST_BYTES, Manifest, Platform, RawManifest,
};
pub use pool::{DEFAULT_POOL_CAPACITY, DEFAULT_POOL_TTL, RegistryPool};
pub use registry::{RegistryOptions, RegistryStore, is_loopback};
pub use store::{BlobReader, ManifestRef, MountSource, Store, referrers_tag};

pub use boltseal_reference as reference;

/// Entry points for the fuzz targets and property tests: the parsers of headers a registry
/// sends. Not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use std::collections::BTreeMap;

    /// Parses a `WWW-Authenticate` challenge as [`RegistryStore`](crate::RegistryStore) does:
    /// the scheme and the parameters, both with lower-case names; `None` when it does not
    /// parse.
    #[must_use]
    pub fn parse_challenge(header: &str) -> Option<(String, BTreeMap<String, String>)> {
        crate::auth::parse_challenge(header).map(|c| (c.scheme, c.params))
    }

    /// The target of the next-page link of a `Link` header, as a tag list is paginated.
    #[must_use]
    pub fn next_link(header: &str) -> Option<&str> {
        crate::registry::next_link(header)
    }

    /// A registry's error text as error messages carry it: one line, control characters
    /// escaped, cut after a few hundred characters.
    #[must_use]
    pub fn untrusted_text(text: &str) -> String {
        crate::error::untrusted_text(text)
    }
}
