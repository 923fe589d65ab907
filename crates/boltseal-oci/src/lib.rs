#![doc = include_str!("../README.md")]

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
    ResolvedImage, copy_image, human_size, resolve_image,
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
