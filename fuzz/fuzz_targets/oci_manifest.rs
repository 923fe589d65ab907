//! Untrusted manifest bytes (as a registry or layout serves them): never panic; whatever is
//! accepted parses, and its typed view re-serializes into bytes that are accepted again.
#![no_main]

use boltseal_oci::{Manifest, RawManifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<String>, Vec<u8>)| {
    let (media_type, bytes) = input;
    let Ok(raw) = RawManifest::from_untrusted("fuzz", bytes.into(), media_type.as_deref(), None)
    else {
        return;
    };
    let parsed = raw.parse().expect("from_untrusted checked that it parses");
    let again = match &parsed {
        Manifest::Image(m) => m.to_raw(),
        Manifest::Index(i) => i.to_raw(),
        _ => return,
    }
    .expect("serializes");
    let back = RawManifest::from_untrusted("again", again.bytes().clone(), None, None)
        .expect("our own output is accepted");
    assert_eq!(back.parse().expect("parses"), parsed);
});
