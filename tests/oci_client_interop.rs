//! Interoperability with `oci-client` (the registry client of the Rust OCI ecosystem) on a real
//! registry: what boltseal pushes, oci-client pulls, and the other way round, digests equal.
//! References cross over through boltseal-reference's `oci-spec` conversions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use boltseal::oci::{ImageBuilder, Manifest, ManifestRef, RegistryOptions, RegistryStore, Store};
use boltseal::reference::{Digest, Reference};
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::secrets::RegistryAuth;

fn client() -> oci_client::Client {
    oci_client::Client::new(ClientConfig {
        protocol: ClientProtocol::Http,
        ..Default::default()
    })
}

#[tokio::test]
async fn oci_client_pulls_what_boltseal_pushes() {
    let registry = support::Registry::start();
    let reference: Reference = registry.repo("interop/from-boltseal:v1").parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let image = ImageBuilder::new()
        .file("etc/motd", b"pushed by boltseal\n", 0o644)
        .build()
        .unwrap();
    let desc = image.write_to(&store, Some("v1")).await.unwrap();

    let theirs: oci_client::Reference = (&reference).into();
    let (manifest, digest) = client()
        .pull_image_manifest(&theirs, &RegistryAuth::Anonymous)
        .await
        .unwrap();
    assert_eq!(digest, desc.digest.to_string());
    assert_eq!(manifest.layers.len(), 1);
    assert_eq!(
        manifest.layers[0].digest,
        image.layer_descriptor.digest.to_string()
    );
    let mut layer = Vec::new();
    client()
        .pull_blob(&theirs, &manifest.layers[0], &mut layer)
        .await
        .unwrap();
    assert_eq!(layer, image.layer);
}

#[tokio::test]
async fn boltseal_reads_what_oci_client_pushes() {
    let registry = support::Registry::start();
    let text = registry.repo("interop/from-oci-client:v1");
    let theirs: oci_client::Reference = text.parse().unwrap();
    let layer = ImageLayer::oci_v1(b"layer bytes from oci-client".to_vec(), None);
    let config = Config::oci_v1(br#"{"architecture":"amd64","os":"linux"}"#.to_vec(), None);
    let response = client()
        .push(
            &theirs,
            std::slice::from_ref(&layer),
            config,
            &RegistryAuth::Anonymous,
            None,
        )
        .await
        .unwrap();
    assert!(response.manifest_url.contains("/manifests/"));

    // Back into boltseal through the conversion, then read and verify everything.
    let reference = Reference::try_from(&theirs).unwrap();
    assert_eq!(reference.to_string(), text);
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let raw = store
        .get_manifest(&ManifestRef::Tag("v1".into()))
        .await
        .unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("not an image manifest");
    };
    assert_eq!(m.layers[0].digest, Digest::sha256_of(&layer.data));
    let bytes = store
        .get_blob(&m.layers[0])
        .await
        .unwrap()
        .read_to_vec(1 << 20)
        .await
        .unwrap();
    assert_eq!(bytes, layer.data.to_vec());
    let digest = client()
        .fetch_manifest_digest(&theirs, &RegistryAuth::Anonymous)
        .await
        .unwrap();
    assert_eq!(digest, raw.digest().to_string());
}
