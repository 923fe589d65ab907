//! CycloneDX JSON reader and writer: any input that reads must write in its own version, read
//! back with as many components, and write to the same bytes again; validation never panics.
#![no_main]

use boltseal_sbom::{Format, WriteOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = boltseal_sbom::validate(data);
    let Ok(sbom) = boltseal_sbom::cyclonedx::read(data) else {
        return;
    };
    let Some(Format::CycloneDx(version)) = sbom.source else {
        panic!("a CycloneDX document records its version");
    };
    let opts = WriteOptions::new();
    let first =
        boltseal_sbom::cyclonedx::write(&sbom, version, &opts).expect("a read model writes");
    let back = boltseal_sbom::cyclonedx::read(&first.bytes).expect("written CycloneDX reads back");
    assert_eq!(back.packages.len(), sbom.packages.len());
    let second = boltseal_sbom::cyclonedx::write(&back, version, &opts).expect("writes again");
    assert_eq!(
        first.bytes, second.bytes,
        "writing is deterministic and stable"
    );
    let spdx = boltseal_sbom::write(&sbom, Format::Spdx(boltseal_sbom::SpdxVersion::V2_3), &opts)
        .expect("converts");
    let converted = boltseal_sbom::spdx::read(&spdx.bytes).expect("converted output reads");
    assert_eq!(converted.packages.len(), sbom.packages.len());
});
