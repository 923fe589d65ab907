//! Resolving tags to the digests a registry serves, each distinct tag once, concurrently.

use std::collections::HashMap;
use std::sync::Arc;

use boltseal_oci::{ManifestRef, RegistryOptions, RegistryStore, Store};
use boltseal_reference::{Digest, Reference};
use futures_util::StreamExt;

use crate::error::{Error, Result};

/// How many tags are resolved at the same time.
const CONCURRENCY: usize = 8;

/// The tag a reference follows, as `registry/repository:tag` (`latest` when none is
/// written), or `None` for a reference pinned by digest alone.
///
/// ```
/// use boltseal_pin::tag_key;
/// use boltseal_reference::Reference;
///
/// assert_eq!(tag_key(&Reference::parse("nginx")?).as_deref(), Some("docker.io/library/nginx:latest"));
/// assert_eq!(tag_key(&Reference::parse("ghcr.io/o/a:v1")?).as_deref(), Some("ghcr.io/o/a:v1"));
/// # Ok::<(), boltseal_reference::ReferenceError>(())
/// ```
#[must_use]
pub fn tag_key(reference: &Reference) -> Option<String> {
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => Some(format!("{}:{tag}", reference.repository_name())),
        (None, None) => Some(format!("{}:latest", reference.repository_name())),
        (None, Some(_)) => None,
    }
}

/// Resolves image tags through [`RegistryStore`]: the digest of the manifest the tag names,
/// which for a multi-platform image is the index digest (what `docker pull name@digest`
/// needs on every platform). The manifest is fetched and checked against the digest the
/// registry announces, so the digest pinned is the digest of the bytes served.
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    options: RegistryOptions,
}

impl Resolver {
    /// A resolver connecting with `options` (plain HTTP, credentials).
    #[must_use]
    pub fn new(options: RegistryOptions) -> Self {
        Resolver { options }
    }

    /// Resolves the tag `reference` follows (see [`tag_key`]).
    ///
    /// # Errors
    /// [`Error::Resolve`] carrying the store error ([`boltseal_oci::ErrorKind::NotFound`] for a
    /// missing tag or repository).
    pub async fn resolve(&self, reference: &Reference) -> Result<Digest> {
        let tag = reference.tag().unwrap_or("latest");
        let image = format!("{}:{tag}", reference.repository_name());
        let wrap = |e: boltseal_oci::Error| Error::Resolve {
            image: image.clone(),
            source: Arc::new(e),
        };
        let store = RegistryStore::new(reference, self.options.clone()).map_err(wrap)?;
        let raw = store
            .get_manifest(&ManifestRef::Tag(tag.to_owned()))
            .await
            .map_err(wrap)?;
        Ok(*raw.digest())
    }

    /// Resolves every distinct tag among `references` once, at most eight at a time; the
    /// answers are keyed by [`tag_key`]. References pinned by digest alone are skipped.
    pub async fn resolve_all<'a>(
        &self,
        references: impl IntoIterator<Item = &'a Reference>,
    ) -> HashMap<String, Result<Digest>> {
        let mut distinct: HashMap<String, &Reference> = HashMap::new();
        for r in references {
            if let Some(key) = tag_key(r) {
                distinct.entry(key).or_insert(r);
            }
        }
        futures_util::stream::iter(distinct)
            .map(|(key, r)| async move { (key, self.resolve(r).await) })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await
    }
}
