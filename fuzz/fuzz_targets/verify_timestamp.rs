//! Any bytes as an RFC 3161 timestamp response or token: CMS parsing and verification against
//! the public-good timestamp authority never panic and never accept.
#![no_main]

use std::sync::OnceLock;

use boltseal_verify::bundle::fuzzing;
use boltseal_verify::trust::TrustedRoot;
use libfuzzer_sys::fuzz_target;

fn trust() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(TrustedRoot::public_good)
}

fuzz_target!(|data: &[u8]| {
    fuzzing::timestamp(data, b"signature", trust());
});
