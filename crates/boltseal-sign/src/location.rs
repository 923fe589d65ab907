//! Signing what users type: an [`ImageLocation`] (registry reference or OCI layout), with the
//! signing identity derived from it.

use boltseal_keys::Signer;
use boltseal_oci::{AnyStore, ImageLocation, ManifestRef, RegistryOptions};

use crate::error::Error;
use crate::image::{AttestOptions, SignOptions, Signed, attest_image, sign_image};

/// The signing identity boltseal writes for an image location when the caller names none: the
/// `docker-reference` of a legacy payload and the subject name of an attestation.
///
/// - A registry image: its repository with the tag it was named by (`:latest` when it was
///   named by neither tag nor digest), or the repository alone when it was named by digest.
///   Both cosign and containers/image's default `matchRepoDigestOrExact` accept a signature
///   made this way.
/// - An OCI layout directory: `localhost/<directory name>` (lower-cased; characters a
///   repository cannot hold become `-`; `image` when nothing is left), with the tag it was
///   named by.
///
/// ```
/// use boltseal_oci::ImageLocation;
/// use boltseal_sign::signing_identity;
///
/// let at = |s: &str| ImageLocation::parse(s).unwrap();
/// assert_eq!(signing_identity(&at("ghcr.io/acme/app:v1")), "ghcr.io/acme/app:v1");
/// assert_eq!(signing_identity(&at("ghcr.io/acme/app")), "ghcr.io/acme/app:latest");
/// assert_eq!(signing_identity(&at("oci:/tmp/My Image:v2")), "localhost/my-image:v2");
/// ```
#[must_use]
pub fn signing_identity(location: &ImageLocation) -> String {
    match location {
        ImageLocation::Registry(r) => match (r.digest(), r.tag()) {
            (None, Some(t)) => format!("{}:{t}", r.repository_name()),
            (None, None) => format!("{}:latest", r.repository_name()),
            _ => r.repository_name(),
        },
        ImageLocation::Layout { path, reference } => {
            let base: String = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let base = base.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let repo = format!("localhost/{}", if base.is_empty() { "image" } else { base });
            match reference {
                Some(ManifestRef::Tag(t)) => format!("{repo}:{t}"),
                _ => repo,
            }
        }
        _ => "localhost/image".to_owned(),
    }
}

/// Signs the image `location` names: opens its store (`registry` configures registry access),
/// resolves the tag once, and signs the digest as [`SignOptions::identity`] or, when unset,
/// [`signing_identity`] of the location.
///
/// # Errors
/// As [`sign_image`]; a layout that does not exist or an image that is not there is
/// [`Error::Store`].
pub async fn sign_image_at(
    location: &ImageLocation,
    registry: &RegistryOptions,
    signer: &dyn Signer,
    options: &SignOptions,
) -> Result<Signed, Error> {
    let (store, image) = open(location, registry).await?;
    let identity = identity_or(options.identity.as_deref(), location);
    sign_image(&store, &image, &identity, signer, options).await
}

/// Attests the image `location` names, as [`sign_image_at`] signs it (the subject is named by
/// [`AttestOptions::identity`] or the location's [`signing_identity`]).
///
/// # Errors
/// As [`attest_image`] and [`sign_image_at`].
pub async fn attest_image_at(
    location: &ImageLocation,
    registry: &RegistryOptions,
    signer: &dyn Signer,
    options: &AttestOptions,
) -> Result<Signed, Error> {
    let (store, image) = open(location, registry).await?;
    let identity = identity_or(options.identity.as_deref(), location);
    attest_image(&store, &image, &identity, signer, options).await
}

/// The store `location` names and its image, resolved once (by digest from then on).
async fn open(
    location: &ImageLocation,
    registry: &RegistryOptions,
) -> Result<(AnyStore, ManifestRef), Error> {
    let store = location.open(registry).await?;
    let image = location.resolve(&store).await?;
    Ok((store, ManifestRef::Digest(image.digest)))
}

fn identity_or(given: Option<&str>, location: &ImageLocation) -> String {
    given.map_or_else(|| signing_identity(location), str::to_owned)
}
