//! cargo auditable data: executables, zlib sections and JSON never make the reader panic, and
//! every dependency index of an accepted list is in range.
#![no_main]

use boltseal_scan::formats::auditable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = auditable::read_auditable(data);
    let _ = auditable::parse_dep_v0(data);
    if let Ok(pkgs) = auditable::parse_json(data) {
        for p in &pkgs {
            assert!(p.dependencies.iter().all(|&d| d < pkgs.len()));
        }
    }
});
