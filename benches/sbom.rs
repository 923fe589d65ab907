//! SBOM parse + write: boltseal-sbom against `serde_json::Value`, `cyclonedx-bom` (CycloneDX
//! 1.5) and `spdx-rs` (SPDX 2.3), in the same run, on generated documents shaped like a
//! container-image SBOM: 20,000 components (hashes, a license, purl, CPE, an external reference,
//! four properties) with 20,000 dependency entries; and 20,000 SPDX packages with checksums,
//! external references and relationships.
//!
//! Each benchmark parses the document from bytes and writes it back to compact JSON bytes.
//! Divan's allocation profiler reports the allocations and, as "max alloc", the peak of live
//! heap bytes during one iteration (peak memory).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::LazyLock;

use boltseal::sbom::{CycloneDxVersion, WriteOptions};
use divan::AllocProfiler;
use divan::counter::BytesCount;
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

const COMPONENTS: usize = 20_000;

fn hex(seed: usize, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut x = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("{x:016x}"));
    }
    out.truncate(len);
    out
}

/// A CycloneDX 1.5 document with `COMPONENTS` library components.
static CYCLONEDX: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut components = Vec::with_capacity(COMPONENTS);
    let mut dependencies = Vec::with_capacity(COMPONENTS);
    for i in 0..COMPONENTS {
        let name = format!("lib{i}");
        let version = format!("1.{}.{}", i % 17, i % 5);
        let purl = format!("pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12");
        components.push(json!({
            "bom-ref": purl,
            "type": "library",
            "publisher": "Debian Maintainers",
            "name": name,
            "version": version,
            "description": "a generated package for the benchmark",
            "hashes": [
                {"alg": "SHA-1", "content": hex(i, 40)},
                {"alg": "SHA-256", "content": hex(i + 1, 64)}
            ],
            "licenses": [{"license": {"id": if i % 2 == 0 { "MIT" } else { "Apache-2.0" }}}],
            "cpe": format!("cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*"),
            "purl": purl,
            "externalReferences": [
                {"type": "website", "url": format!("https://example.com/{name}")}
            ],
            "properties": [
                {"name": "syft:package:foundBy", "value": "dpkg-db-cataloger"},
                {"name": "syft:package:type", "value": "deb"},
                {"name": "syft:package:metadataType", "value": "dpkg-db-entry"},
                {"name": "syft:location:0:path", "value": "/var/lib/dpkg/status"}
            ]
        }));
        let dep = (i + 1) % COMPONENTS;
        dependencies.push(json!({
            "ref": purl,
            "dependsOn": [format!(
                "pkg:deb/debian/lib{dep}@1.{}.{}?arch=amd64&distro=debian-12",
                dep % 17,
                dep % 5
            )]
        }));
    }
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "tools": {"components": [{"type": "application", "name": "syft", "version": "1.18.1"}]},
            "component": {"bom-ref": "image", "type": "container", "name": "debian", "version": "12"}
        },
        "components": components,
        "dependencies": dependencies,
    });
    serde_json::to_vec(&doc).unwrap()
});

/// An SPDX 2.3 document with `COMPONENTS` packages.
static SPDX: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut packages = Vec::with_capacity(COMPONENTS);
    let mut relationships = Vec::with_capacity(COMPONENTS + 1);
    relationships.push(json!({
        "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Package-0"
    }));
    for i in 0..COMPONENTS {
        let name = format!("lib{i}");
        let version = format!("1.{}.{}", i % 17, i % 5);
        packages.push(json!({
            "SPDXID": format!("SPDXRef-Package-{i}"),
            "name": name,
            "versionInfo": version,
            "supplier": "Organization: Debian Maintainers",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": if i % 2 == 0 { "MIT" } else { "Apache-2.0 OR MIT" },
            "copyrightText": "NOASSERTION",
            "sourceInfo": "acquired package info from DPKG DB: /var/lib/dpkg/status",
            "checksums": [{"algorithm": "SHA256", "checksumValue": hex(i, 64)}],
            "externalRefs": [
                {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                 "referenceLocator": format!("cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*")},
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": format!("pkg:deb/debian/{name}@{version}?arch=amd64")}
            ]
        }));
        if i > 0 {
            relationships.push(json!({
                "spdxElementId": format!("SPDXRef-Package-{i}"),
                "relationshipType": "DEPENDENCY_OF",
                "relatedSpdxElement": "SPDXRef-Package-0"
            }));
        }
    }
    let doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "debian:12",
        "documentNamespace": "https://example.com/spdxdocs/debian-12-3e671687",
        "creationInfo": {
            "licenseListVersion": "3.25",
            "creators": ["Organization: Anchore, Inc", "Tool: syft-1.18.1"],
            "created": "2026-01-01T00:00:00Z"
        },
        "packages": packages,
        "relationships": relationships,
    });
    serde_json::to_vec(&doc).unwrap()
});

#[divan::bench_group(sample_count = 10, sample_size = 1)]
mod cyclonedx_20k {
    use super::*;

    #[divan::bench]
    fn boltseal(b: divan::Bencher<'_, '_>) {
        let input = &*CYCLONEDX;
        let opts = WriteOptions::new();
        b.counter(BytesCount::new(input.len())).bench(|| {
            let sbom = boltseal::sbom::cyclonedx::read(black_box(input)).unwrap();
            boltseal::sbom::cyclonedx::write(&sbom, CycloneDxVersion::V1_5, &opts)
                .unwrap()
                .bytes
        });
    }

    #[divan::bench]
    fn serde_json_value(b: divan::Bencher<'_, '_>) {
        let input = &*CYCLONEDX;
        b.counter(BytesCount::new(input.len())).bench(|| {
            let v: Value = serde_json::from_slice(black_box(input)).unwrap();
            serde_json::to_vec(&v).unwrap()
        });
    }

    #[divan::bench]
    fn cyclonedx_bom(b: divan::Bencher<'_, '_>) {
        let input = &*CYCLONEDX;
        b.counter(BytesCount::new(input.len())).bench(|| {
            let bom =
                cyclonedx_bom::prelude::Bom::parse_from_json_v1_5(black_box(&input[..])).unwrap();
            let mut out = Vec::with_capacity(input.len());
            bom.output_as_json_v1_5(&mut out).unwrap();
            out
        });
    }
}

#[divan::bench_group(sample_count = 10, sample_size = 1)]
mod spdx_20k {
    use super::*;

    #[divan::bench]
    fn boltseal(b: divan::Bencher<'_, '_>) {
        let input = &*SPDX;
        let opts = WriteOptions::new();
        b.counter(BytesCount::new(input.len())).bench(|| {
            let sbom = boltseal::sbom::spdx::read(black_box(input)).unwrap();
            boltseal::sbom::spdx::write(&sbom, &opts).unwrap().bytes
        });
    }

    #[divan::bench]
    fn serde_json_value(b: divan::Bencher<'_, '_>) {
        let input = &*SPDX;
        b.counter(BytesCount::new(input.len())).bench(|| {
            let v: Value = serde_json::from_slice(black_box(input)).unwrap();
            serde_json::to_vec(&v).unwrap()
        });
    }

    #[divan::bench]
    fn spdx_rs(b: divan::Bencher<'_, '_>) {
        let input = &*SPDX;
        b.counter(BytesCount::new(input.len())).bench(|| {
            let doc: spdx_rs::models::SPDX = serde_json::from_slice(black_box(input)).unwrap();
            serde_json::to_vec(&doc).unwrap()
        });
    }
}
