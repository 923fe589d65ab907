//! Any bytes: simple-signing parsing never panics, and an accepted payload's cosign bytes parse
//! to an equal payload and are a fixed point of parse → write. (This workspace enables serde_json's
//! `float_roundtrip`, so floats in `optional` survive Go's shortest formatting exactly.)
#![no_main]

use boltseal_envelope::simple_signing::SimpleSigning;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = SimpleSigning::parse(data) else {
        return;
    };
    let bytes = payload.to_bytes();
    let again = SimpleSigning::parse(&bytes)
        .unwrap_or_else(|e| panic!("written payload does not parse: {e}"));
    assert_eq!(again, payload);
    assert_eq!(again.to_bytes(), bytes);
});
