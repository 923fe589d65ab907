//! The Kubernetes manifest scanner on arbitrary text: never panics; every image span holds
//! exactly the image; pinning rescans to the same references with no other byte changed;
//! pinning again changes nothing.
#![no_main]

use boltseal_pin::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "pin_common.rs"]
mod pin_common;

fuzz_target!(|text: &str| {
    pin_common::check(FileKind::Kubernetes, text);
});
