//! Regressions found by the cargo-fuzz targets (`fuzz/`), reduced by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_sbom::{CycloneDxVersion, Format, Purl, WriteOptions};

/// sbom_purl: an encoded `/` in a subpath segment decoded into a separator, so the canonical
/// form parsed to a different purl.
#[test]
fn encoded_slash_in_a_subpath_segment_is_refused() {
    assert!(
        "pkg:vcpkg/llvm@15.0.7?repository_url=file:%2F%2F%2FC:%2Flocal#%2Fvcpkg"
            .parse::<Purl>()
            .is_err()
    );
    let ok: Purl = "pkg:vcpkg/llvm@15.0.7#vcpkg/ports".parse().unwrap();
    assert_eq!(ok.to_string().parse::<Purl>().unwrap(), ok);
}

/// sbom_purl: a git name ending in `/` (or with an empty segment) printed a form that parsed
/// to another name.
#[test]
fn git_names_have_no_empty_segments() {
    let p: Purl = "pkg:git/host/a//b/@v1".parse().unwrap();
    assert_eq!(p.name(), "a/b");
    assert_eq!(p.to_string().parse::<Purl>().unwrap(), p);
    assert!("pkg:git/host/a%2Fb".parse::<Purl>().is_err());
    let built = Purl::builder("git", "a/b/")
        .namespace("host")
        .build()
        .unwrap();
    assert_eq!(built.name(), "a/b");
}

/// sbom_cyclonedx: a CycloneDX 1.7 document written as 1.6 went through the pruning path and
/// came out with sorted keys, so writing the read-back document gave other bytes.
#[test]
fn downgraded_output_is_stable_under_read_and_write() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.7","version":1,
      "serialNumber":"urn:uuid:not-a-uuid",
      "components":[{"type":"library","group":"g","name":"n","version":"1",
        "isExternal":true,
        "pedigree":{"ancestors":[{"type":"library","name":"a"}],
          "patches":[{"type":"unofficial","resolves":[]}]}}]}"#;
    let sbom = boltseal_sbom::cyclonedx::read(doc).unwrap();
    let opts = WriteOptions::new();
    let first = boltseal_sbom::cyclonedx::write(&sbom, CycloneDxVersion::V1_6, &opts).unwrap();
    assert!(
        first
            .report
            .notes
            .iter()
            .any(|n| n.message.contains("dropped"))
    );
    let back = boltseal_sbom::cyclonedx::read(&first.bytes).unwrap();
    assert_eq!(back.source, Some(Format::CycloneDx(CycloneDxVersion::V1_6)));
    let second = boltseal_sbom::cyclonedx::write(&back, CycloneDxVersion::V1_6, &opts).unwrap();
    assert_eq!(
        String::from_utf8(first.bytes).unwrap(),
        String::from_utf8(second.bytes).unwrap()
    );
}
