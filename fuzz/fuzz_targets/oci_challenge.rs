//! Any text as a registry's `WWW-Authenticate` challenge: parsing never panics; a parsed
//! challenge has a non-empty lower-case scheme and lower-case parameter names.
#![no_main]

use boltseal_oci::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Some((scheme, params)) = fuzzing::parse_challenge(s) {
        assert!(!scheme.is_empty());
        assert_eq!(scheme, scheme.to_ascii_lowercase());
        for key in params.keys() {
            assert_eq!(*key, key.to_ascii_lowercase());
        }
    }
    // The text error messages carry of it is one line and short.
    let shown = fuzzing::untrusted_text(s);
    assert!(!shown.chars().any(char::is_control));
    assert!(shown.chars().count() <= 320);
});
