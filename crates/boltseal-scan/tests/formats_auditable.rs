//! `cargo auditable` data: a `.dep-v0` section in a constructed ELF, and one added to a real
//! executable by binutils' `objcopy` when it is installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod formats_common;

use std::io::Write;

use boltseal_scan::formats::auditable::{AuditableError, read_auditable};
use formats_common::{elf64, macho64, pe64, sec};

const JSON: &str = r#"{"packages":[
 {"name":"demo","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
 {"name":"serde","version":"1.0.219","source":"crates.io","dependencies":[3]},
 {"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"},
 {"name":"serde_derive","version":"1.0.219","source":"crates.io","kind":"runtime"}
]}"#;

fn zlib(b: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(b).unwrap();
    z.finish().unwrap()
}

fn check(pkgs: &[boltseal_scan::formats::auditable::AuditablePackage]) {
    assert_eq!(pkgs.len(), 4);
    assert!(pkgs[0].root);
    assert_eq!(pkgs[0].dependencies, [1, 2]);
    assert_eq!(
        (pkgs[1].name.as_str(), pkgs[1].version.as_str()),
        ("serde", "1.0.219")
    );
    let runtime: Vec<&str> = pkgs
        .iter()
        .filter(|p| p.is_runtime())
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(runtime, ["demo", "serde", "serde_derive"]);
}

#[test]
fn constructed_elf() {
    let dep = zlib(JSON.as_bytes());
    let elf = elf64(&[sec(".text", 0x1000, &[0xc3; 16]), sec(".dep-v0", 0, &dep)]);
    check(&read_auditable(&elf).unwrap().unwrap());

    let elf = elf64(&[sec(".text", 0x1000, &[0xc3; 16])]);
    assert!(read_auditable(&elf).unwrap().is_none());
    assert!(read_auditable(b"plain text").unwrap().is_none());

    let elf = elf64(&[sec(".dep-v0", 0, b"\x78\x9cgarbage")]);
    let e = read_auditable(&elf).unwrap_err();
    assert!(matches!(e, AuditableError::Zlib(_)), "{e}");
}

#[test]
fn bomb_is_refused() {
    let dep = zlib(&vec![b' '; 20 << 20]);
    let elf = elf64(&[sec(".dep-v0", 0, &dep)]);
    assert!(matches!(
        read_auditable(&elf),
        Err(AuditableError::TooLarge)
    ));
}

#[test]
fn objcopy_added_section_in_a_real_executable() {
    if !formats_common::have("objcopy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dep = dir.path().join("dep");
    std::fs::write(&dep, zlib(JSON.as_bytes())).unwrap();
    let out = dir.path().join("exe");
    let status = std::process::Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", dep.display()))
        .arg(std::env::current_exe().unwrap())
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    check(
        &read_auditable(&std::fs::read(&out).unwrap())
            .unwrap()
            .unwrap(),
    );
}

#[test]
fn mach_o_and_pe_sections() {
    let dep = zlib(JSON.as_bytes());
    let macho = macho64(&[sec(".dep-v0", 0x1_0000_4000, &dep)]);
    check(&read_auditable(&macho).unwrap().unwrap());
    let pe = pe64(&[
        sec(".text", 0x1000, &[0xc3; 16]),
        sec(".dep-v0", 0x2000, &dep),
    ]);
    check(&read_auditable(&pe).unwrap().unwrap());
}
