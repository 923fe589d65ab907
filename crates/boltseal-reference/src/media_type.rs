//! Media types of the artifacts boltseal reads and writes.
//!
//! Values carried over from the OCI image specification, Docker's manifest v2 schema 2, cosign
//! and the Sigstore bundle specification.

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image configuration.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI empty descriptor payload (`{}`), used as the config of artifacts.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// OCI layer, uncompressed tar.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI layer, gzip-compressed tar.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI layer, zstd-compressed tar.
pub const OCI_LAYER_TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-platform), schema 2.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image configuration.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker layer, gzip-compressed tar.
pub const DOCKER_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker foreign (non-distributable) layer.
pub const DOCKER_LAYER_FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// Cosign simple-signing payload (a layer of a `.sig` manifest).
pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// DSSE envelope (a layer of a `.att` manifest).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Sigstore bundle v0.3, as an OCI 1.1 artifact type.
pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Media types that name a single-image manifest.
pub const MANIFESTS: [&str; 2] = [OCI_MANIFEST, DOCKER_MANIFEST];
/// Media types that name an index of manifests.
pub const INDEXES: [&str; 2] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

/// Whether `media_type` names a single-image manifest (OCI or Docker).
#[must_use]
pub fn is_manifest(media_type: &str) -> bool {
    MANIFESTS.contains(&media_type)
}

/// Whether `media_type` names an index of manifests (OCI index or Docker manifest list).
#[must_use]
pub fn is_index(media_type: &str) -> bool {
    INDEXES.contains(&media_type)
}
