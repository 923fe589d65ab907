//! Image locations and platforms as users type them: never panic; accepted layout locations
//! display back to themselves.
#![no_main]

use boltseal_oci::{ImageLocation, Platform};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(l) = ImageLocation::parse(s) {
        if matches!(l, ImageLocation::Layout { .. }) {
            let shown = l.to_string();
            assert_eq!(ImageLocation::parse(&shown).expect("re-parses"), l);
        }
    }
    if let Ok(p) = s.parse::<Platform>() {
        assert_eq!(p.to_string().parse::<Platform>().expect("re-parses"), p);
    }
});
