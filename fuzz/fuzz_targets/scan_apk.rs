//! Any text as an apk installed database: parsing never panics, every record is named and
//! every file path is absolute.
#![no_main]

use boltseal_scan::catalog::apk::parse_installed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for e in parse_installed(&String::from_utf8_lossy(data)) {
        assert!(!e.name.is_empty());
        for (path, sha1) in &e.files {
            assert!(path.starts_with('/'));
            if let Some(h) = sha1 {
                assert_eq!(h.len(), 40);
            }
        }
    }
});
