//! Any text as Cargo.lock: parsing never panics and every crate is named.
#![no_main]

use boltseal_scan::catalog::cargo::parse_lock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for c in parse_lock(&String::from_utf8_lossy(data)) {
        assert!(!c.name.is_empty());
    }
});
