//! Any text as os-release: parsing never panics and a detected distribution has an ID.
#![no_main]

use boltseal_scan::Distro;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(d) = Distro::parse(&String::from_utf8_lossy(data)) {
        assert!(!d.id.is_empty());
        assert!(d.purl_qualifier().is_some_and(|q| q.starts_with(&d.id)));
    }
});
