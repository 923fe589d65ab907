//! Any bytes as a layer blob (gzip, zstd or tar): reading never panics and stays within its
//! limits; the changes squash (twice, as two layers) into an index whose paths are all
//! normalized, and link resolution and the catalogers terminate on it.
#![no_main]

use boltseal_scan::{FileIndex, Limits, catalog, read_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut limits = Limits::default();
    limits.max_total_bytes = 16 << 20;
    limits.max_entries = 10_000;
    limits.max_file_bytes = 1 << 20;
    match read_layer(data, "fuzz", &limits) {
        Ok(changes) => {
            for (p, _) in &changes.entries {
                assert!(p.starts_with('/') && !p.contains("/../") && !p.ends_with("/.."), "{p}");
            }
            let again = read_layer(data, "fuzz", &limits).expect("deterministic");
            let index = FileIndex::squash([changes, again]);
            let paths: Vec<String> = index.iter().map(|(p, _)| p.to_owned()).collect();
            for p in paths.iter().take(64) {
                if let Some(r) = index.resolve(p) {
                    assert!(r.starts_with('/'));
                }
                let _ = index.read(p);
            }
            let _ = catalog::catalog(&index, false);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "two-line error: {e}"),
    }
});
