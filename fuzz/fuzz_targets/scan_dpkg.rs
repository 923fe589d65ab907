//! Any text as a dpkg status file or copyright file: parsing never panics, every entry has a
//! package name, and dependency names have no version constraint left in them.
#![no_main]

use boltseal_scan::catalog::dpkg::{parse_copyright, parse_status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for e in parse_status(&text) {
        assert!(!e.package.is_empty());
        for d in &e.depends {
            assert!(!d.is_empty() && !d.contains(['(', ',', '|', ' ']), "{d:?}");
        }
    }
    let licenses = parse_copyright(&text);
    let mut sorted = licenses.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, licenses);
});
