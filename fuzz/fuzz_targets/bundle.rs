//! Any bytes: Sigstore bundle parsing never panics, and an accepted bundle re-serializes to bytes
//! that parse to an equal bundle (and serialize identically again).
#![no_main]

use boltseal_envelope::bundle::{Bundle, RekorBundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::parse(data) {
        let bytes = bundle.to_bytes();
        let again = Bundle::parse(&bytes)
            .unwrap_or_else(|e| panic!("re-serialized bundle does not parse: {e}"));
        assert_eq!(again, bundle);
        assert_eq!(again.to_bytes(), bytes);
    }
    if let Ok(annotation) = RekorBundle::parse(data) {
        let again = RekorBundle::parse(&annotation.to_bytes())
            .unwrap_or_else(|e| panic!("re-serialized Rekor bundle does not parse: {e}"));
        assert_eq!(again, annotation);
        let _ = annotation.payload.canonical_bytes();
    }
});
