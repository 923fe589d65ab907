//! rpmdb containers (SQLite, Berkeley DB hash, NDB) and RPM header blobs: any input gives a
//! value or an error, never a panic; decoded packages are self-consistent.
#![no_main]

use boltseal_scan::formats::rpm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pkgs) = rpm::read_rpmdb(data) {
        assert!(pkgs.len() <= rpm::MAX_PACKAGES);
        for p in &pkgs {
            let _ = p.evr();
        }
    }
    if let Ok(c) = rpm::read_rpmdb_lenient(data) {
        assert!(c.packages.len() + c.bad_headers.len() <= rpm::MAX_PACKAGES);
    }
    if let Ok(p) = rpm::parse_header(data) {
        assert!(p.files.len() <= rpm::MAX_FILES);
    }
});
