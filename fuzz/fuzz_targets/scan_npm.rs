//! Any bytes as package.json: parsing never panics, and every named package whose purl can
//! be built has one that parses back with the same name.
#![no_main]

use boltseal_scan::catalog::npm::{npm_purl, parse_package_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for m in parse_package_json(data) {
        if m.name.is_empty() {
            continue;
        }
        if let Some(p) = npm_purl(&m.name, &m.version) {
            let parsed: boltseal_sbom::Purl = p.parse().expect("own purl parses");
            assert_eq!(parsed.kind(), "npm");
        }
    }
});
