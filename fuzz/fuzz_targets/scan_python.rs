//! Any text as Python METADATA and RECORD: parsing never panics, normalized names are
//! idempotent, RECORD digests are 64 hex characters.
#![no_main]

use boltseal_scan::catalog::python::{normalize, parse_metadata, parse_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let m = parse_metadata(&text);
    let n = normalize(&m.name);
    assert_eq!(normalize(&n), n);
    for (_, digest) in parse_record(&text) {
        if let Some(d) = digest {
            assert!(d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
});
