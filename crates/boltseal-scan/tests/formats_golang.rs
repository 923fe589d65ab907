//! Go build info: synthetic executables in both header formats, and a real Go binary (syft)
//! checked against syft's own reading of itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod formats_common;

use boltseal_scan::formats::golang::{BuildInfo, GoBuildInfoError, GoModule, read_build_info};
use boltseal_scan::formats::object::BinaryFormat;
use formats_common::{elf64, macho64, pe64, sec};

const MODINFO: &str = "path\texample.com/app/cmd/app\nmod\texample.com/app\t(devel)\t\n\
dep\tgithub.com/a/b\tv1.2.3\th1:abc=\n\
dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n=>\tgolang.org/x/sys\tv0.2.0\th1:ghi=\n\
build\t-ldflags=\"-s -w -X main.version=1.0.0\"\nbuild\tGOOS=linux\nbuild\tGOARCH=arm64\n\
build\tvcs.revision=0123456789abcdef\n";

fn uvarint(mut v: usize, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn wrapped(modinfo: &str) -> Vec<u8> {
    let mut m = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
    m.extend_from_slice(modinfo.as_bytes());
    m.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
    m
}

/// The build info of `executable`, checked ([`check`]) and read from the `format` expected.
fn check_in(executable: &[u8], format: BinaryFormat) -> BuildInfo {
    let info = read_build_info(executable).unwrap().unwrap();
    check(&info);
    assert_eq!(info.format, Some(format));
    info
}

fn check(info: &BuildInfo) {
    assert_eq!(info.go_version, "go1.21.4");
    assert_eq!(info.path, "example.com/app/cmd/app");
    assert_eq!(info.main, Some(GoModule::new("example.com/app", "(devel)")));
    assert_eq!(info.deps.len(), 2);
    assert_eq!(info.deps[0].sum, "h1:abc=");
    let r = info.deps[1].replace.as_deref().unwrap();
    assert_eq!(
        (r.path.as_str(), r.version.as_str()),
        ("golang.org/x/sys", "v0.2.0")
    );
    assert_eq!(
        info.setting("-ldflags"),
        Some("-s -w -X main.version=1.0.0")
    );
    assert_eq!(info.setting("GOARCH"), Some("arm64"));
    assert_eq!(info.setting("vcs.revision"), Some("0123456789abcdef"));
}

#[test]
fn inline_strings_format() {
    let mut blob = b"\xff Go buildinf:\x08\x02".to_vec();
    blob.resize(32, 0);
    uvarint(8, &mut blob);
    blob.extend_from_slice(b"go1.21.4");
    let m = wrapped(MODINFO);
    uvarint(m.len(), &mut blob);
    blob.extend_from_slice(&m);
    let elf = elf64(&[
        sec(".text", 0x40_0000, &[0x90; 64]),
        sec(".go.buildinfo", 0x50_0000, &blob),
    ]);
    let info = check_in(&elf, BinaryFormat::Elf);
    // The module text written back parses to the same value.
    let again =
        boltseal_scan::formats::golang::parse_modinfo("go1.21.4", &info.to_modinfo()).unwrap();
    assert_eq!(again.deps, info.deps);
    assert_eq!(again.settings, info.settings);
}

#[test]
fn pointer_format_of_old_toolchains() {
    // .data at 0x60_0000: two string headers, then the bytes they point at.
    let version = b"go1.21.4";
    let m = wrapped(MODINFO);
    let base = 0x60_0000u64;
    let mut data = Vec::new();
    data.extend_from_slice(&(base + 32).to_le_bytes());
    data.extend_from_slice(&(version.len() as u64).to_le_bytes());
    data.extend_from_slice(&(base + 32 + version.len() as u64).to_le_bytes());
    data.extend_from_slice(&(m.len() as u64).to_le_bytes());
    data.extend_from_slice(version);
    data.extend_from_slice(&m);
    let mut blob = b"\xff Go buildinf:\x08\x00".to_vec();
    blob.extend_from_slice(&base.to_le_bytes());
    blob.extend_from_slice(&(base + 16).to_le_bytes());
    let elf = elf64(&[
        sec(".go.buildinfo", 0x50_0000, &blob),
        sec(".data", base, &data),
    ]);
    check(&read_build_info(&elf).unwrap().unwrap());

    // A pointer into unmapped memory is an error naming the address.
    let mut bad = b"\xff Go buildinf:\x08\x00".to_vec();
    bad.extend_from_slice(&0xdead_0000u64.to_le_bytes());
    bad.extend_from_slice(&0xdead_0000u64.to_le_bytes());
    let elf = elf64(&[sec(".go.buildinfo", 0x50_0000, &bad)]);
    assert_eq!(
        read_build_info(&elf),
        Err(GoBuildInfoError::BadPointer(0xdead_0000))
    );
}

#[test]
fn not_go() {
    assert_eq!(read_build_info(b"#!/bin/sh\necho hi\n"), Ok(None));
    let elf = elf64(&[sec(".text", 0x1000, &[0xc3])]);
    assert_eq!(read_build_info(&elf), Ok(None));
    // This test's own executable is a Rust ELF without Go build info.
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert_eq!(read_build_info(&me), Ok(None));
}

#[test]
fn real_go_binary_matches_syft() {
    let Some(path) = formats_common::go_binary() else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let info = read_build_info(&bytes)
        .unwrap()
        .expect("a Go binary has build info");
    assert!(info.go_version.starts_with("go1."), "{}", info.go_version);
    assert!(!info.deps.is_empty());
    assert!(info.setting("GOOS").is_some() && info.setting("GOARCH").is_some());
    for d in &info.deps {
        assert!(!d.path.is_empty() && !d.version.is_empty(), "{d:?}");
    }
    eprintln!(
        "{}: {} {}, {} deps",
        path.display(),
        info.go_version,
        info.path,
        info.deps.len()
    );

    // When the binary is syft itself, let it catalog its own file and compare.
    if !info.path.starts_with("github.com/anchore/syft") {
        return;
    }
    let out = std::process::Command::new(&path)
        .args(["scan", "-q", "-o", "json"])
        .arg(format!("file:{}", path.display()))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        eprintln!("SKIPPED: the syft binary does not run here; structural checks only");
        return;
    };
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let main = info.main.as_ref().unwrap();
    let mut syft_deps = Vec::new();
    for a in doc["artifacts"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let version = a["version"].as_str().unwrap();
        match name {
            "stdlib" => assert_eq!(version, info.go_version),
            n if n == main.path => {}
            _ => syft_deps.push((
                name.to_owned(),
                version.to_owned(),
                a["metadata"]["h1Digest"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )),
        }
    }
    let mut ours: Vec<(String, String, String)> = info
        .deps
        .iter()
        .map(|d| {
            let m = d.replace.as_deref().unwrap_or(d);
            (d.path.clone(), m.version.clone(), m.sum.clone())
        })
        .collect();
    ours.sort();
    syft_deps.sort();
    assert_eq!(ours, syft_deps);
}

fn inline_blob() -> Vec<u8> {
    let mut blob = b"\xff Go buildinf:\x08\x02".to_vec();
    blob.resize(32, 0);
    uvarint(8, &mut blob);
    blob.extend_from_slice(b"go1.21.4");
    let m = wrapped(MODINFO);
    uvarint(m.len(), &mut blob);
    blob.extend_from_slice(&m);
    blob
}

#[test]
fn mach_o_and_pe() {
    let blob = inline_blob();
    let macho = macho64(&[
        sec("__text", 0x1_0000_1000, &[0; 32]),
        sec("__go_buildinfo", 0x1_0000_2000, &blob),
    ]);
    check_in(&macho, BinaryFormat::MachO);

    // PE has no dedicated section: the header sits 16-byte aligned in .data.
    let mut data = vec![0u8; 48];
    data.extend_from_slice(&blob);
    let pe = pe64(&[
        sec(".text", 0x1000, &[0xc3; 16]),
        sec(".data", 0x2000, &data),
    ]);
    check_in(&pe, BinaryFormat::Pe);

    // Pre-1.18 pointers in PE are virtual addresses: image base + RVA.
    let base = 0x1_4000_0000u64 + 0x3000;
    let version = b"go1.21.4";
    let m = wrapped(MODINFO);
    let mut strings = Vec::new();
    for v in [
        base + 32,
        version.len() as u64,
        base + 32 + version.len() as u64,
        m.len() as u64,
    ] {
        strings.extend_from_slice(&v.to_le_bytes());
    }
    strings.extend_from_slice(version);
    strings.extend_from_slice(&m);
    let mut data = b"\xff Go buildinf:\x08\x00".to_vec();
    data.extend_from_slice(&base.to_le_bytes());
    data.extend_from_slice(&(base + 16).to_le_bytes());
    let pe = pe64(&[sec(".data", 0x2000, &data), sec(".rdata", 0x3000, &strings)]);
    check(&read_build_info(&pe).unwrap().unwrap());
}
