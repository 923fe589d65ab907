//! Any UTF-8 input: parsing never panics, an accepted reference's written forms parse back and
//! its repository path is at most 255 bytes, and only an input of exactly 64 lowercase hex
//! digits is refused as an image ID.
#![no_main]

use boltseal_reference::{Reference, ReferenceError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match Reference::parse(s) {
        Ok(r) => {
            assert!(r.repository().len() <= 255, "{s:?}");
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
            if matches!(e, ReferenceError::NameIsDigest { .. }) {
                let hex = |b: u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
                assert!(s.len() == 64 && s.bytes().all(hex), "{s:?}: {e}");
            }
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
