//! Round trips between boltseal's descriptors, manifests and indexes and oci-spec's.
#![cfg(feature = "oci-spec")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_oci::reference::{Digest, media_type};
use boltseal_oci::{Descriptor, ImageIndex, ImageManifest, Platform};
use oci_spec::image as spec;

fn layer(n: u8) -> Descriptor {
    Descriptor::of_bytes(media_type::OCI_LAYER_TAR_GZIP, &[n; 3])
}

/// A manifest using every field both sides have.
fn full_manifest() -> ImageManifest {
    let mut m = ImageManifest::new(
        Descriptor::of_bytes(media_type::OCI_CONFIG, b"{}"),
        vec![
            layer(1).with_annotation("org.opencontainers.image.title", "a.tar.gz"),
            layer(2),
        ],
    );
    m.layers[1].urls = vec!["https://example.com/layer".to_owned()];
    m.artifact_type = Some("application/vnd.example+json".to_owned());
    m.subject = Some(Descriptor::of_bytes(media_type::OCI_MANIFEST, b"subject"));
    m.annotations.insert(
        "org.opencontainers.image.created".into(),
        "2024-01-01T00:00:00Z".into(),
    );
    m
}

fn platforms_index() -> ImageIndex {
    let arm: Platform = "linux/arm64/v8".parse().unwrap();
    let mut windows = Platform::linux_amd64();
    windows.os = "windows".into();
    windows.os_version = Some("10.0.17763.1234".into());
    // oci-spec's own table would turn `armbe` into `arm64be`: it must stay `armbe`.
    let armbe: Platform = "linux/armbe".parse().unwrap();
    let odd: Platform = "plan10/quantum/q1".parse().unwrap();
    let mut i = ImageIndex::new(
        [arm, windows, armbe, odd, Platform::linux_amd64()]
            .into_iter()
            .enumerate()
            .map(|(n, p)| {
                Descriptor::of_bytes(media_type::OCI_MANIFEST, &[n as u8]).with_platform(p)
            })
            .collect(),
    );
    i.annotations.insert("k".into(), "v".into());
    i.subject = Some(layer(9));
    i.artifact_type = Some("application/vnd.example.index".into());
    i
}

#[test]
fn manifest_round_trips_through_oci_spec() {
    let ours = full_manifest();
    let theirs = spec::ImageManifest::try_from(&ours).unwrap();
    assert_eq!(theirs.layers().len(), 2);
    assert_eq!(
        theirs.config().digest().to_string(),
        ours.config.digest.as_str()
    );
    assert_eq!(ImageManifest::try_from(&theirs).unwrap(), ours);
    // Both write the same JSON document.
    assert_eq!(
        serde_json::to_value(&theirs).unwrap(),
        serde_json::to_value(&ours).unwrap()
    );
}

#[test]
fn index_round_trips_with_its_platforms() {
    let ours = platforms_index();
    let theirs = spec::ImageIndex::try_from(&ours).unwrap();
    let archs: Vec<String> = theirs
        .manifests()
        .iter()
        .map(|d| d.platform().as_ref().unwrap().architecture().to_string())
        .collect();
    assert_eq!(archs, ["arm64", "amd64", "armbe", "quantum", "amd64"]);
    assert_eq!(ImageIndex::try_from(&theirs).unwrap(), ours);
    // The same JSON too, but for oci-spec 0.10's spelling of `os.version` (`os_version`).
    let mut plain = ours.clone();
    for d in &mut plain.manifests {
        d.platform.as_mut().unwrap().os_version = None;
    }
    assert_eq!(
        serde_json::to_value(spec::ImageIndex::try_from(&plain).unwrap()).unwrap(),
        serde_json::to_value(&plain).unwrap()
    );
}

#[test]
fn documents_read_by_oci_spec_convert_exactly() {
    // An index and a manifest as registries serve them, read by oci-spec first.
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":7,"platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}}]}}"#,
        media_type::OCI_INDEX,
        media_type::OCI_MANIFEST,
        Digest::sha256_of(b"x"),
    );
    let theirs: spec::ImageIndex = serde_json::from_str(&index).unwrap();
    let ours = ImageIndex::try_from(&theirs).unwrap();
    assert_eq!(
        ours.manifests[0].platform.as_ref().unwrap().to_string(),
        "linux/arm/v7"
    );
    assert_eq!(spec::ImageIndex::try_from(&ours).unwrap(), theirs);

    let manifest = serde_json::to_string(&full_manifest()).unwrap();
    let theirs: spec::ImageManifest = serde_json::from_str(&manifest).unwrap();
    let ours = ImageManifest::try_from(&theirs).unwrap();
    assert_eq!(ours, full_manifest());
    assert_eq!(spec::ImageManifest::try_from(&ours).unwrap(), theirs);
}

#[test]
fn digests_boltseal_does_not_accept_are_refused() {
    for digest in [
        "md5:d41d8cd98f00b204e9800998ecf8427e".to_owned(),
        format!("sha256:{}", "A".repeat(64)),
    ] {
        let json = format!(
            r#"{{"mediaType":"{}","digest":"{digest}","size":1}}"#,
            media_type::OCI_LAYER_TAR
        );
        let Ok(theirs) = serde_json::from_str::<spec::Descriptor>(&json) else {
            continue; // oci-spec refuses it already
        };
        let err = Descriptor::try_from(&theirs).unwrap_err();
        assert!(err.to_string().contains("oci-spec descriptor"), "{err}");
    }
}

#[test]
fn embedded_data_is_not_carried() {
    let json = format!(
        r#"{{"mediaType":"{}","digest":"{}","size":2,"data":"e30="}}"#,
        media_type::OCI_EMPTY,
        Digest::sha256_of(b"{}")
    );
    let theirs: spec::Descriptor = serde_json::from_str(&json).unwrap();
    let ours = Descriptor::try_from(&theirs).unwrap();
    assert_eq!(ours, Descriptor::of_bytes(media_type::OCI_EMPTY, b"{}"));
    let back = spec::Descriptor::try_from(&ours).unwrap();
    assert_eq!(back.data(), &None);
    assert_eq!(back.digest(), theirs.digest());
}

#[test]
fn captured_manifests_convert_to_what_boltseal_parses() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/fixtures");
    let Ok(entries) = std::fs::read_dir(&fixtures) else {
        eprintln!("SKIPPED: no shared corpus at {}", fixtures.display());
        return;
    };
    let mut seen = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains("-manifest") || !name.ends_with(".json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let raw = boltseal_oci::RawManifest::new(bytes.clone(), media_type::OCI_MANIFEST);
        let Ok(boltseal_oci::Manifest::Image(ours)) = raw.parse() else {
            continue;
        };
        let theirs: spec::ImageManifest = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{name}: oci-spec cannot read it: {e}"));
        assert_eq!(ImageManifest::try_from(&theirs).unwrap(), ours, "{name}");
        assert_eq!(
            spec::ImageManifest::try_from(&ours).unwrap(),
            theirs,
            "{name}"
        );
        seen += 1;
    }
    assert!(seen > 0, "no manifests in {}", fixtures.display());
}
