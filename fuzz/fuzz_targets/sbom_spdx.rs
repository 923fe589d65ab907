//! SPDX JSON reader and writer: any input that reads must write, read back to the same model,
//! and write to the same bytes again; validation never panics.
#![no_main]

use boltseal_sbom::WriteOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = boltseal_sbom::validate(data);
    let Ok(sbom) = boltseal_sbom::spdx::read(data) else {
        return;
    };
    let opts = WriteOptions::new();
    let first = boltseal_sbom::spdx::write(&sbom, &opts).expect("a read model writes");
    let back = boltseal_sbom::spdx::read(&first.bytes).expect("written SPDX reads back");
    assert_eq!(back.packages.len(), sbom.packages.len());
    assert_eq!(back.files.len(), sbom.files.len());
    let second = boltseal_sbom::spdx::write(&back, &opts).expect("writes again");
    assert_eq!(
        first.bytes, second.bytes,
        "writing is deterministic and stable"
    );
    // Conversion never panics and never loses a package.
    let cdx = boltseal_sbom::write(
        &sbom,
        boltseal_sbom::Format::CycloneDx(boltseal_sbom::CycloneDxVersion::V1_6),
        &opts,
    )
    .expect("converts");
    let converted = boltseal_sbom::cyclonedx::read(&cdx.bytes).expect("converted output reads");
    assert_eq!(
        converted.packages.len(),
        sbom.packages.len() + sbom.files.len()
    );
});
