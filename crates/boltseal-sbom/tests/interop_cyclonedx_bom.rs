//! Round trips between boltseal-sbom and `cyclonedx-bom` 0.8 (feature `cyclonedx-bom`).
#![cfg(feature = "cyclonedx-bom")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod interop_support;

use boltseal_sbom::Format;

use boltseal_sbom::interop::cyclonedx_bom::{from_bom, to_bom};
use interop_support::{CYCLONEDX_1_5, CYCLONEDX_1_6, facts, relationships};

#[test]
fn sbom_to_bom_and_back_keeps_packages_licenses_hashes_and_dependencies() {
    let sbom = boltseal_sbom::read(CYCLONEDX_1_5.as_bytes()).unwrap();
    let (bom, report) = to_bom(&sbom).unwrap();
    assert!(report.is_empty(), "{report}");
    assert_eq!(bom.components.as_ref().unwrap().0.len(), 2);
    let back = from_bom(bom).unwrap();
    assert_eq!(facts(&back), facts(&sbom));
    assert_eq!(relationships(&back), relationships(&sbom));
    assert_eq!(back.document.namespace, sbom.document.namespace);
}

#[test]
fn bom_to_sbom_and_back_is_the_same_bom() {
    let bom =
        cyclonedx_bom::models::bom::Bom::parse_from_json_v1_5(CYCLONEDX_1_5.as_bytes()).unwrap();
    let sbom = from_bom(bom.clone()).unwrap();
    let (again, report) = to_bom(&sbom).unwrap();
    assert!(report.is_empty(), "{report}");
    assert_eq!(again.components, bom.components);
    assert_eq!(again.dependencies, bom.dependencies);
    assert_eq!(again.serial_number, bom.serial_number);
}

#[test]
fn what_cyclonedx_1_5_cannot_hold_is_reported() {
    let sbom = boltseal_sbom::read(CYCLONEDX_1_6.as_bytes()).unwrap();
    let (bom, report) = to_bom(&sbom).unwrap();
    let notes = report.to_string();
    assert!(notes.contains("x-vendor"), "{notes}");
    assert!(notes.contains("manufacturer"), "{notes}");
    // Packages, purls, versions, licenses and hashes still arrive.
    let back = from_bom(bom).unwrap();
    assert_eq!(facts(&back), facts(&sbom));
    assert_eq!(relationships(&back), relationships(&sbom));
}

#[test]
fn an_spdx_document_reaches_cyclonedx_bom_mapped() {
    let sbom = boltseal_sbom::read(interop_support::SPDX_2_3.as_bytes()).unwrap();
    let (bom, _report) = to_bom(&sbom).unwrap();
    let back = from_bom(bom).unwrap();
    interop_support::assert_mapped(&back, &sbom);
}

/// Real generator output (syft, cdxgen): what boltseal's own writer keeps of packages, purls,
/// versions, licenses, checksums and dependencies in this format also survives the trip
/// through the peer and back.
#[test]
fn generator_outputs_keep_their_facts() {
    interop_support::assert_generator_outputs_survive(
        Format::CycloneDx(boltseal_sbom::CycloneDxVersion::V1_5),
        |s| from_bom(to_bom(s)?.0),
    );
}
