//! Go build info: executables never make the reader panic, and module text that parses is
//! written back in a form that parses to the same value.
#![no_main]

use boltseal_scan::formats::golang;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = golang::read_build_info(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(info) = golang::parse_modinfo("go1.22.0", text) else {
        return;
    };
    let again = golang::parse_modinfo("go1.22.0", &info.to_modinfo()).expect("written text parses");
    assert_eq!(again, info);
});
