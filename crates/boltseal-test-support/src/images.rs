//! Images in a registry for a test: push one ([`push_image`]), sign it ([`sign`]), and write
//! evidence by hand ([`push_att`], [`push_signature_manifest`], [`push_bundle_referrer`]) —
//! what cosign writes, or what an attacker does.

use std::collections::{BTreeMap, HashSet};

use boltseal_oci::{
    BlobReader, Descriptor, ImageBuilder, ImageManifest, ManifestRef, RegistryOptions,
    RegistryStore, Store,
};
use boltseal_reference::{Digest, Reference, media_type};
use boltseal_sign::{
    AttestOptions, SignOptions, SignatureFormat, Signed, attest_image, sign_image, signature_tag,
};

/// A layer to push: its blob and its annotations.
pub type Layer = (Vec<u8>, BTreeMap<String, String>);

/// `ManifestRef::Tag(t)`.
#[must_use]
pub fn tag(t: &str) -> ManifestRef {
    ManifestRef::Tag(t.to_owned())
}

/// A store for the repository of `reference` (`127.0.0.1:PORT/repo[:tag]`).
///
/// # Panics
/// When `reference` does not parse.
#[must_use]
pub fn store(reference: &str) -> RegistryStore {
    let reference: Reference = reference.parse().expect("a reference");
    RegistryStore::new(&reference, RegistryOptions::new()).expect("a registry store")
}

/// A one-file image (`etc/motd` holding `content`) pushed as `<registry>/<repo>:v1`; its
/// store, reference text and digest. `registry` is `127.0.0.1:PORT` ([`crate::Registry::addr`]).
///
/// # Panics
/// When the push fails.
pub async fn push_image(
    registry: &str,
    repo: &str,
    content: &str,
) -> (RegistryStore, String, Digest) {
    let text = format!("{registry}/{repo}:v1");
    let store = store(&text);
    let desc = ImageBuilder::new()
        .file("etc/motd", content.as_bytes(), 0o644)
        .build()
        .expect("an image")
        .write_to(&store, Some("v1"))
        .await
        .expect("pushed");
    (store, text, desc.digest)
}

/// Signs `v1` in `store` as `identity` with `key` and `options`.
///
/// # Panics
/// When signing fails.
pub async fn sign_v1<S: Store>(
    store: &S,
    identity: &str,
    key: &boltseal_keys::PrivateKey,
    options: &SignOptions,
) -> Signed {
    (sign_image(store, &tag("v1"), identity, key, options).await).expect("signed")
}

/// Attests `v1` in `store` as `identity` with `key` and `options`.
///
/// # Panics
/// When attesting fails.
pub async fn attest_v1<S: Store>(
    store: &S,
    identity: &str,
    key: &boltseal_keys::PrivateKey,
    options: &AttestOptions,
) -> Signed {
    (attest_image(store, &tag("v1"), identity, key, options).await).expect("attested")
}

/// A minimal SPDX attestation (`{"spdxVersion": "SPDX-2.3"}`) in the bundle layout.
#[must_use]
pub fn spdx_bundle() -> AttestOptions {
    let predicate = serde_json::json!({"spdxVersion": "SPDX-2.3"});
    AttestOptions::new("https://spdx.dev/Document", predicate).format(SignatureFormat::Bundle)
}

/// Signs the image `text` (a `:v1` tag) with `key` in the given layout.
///
/// # Panics
/// When signing fails.
pub async fn sign(text: &str, key: &boltseal_keys::PrivateKey, format: SignatureFormat) {
    sign_v1(&store(text), text, key, &SignOptions::new().format(format)).await;
}

/// Pushes `bytes` as a blob of `media_type`; its descriptor.
///
/// # Panics
/// When the push fails.
pub async fn put_blob<S: Store>(store: &S, media_type: &str, bytes: Vec<u8>) -> Descriptor {
    let desc = Descriptor::of_bytes(media_type, &bytes);
    put_described(store, &desc, bytes).await;
    desc
}

async fn put_described<S: Store>(store: &S, desc: &Descriptor, bytes: Vec<u8>) {
    let r = BlobReader::new("blob", desc, Box::pin(std::io::Cursor::new(bytes)));
    store.put_blob(desc, r).await.expect("blob pushed");
}

/// Pushes `layers` (of `media_type`, each blob once) and an empty config as an image manifest
/// tagged `tag`.
///
/// # Panics
/// When a push fails.
pub async fn push_layers<S: Store>(store: &S, media_type: &str, layers: Vec<Layer>, tag: &str) {
    let config = put_blob(store, media_type::OCI_CONFIG, b"{}".to_vec()).await;
    let mut pushed = HashSet::new();
    let mut descriptors = Vec::new();
    for (blob, annotations) in layers {
        let mut d = Descriptor::of_bytes(media_type, &blob);
        if pushed.insert(d.digest) {
            put_described(store, &d, blob).await;
        }
        d.annotations = annotations;
        descriptors.push(d);
    }
    let manifest = ImageManifest::new(config, descriptors)
        .to_raw()
        .expect("a manifest");
    store
        .put_manifest(&manifest, Some(tag))
        .await
        .expect("manifest pushed");
}

/// Pushes simple-signing `layers` as the image's `sha256-<hex>.sig` manifest (cosign's legacy
/// signature layout).
pub async fn push_signature_manifest<S: Store>(store: &S, image: &Digest, layers: Vec<Layer>) {
    let tag = signature_tag(image, "sig");
    push_layers(store, media_type::COSIGN_SIMPLE_SIGNING, layers, &tag).await;
}

/// Pushes DSSE `layers` as the image's `sha256-<hex>.att` manifest (cosign's legacy
/// attestation layout).
pub async fn push_att<S: Store>(store: &S, image: &Digest, layers: Vec<Layer>) {
    let tag = signature_tag(image, "att");
    push_layers(store, media_type::DSSE_ENVELOPE, layers, &tag).await;
}

/// Pushes a Sigstore bundle (DSSE) as an OCI referrer of the image tagged `v1` (cosign v3's
/// layout, [`boltseal_sign::attach_bundle`]), annotated with its predicate type.
///
/// # Panics
/// When a push fails.
pub async fn push_bundle_referrer<S: Store>(store: &S, bundle: &[u8], predicate_type: &str) {
    let image = store.resolve(&tag("v1")).await.expect("image v1");
    (boltseal_sign::attach_bundle(store, &image, bundle, predicate_type, None).await)
        .expect("referrer pushed");
}

/// A blob of `store` read whole (up to 16 MiB).
///
/// # Panics
/// When it cannot be read.
pub async fn read_blob<S: Store>(store: &S, desc: &Descriptor) -> Vec<u8> {
    store
        .get_blob(desc)
        .await
        .expect("blob")
        .read_to_vec(16 << 20)
        .await
        .expect("blob read")
}

impl crate::Registry {
    /// [`push_image`] to this registry.
    pub async fn push_image(&self, repo: &str, content: &str) -> (RegistryStore, String, Digest) {
        push_image(&self.addr, repo, content).await
    }
}

/// Checks legacy `layers` of the image `digest` for `claim` under `policy`: the sync core, with
/// no store (the default evidence limits).
///
/// # Errors
/// The refusal.
pub fn check_layers<P: Clone + Into<boltseal_verify::Authority>>(
    digest: &Digest,
    layers: &[boltseal_verify::SignatureLayer],
    policy: &P,
    claim: &boltseal_verify::Claim,
) -> Result<boltseal_verify::Verification, boltseal_verify::VerifyError> {
    let limits = boltseal_verify::EvidenceLimits::default();
    let evidence =
        boltseal_verify::Evidence::new(*digest, layers.to_vec(), vec![], vec![], limits, 0);
    boltseal_verify::check(&evidence, &policy.clone().into(), claim)
}
