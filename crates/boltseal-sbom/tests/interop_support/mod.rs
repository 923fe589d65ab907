//! Documents and comparisons shared by the interop round-trip tests.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use boltseal_sbom::{Format, LicenseValue, Sbom, WriteOptions};

/// Two packages with purls, versions, licenses and hashes, a dependency and the image.
pub(crate) const CYCLONEDX_1_5: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
  "serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "metadata":{"timestamp":"2026-01-01T00:00:00Z",
    "component":{"type":"container","bom-ref":"image","name":"alpine","version":"3.20"}},
  "components":[
    {"type":"library","bom-ref":"musl","name":"musl","version":"1.2.5-r0",
     "purl":"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64",
     "hashes":[{"alg":"SHA-256","content":"a6a7f9d1f1b7e3a8b0c5d1f2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2"}],
     "licenses":[{"license":{"id":"MIT"}}]},
    {"type":"library","bom-ref":"zlib","name":"zlib","version":"1.3.1-r1",
     "purl":"pkg:apk/alpine/zlib@1.3.1-r1?arch=x86_64",
     "licenses":[{"expression":"Zlib OR MIT"}]}],
  "dependencies":[{"ref":"image","dependsOn":["musl","zlib"]},{"ref":"musl","dependsOn":["zlib"]},
    {"ref":"zlib","dependsOn":[]}]}"#;

/// As [`CYCLONEDX_1_5`] in 1.6, with fields CycloneDX 1.5 has no place for.
pub(crate) const CYCLONEDX_1_6: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
  "serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "metadata":{"timestamp":"2026-01-01T00:00:00Z",
    "component":{"type":"container","bom-ref":"image","name":"alpine","version":"3.20"}},
  "components":[
    {"type":"library","bom-ref":"musl","name":"musl","version":"1.2.5-r0",
     "purl":"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64","manufacturer":{"name":"musl libc"},
     "hashes":[{"alg":"SHA-256","content":"a6a7f9d1f1b7e3a8b0c5d1f2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2"}],
     "licenses":[{"license":{"id":"MIT"}}],"x-vendor":{"kept":true}},
    {"type":"library","bom-ref":"zlib","name":"zlib","version":"1.3.1-r1",
     "purl":"pkg:apk/alpine/zlib@1.3.1-r1?arch=x86_64",
     "licenses":[{"expression":"Zlib OR MIT"}]}],
  "dependencies":[{"ref":"image","dependsOn":["musl","zlib"]},{"ref":"musl","dependsOn":["zlib"]},
    {"ref":"zlib","dependsOn":[]}]}"#;

/// Two packages with purls, versions, declared and concluded licenses, checksums and a
/// dependency, and a field SPDX does not define.
pub(crate) const SPDX_2_3: &str = r#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0",
  "SPDXID":"SPDXRef-DOCUMENT","name":"alpine",
  "documentNamespace":"https://example.com/spdxdocs/alpine-3e671687-395b-41f5-a30f-a58921a69b79",
  "creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: boltseal-test"]},
  "packages":[
    {"SPDXID":"SPDXRef-Package-musl","name":"musl","versionInfo":"1.2.5-r0",
     "downloadLocation":"NOASSERTION","licenseConcluded":"MIT","licenseDeclared":"MIT",
     "checksums":[{"algorithm":"SHA256","checksumValue":"a6a7f9d1f1b7e3a8b0c5d1f2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2"}],
     "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
       "referenceLocator":"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64"}],
     "primaryPackagePurpose":"LIBRARY","x-vendor":{"kept":true}},
    {"SPDXID":"SPDXRef-Package-zlib","name":"zlib","versionInfo":"1.3.1-r1",
     "downloadLocation":"NOASSERTION","licenseDeclared":"Zlib OR MIT",
     "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
       "referenceLocator":"pkg:apk/alpine/zlib@1.3.1-r1?arch=x86_64"}],
     "primaryPackagePurpose":"LIBRARY"}],
  "relationships":[
    {"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-Package-musl"},
    {"spdxElementId":"SPDXRef-Package-musl","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-Package-zlib"}]}"#;

/// Each package's name, version, purl, license values and checksums, sorted.
pub(crate) fn facts(sbom: &Sbom) -> Vec<String> {
    let mut out: Vec<String> = sbom
        .packages
        .iter()
        .map(|p| {
            let mut licenses: Vec<String> = p
                .licenses
                .iter()
                .map(|l| match &l.value {
                    LicenseValue::Expression(s) | LicenseValue::Id(s) | LicenseValue::Name(s) => {
                        s.clone()
                    }
                    _ => String::new(),
                })
                .collect();
            licenses.sort();
            licenses.dedup();
            let mut sums: Vec<String> = p
                .checksums
                .iter()
                .map(|c| format!("{}:{}", c.algorithm.spdx_name(), c.value))
                .collect();
            sums.sort();
            format!(
                "{} {:?} {:?} {licenses:?} {sums:?}",
                p.name, p.version, p.purl
            )
        })
        .collect();
    out.sort();
    out
}

/// Relationships between packages, by package name (ids may be re-keyed between formats).
pub(crate) fn relationships(sbom: &Sbom) -> Vec<(String, String, String)> {
    let name = |id: &str| {
        sbom.packages
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let mut out: Vec<(String, String, String)> = sbom
        .relationships
        .iter()
        .filter(|r| r.kind.as_str() == "DEPENDS_ON")
        .filter(|r| r.to != "NONE")
        .map(|r| (name(&r.from), r.kind.as_str().to_owned(), name(&r.to)))
        .collect();
    out.sort();
    out
}

/// The generator outputs of the shared corpus (syft, cdxgen; gzip-compressed ones
/// decompressed), when the corpus is present.
pub(crate) fn generator_outputs() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = boltseal_test_support::corpus("fixtures/sbom") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let bytes = if name.ends_with(".gz") {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                .unwrap();
            plain
        } else {
            bytes
        };
        out.push((name, bytes));
    }
    out.sort();
    out
}

/// Each generator output through `trip` (to a peer and back) keeps what boltseal's own writer
/// keeps of it in `format`: the same package facts and relationships.
pub(crate) fn assert_generator_outputs_survive(
    format: Format,
    trip: impl Fn(&Sbom) -> Result<Sbom, boltseal_sbom::interop::InteropError>,
) {
    for (name, bytes) in generator_outputs() {
        let sbom = boltseal_sbom::read(&bytes).unwrap();
        let back = trip(&sbom).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = boltseal_sbom::write(&sbom, format, &WriteOptions::new()).unwrap();
        let ours = boltseal_sbom::read(&written.bytes).unwrap();
        assert!(facts(&back) == facts(&ours), "{name}: packages differ");
        assert!(
            relationships(&back) == relationships(&ours),
            "{name}: relationships differ"
        );
    }
}

/// After a conversion from the other family, the packages are all there and musl still
/// depends on zlib.
pub(crate) fn assert_mapped(back: &Sbom, sbom: &Sbom) {
    assert_eq!(facts(back), facts(sbom));
    let edge = (
        "musl".to_owned(),
        "DEPENDS_ON".to_owned(),
        "zlib".to_owned(),
    );
    assert!(relationships(back).contains(&edge));
}
