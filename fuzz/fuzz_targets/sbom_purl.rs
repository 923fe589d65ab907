//! Package URLs: whatever parses prints a canonical form that parses to the same value.
#![no_main]

use boltseal_sbom::Purl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = s.parse::<Purl>() else {
        return;
    };
    let canonical = p.to_string();
    let again: Purl = canonical.parse().expect("the canonical form parses");
    assert_eq!(again, p);
    assert_eq!(again.to_string(), canonical);
});
