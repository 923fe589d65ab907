//! Signing and attesting container images and blobs, in the layouts the ecosystem reads.
//!
//! Image signatures are written to any [`boltseal_oci::Store`] in one of two layouts
//! ([`SignatureFormat`]):
//!
//! - **legacy** — a `sha256-<hex>.sig` tag whose manifest gets one layer per signature: the
//!   simple-signing payload, with the signature in the `dev.cosignproject.cosign/signature`
//!   annotation. cosign 2, skopeo/podman (containers/image) and Kyverno read it. Attestations go to
//!   `sha256-<hex>.att` as DSSE envelopes.
//! - **bundle** — a Sigstore bundle v0.3 (DSSE over an in-toto statement) pushed as an OCI 1.1
//!   referrer of the image, cosign 3's default; registries without the referrers API get the
//!   `sha256-<hex>` tag-schema index.
//!
//! The tag is resolved to a digest exactly once and the digest is what gets signed, so a tag
//! that moves between the two steps cannot redirect the signature.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use boltseal_keys::PrivateKey;
//! use boltseal_oci::{ImageBuilder, LayoutStore, ManifestRef};
//! use boltseal_sign::{SignOptions, sign_image};
//!
//! let dir = tempfile::tempdir()?;
//! let store = LayoutStore::create(dir.path().join("img")).await?;
//! ImageBuilder::new().file("a", b"a", 0o644).build()?.write_to(&store, Some("v1")).await?;
//! let key = PrivateKey::generate()?;
//! let signed = sign_image(
//!     &store,
//!     &ManifestRef::Tag("v1".into()),
//!     "localhost/img:v1",
//!     &key,
//!     &SignOptions::new().annotation("env", "prod"),
//! )
//! .await?;
//! assert_eq!(signed.location, format!("sha256-{}.sig", signed.digest.encoded()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod blob;
mod error;
mod image;

pub use blob::{sign_blob, sign_blob_bytes};
pub use error::Error;
pub use image::{
    ANNOTATION_BUNDLE_CONTENT, ANNOTATION_BUNDLE_PREDICATE_TYPE, ANNOTATION_PREDICATE_TYPE,
    ANNOTATION_SIGNATURE, AttestOptions, MAX_SIGNATURE_LAYERS, SignOptions, SignatureFormat,
    Signed, attest_image, now_rfc3339, rfc3339, sign_image, signature_tag,
};
