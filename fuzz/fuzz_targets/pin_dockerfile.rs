//! The Dockerfile scanner on arbitrary text: never panics; every reference span holds exactly
//! the reference; pinning every reference rescans to the same references, pinned, with no
//! other byte changed; pinning again changes nothing.
#![no_main]

use boltseal_pin::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "pin_common.rs"]
mod pin_common;

fuzz_target!(|text: &str| {
    pin_common::check(FileKind::Dockerfile, text);
});
