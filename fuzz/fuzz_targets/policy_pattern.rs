//! The validate pattern matcher and the wildcard matcher: any resource against any pattern
//! (two YAML documents) ends with an answer, never a panic or a blow-up; a wildcard with no
//! `*`/`?` matches only itself.
#![no_main]

use boltseal_policy::{pattern, wildcard, yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((p, t)) = text.split_once('\u{0}') {
        let m = wildcard::matches(p, t);
        if !wildcard::has_wildcard(p) {
            assert_eq!(m, p == t);
        }
        if p == "*" {
            assert!(m);
        }
    }
    let Ok(docs) = yaml::documents(text) else {
        return;
    };
    if let [resource, pattern, ..] = docs.as_slice() {
        let _ = pattern::validate(resource, pattern);
        let _ = pattern::validate(pattern, resource);
    }
});
