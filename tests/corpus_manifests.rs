//! Manifests captured from peer tools (umoci, skopeo, sigstore-rs) in `../shared/corpus/fixtures`
//! parse, keep their digests, and pass the store's checks. Skipped loudly without the corpus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use boltseal::oci::{BlobReader, LayoutStore, Manifest, ManifestRef, RawManifest, Store};
use boltseal::reference::{Digest, media_type};

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn captured_manifests_parse_with_their_digests() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let fixtures = corpus.join("fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with("-manifest.json") && !name.ends_with("-manifest-2-signatures.json") {
            continue;
        }
        let bytes = read(&path);
        let expected = Digest::sha256_of(&bytes);
        let raw = RawManifest::from_untrusted(&name, bytes.into(), None, Some(&expected))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(raw.media_type(), media_type::OCI_MANIFEST, "{name}");
        let Manifest::Image(m) = raw.parse().unwrap() else {
            panic!("{name}: not an image manifest");
        };
        assert!(!m.layers.is_empty(), "{name}");
        if name.contains("sig-manifest") {
            for layer in &m.layers {
                assert_eq!(
                    layer.media_type,
                    media_type::COSIGN_SIMPLE_SIGNING,
                    "{name}"
                );
                assert!(
                    layer
                        .annotations
                        .contains_key("dev.cosignproject.cosign/signature"),
                    "{name}"
                );
            }
        }
        seen += 1;
    }
    assert!(
        seen >= 4,
        "only {seen} manifests found in {}",
        fixtures.display()
    );
}

#[tokio::test]
async fn umoci_manifest_without_media_type_round_trips_through_a_layout() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let fixtures = corpus.join("fixtures");
    let manifest = read(&fixtures.join("signed-image-manifest.json"));
    let config = read(&fixtures.join("signed-image-config.json"));
    let digest: Digest = "sha256:247ea4c63ff7b7feb545ec5895b368e5737235c6542c1cfa7b5b6800587e2149"
        .parse()
        .unwrap();
    let raw =
        RawManifest::from_untrusted("umoci", manifest.clone().into(), None, Some(&digest)).unwrap();
    let Manifest::Image(m) = raw.parse().unwrap() else {
        panic!("not an image");
    };
    assert!(m.media_type.is_none());
    assert_eq!(m.config.digest, Digest::sha256_of(&config));
    // Store the config (the layer is not part of the corpus) and check the blob round trip.
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path().join("l")).await.unwrap();
    let reader = BlobReader::new(
        "config",
        &m.config,
        Box::pin(std::io::Cursor::new(config.clone())),
    );
    store.put_blob(&m.config, reader).await.unwrap();
    let back = store
        .get_blob(&m.config)
        .await
        .unwrap()
        .read_to_vec(1 << 20)
        .await
        .unwrap();
    assert_eq!(back, config);
    // The manifest cannot be stored while its layer is missing.
    assert!(store.put_manifest(&raw, Some("v1")).await.is_err());
    assert!(store.resolve(&ManifestRef::Tag("v1".into())).await.is_err());
}
