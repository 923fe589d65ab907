//! Any UTF-8 input: parsing never panics, and an accepted reference's written forms parse back.
#![no_main]

use boltseal_reference::Reference;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match Reference::parse(s) {
        Ok(r) => {
            let display = r.to_string();
            let again = Reference::parse(&display)
                .unwrap_or_else(|e| panic!("display {display:?} of {s:?} does not parse: {e}"));
            assert_eq!(
                again, r,
                "display {display:?} of {s:?} parses to another reference"
            );
            let familiar = r.familiar();
            let again = Reference::parse(&familiar)
                .unwrap_or_else(|e| panic!("familiar {familiar:?} of {s:?} does not parse: {e}"));
            assert_eq!(
                again, r,
                "familiar {familiar:?} of {s:?} parses to another reference"
            );
            let normalized = r.normalized();
            let n = Reference::parse(&normalized).unwrap_or_else(|e| {
                panic!("normalized {normalized:?} of {s:?} does not parse: {e}")
            });
            assert_eq!(n.repository_name(), r.repository_name());
            assert_eq!(n.digest(), r.digest());
        }
        Err(e) => {
            if let Some(offset) = e.offset() {
                assert!(
                    offset <= s.len() && s.is_char_boundary(offset),
                    "{s:?}: {e:?}"
                );
            }
            let _ = e.to_string();
        }
    }
});
