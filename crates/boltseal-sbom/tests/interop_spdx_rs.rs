//! Round trips between boltseal-sbom and `spdx-rs` 0.5 (feature `spdx-rs`).
#![cfg(feature = "spdx-rs")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod interop_support;

use boltseal_sbom::Format;

use boltseal_sbom::interop::spdx_rs::{from_spdx, to_spdx};
use interop_support::{CYCLONEDX_1_5, SPDX_2_3, facts, relationships};

#[test]
fn sbom_to_spdx_rs_and_back_keeps_packages_licenses_checksums_and_relationships() {
    let sbom = boltseal_sbom::read(SPDX_2_3.as_bytes()).unwrap();
    let (spdx, report) = to_spdx(&sbom).unwrap();
    let notes = report.to_string();
    assert!(notes.contains("x-vendor"), "{notes}");
    assert_eq!(spdx.package_information.len(), 2);
    let back = from_spdx(&spdx).unwrap();
    assert_eq!(facts(&back), facts(&sbom));
    assert_eq!(relationships(&back), relationships(&sbom));
    assert_eq!(back.document.namespace, sbom.document.namespace);
    assert_eq!(back.document.created, sbom.document.created);
}

#[test]
fn spdx_rs_to_sbom_and_back_is_the_same_document() {
    let mut json: serde_json::Value = serde_json::from_str(SPDX_2_3).unwrap();
    json["packages"][0]
        .as_object_mut()
        .unwrap()
        .remove("x-vendor");
    let spdx: spdx_rs::models::SPDX = serde_json::from_value(json).unwrap();
    let sbom = from_spdx(&spdx).unwrap();
    let (again, report) = to_spdx(&sbom).unwrap();
    assert!(report.is_empty(), "{report}");
    assert_eq!(again.package_information, spdx.package_information);
    assert_eq!(again.relationships, spdx.relationships);
    assert_eq!(
        again.document_creation_information.spdx_document_namespace,
        spdx.document_creation_information.spdx_document_namespace
    );
}

#[test]
fn a_cyclonedx_document_reaches_spdx_rs_mapped() {
    let sbom = boltseal_sbom::read(CYCLONEDX_1_5.as_bytes()).unwrap();
    let (spdx, _report) = to_spdx(&sbom).unwrap();
    let back = from_spdx(&spdx).unwrap();
    interop_support::assert_mapped(&back, &sbom);
}

/// Real generator output (syft, cdxgen): what boltseal's own writer keeps of packages, purls,
/// versions, licenses, checksums and dependencies in this format also survives the trip
/// through the peer and back.
#[test]
fn generator_outputs_keep_their_facts() {
    interop_support::assert_generator_outputs_survive(
        Format::Spdx(boltseal_sbom::SpdxVersion::V2_3),
        |s| from_spdx(&to_spdx(s)?.0),
    );
}
