//! Any text as a registry's `Link` header: finding the next page never panics, and the target
//! found is a part of the header between `<` and `>`.
#![no_main]

use boltseal_oci::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Some(target) = fuzzing::next_link(s) {
        assert!(!target.contains('>'));
        assert!(s.contains(&format!("<{target}")));
    }
});
