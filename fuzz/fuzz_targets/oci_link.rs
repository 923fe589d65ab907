//! Any text as a registry's `Link` header: finding the next page never panics, and the target
//! found is a part of the header between `<` and `>`, without white space or controls.
#![no_main]

use boltseal_oci::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Some(target) = fuzzing::next_link(s) {
        assert!(!target.contains('>'));
        assert!(!target.chars().any(|c| c.is_whitespace() || c.is_control()));
        assert!(s.contains(&format!("<{target}>")));
    }
});
