//! Inputs found by the cargo-fuzz targets (`fuzz/fuzz_targets/scan_formats_*.rs`) that once
//! crashed a parser; each must now give a value or an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_scan::formats::{auditable, golang, java, object, rpm};

fn all(data: &[u8]) {
    let _ = object::detect(data);
    let _ = golang::read_build_info(data);
    let _ = auditable::read_auditable(data);
    let _ = rpm::read_rpmdb(data);
    let _ = java::read_java_archive(data);
}

/// ELF whose section header offset is near `usize::MAX`: adding a field offset overflowed.
#[test]
fn elf_section_header_offset_overflow() {
    let data = b"\x7f\x45\x4c\x46\x02\x01\x00\x5f\x5f\x5f\x5f\x5f\x5f\xe0\x5f\x5f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x5f\x06\xb9\x00\x00\x00\x00\x00\x00\x5f\x5f\x5f\x5f\x5f\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x5f\x5f\x00\x00\x00\x00\x00\x5f\x5f\x5f\x5f\x5f\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x43\x5f\x5f\x5f\x5f\x45\x4c\x46\x02\x01\x00";
    assert_eq!(golang::read_build_info(data), Ok(None));
    all(data);
}

/// Module text ending in a carriage return without a newline: the value written back must
/// keep it.
#[test]
fn modinfo_trailing_carriage_return_round_trips() {
    let data =
        b"\x4d\x0a\x0a\x64\x0a\x64\x65\x70\x09\x2e\x7f\x09\x25\x09\x0f\x65\x25\x70\x23\x17\x2c\x0d";
    let text = std::str::from_utf8(data).unwrap();
    let info = golang::parse_modinfo("go1.22.0", text).unwrap();
    let again = golang::parse_modinfo("go1.22.0", &info.to_modinfo()).unwrap();
    assert_eq!(again, info);
    all(data);
}
