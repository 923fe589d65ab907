//! Java archives: zips (nested ones included), manifests and .properties never make the
//! reader panic, and small limits hold.
#![no_main]

use boltseal_scan::formats::java;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = java::Limits::new()
        .max_depth(3)
        .max_total_bytes(8 << 20)
        .max_entry_bytes(4 << 20)
        .max_entries(10_000);
    if let Ok(recs) = java::read_java_archive_with(data, &limits) {
        assert!(recs.iter().all(|r| r.archive_path.len() <= 3));
    }
    let _ = java::parse_manifest(data);
    let _ = java::parse_properties(data);
});
