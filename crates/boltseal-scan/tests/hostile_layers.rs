//! Hostile layers (issue 13): GNU sparse entries claiming huge real sizes, oversized GNU long
//! names and PAX headers, symbolic link targets climbing out of the root or looping, and more
//! kept contents than the scan allows. Each is read within its limits or refused with one line
//! naming the limit and the value seen. A property test checks that the header checks stay in
//! step with the tar reader on archives mixing long names, long links, PAX headers and
//! sparse maps, and that mutated archives never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_scan::index::NodeKind;
use boltseal_scan::{Error, FileIndex, Limits, read_layer};
use proptest::prelude::*;

const BLOCK: usize = 512;

fn gnu(kind: tar::EntryType, path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    h
}

/// A GNU sparse header: `blocks` (offset, length) in the header itself (up to 4), the rest in
/// extension headers of 21 each; `stored` bytes of data follow.
fn sparse(path: &str, real: u64, blocks: &[(u64, u64)]) -> (tar::Header, Vec<[u8; BLOCK]>) {
    let stored: u64 = blocks.iter().map(|b| b.1).sum();
    let mut h = gnu(tar::EntryType::GNUSparse, path, stored);
    let (first, rest) = blocks.split_at(blocks.len().min(4));
    {
        let g = h.as_gnu_mut().unwrap();
        g.set_real_size(real);
        for (slot, (off, len)) in g.sparse.iter_mut().zip(first) {
            slot.set_offset(*off);
            slot.set_length(*len);
        }
        g.set_is_extended(!rest.is_empty());
    }
    h.set_cksum();
    let chunks: Vec<&[(u64, u64)]> = rest.chunks(21).collect();
    let mut ext = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut e = tar::GnuExtSparseHeader::new();
        for (slot, (off, len)) in e.sparse_mut().iter_mut().zip(*chunk) {
            slot.set_offset(*off);
            slot.set_length(*len);
        }
        e.set_is_extended(i + 1 < chunks.len());
        ext.push(*e.as_bytes());
    }
    (h, ext)
}

/// Appends raw bytes padded to a block.
fn push_padded(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
}

fn finish(mut out: Vec<u8>) -> Vec<u8> {
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

/// One PAX record, `"<len> key=value\n"` with the length counting itself.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

fn pax_header(records: &[u8]) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_path("PaxHeaders/x").unwrap();
    h.set_size(records.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    h
}

fn limit_error(e: &Error) -> (&'static str, u64, u64) {
    match e {
        Error::Limit {
            limit_name,
            limit,
            seen,
            ..
        } => (limit_name, *limit, *seen),
        other => panic!("not a limit error: {other}"),
    }
}

fn one_line(e: &Error) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n') && text.len() < 600, "{text}");
    text
}

/// The attack of issue 13: 200 `package.json` entries, each a GNU sparse file claiming 64 MiB
/// and storing nothing. The tar reader would synthesize 12.8 GB of zeros for the catalogers;
/// they are indexed at their real size and never read.
#[test]
fn sparse_package_json_bomb_is_indexed_not_read() {
    let mut out = Vec::new();
    for i in 0..200 {
        let (h, ext) = sparse(
            &format!("app/node_modules/p{i}/package.json"),
            64 << 20,
            &[(64 << 20, 0)],
        );
        out.extend_from_slice(h.as_bytes());
        assert!(ext.is_empty());
    }
    let tar = finish(out);
    let changes = read_layer(&tar[..], "sparse", &Limits::default()).unwrap();
    assert_eq!(changes.entries.len(), 200);
    for (path, node) in &changes.entries {
        assert!(path.ends_with("/package.json"), "{path}");
        assert_eq!(node.kind, NodeKind::File);
        assert_eq!(node.size, 64 << 20);
        assert!(node.content.is_none(), "{path}: sparse contents read");
    }
}

/// Sparse maps with extension headers, then ordinary entries: the entries after them are read
/// where the tar reader finds them.
#[test]
fn sparse_entries_with_extension_headers_keep_the_walk_in_step() {
    let blocks: Vec<(u64, u64)> = (0..30).map(|i| (i * 4096, 512)).collect();
    let (h, ext) = sparse("var/lib/sparse.db", 29 * 4096 + 512, &blocks);
    assert_eq!(ext.len(), 2);
    let mut out = Vec::new();
    out.extend_from_slice(h.as_bytes());
    for e in &ext {
        out.extend_from_slice(e);
    }
    push_padded(&mut out, &vec![7u8; 30 * 512]);
    let body = br#"{"name":"after","version":"1.0.0"}"#;
    out.extend_from_slice(
        gnu(
            tar::EntryType::Regular,
            "app/package.json",
            body.len() as u64,
        )
        .as_bytes(),
    );
    push_padded(&mut out, body);
    let changes = read_layer(&finish(out)[..], "sparse", &Limits::default()).unwrap();
    let paths: Vec<&str> = changes.entries.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/var/lib/sparse.db", "/app/package.json"]);
    assert_eq!(changes.entries[0].1.size, 29 * 4096 + 512);
    assert_eq!(changes.entries[1].1.content.as_deref(), Some(&body[..]));
}

/// A GNU long name is refused from its header, before the tar reader reads it into memory.
#[test]
fn gnu_long_name_larger_than_a_path_is_refused_before_it_is_read() {
    let name = vec![b'a'; 8 << 20];
    let mut out = Vec::new();
    out.extend_from_slice(
        gnu(
            tar::EntryType::GNULongName,
            "././@LongLink",
            name.len() as u64,
        )
        .as_bytes(),
    );
    push_padded(&mut out, &name);
    out.extend_from_slice(gnu(tar::EntryType::Regular, "x", 0).as_bytes());
    let e = read_layer(&finish(out)[..], "long-name", &Limits::default()).unwrap_err();
    assert_eq!(limit_error(&e), ("GNU long name bytes", 4097, 8 << 20));
    let text = one_line(&e);
    assert!(text.contains("long-name"), "{text}");

    // Declared but absent: refused all the same, from the header alone.
    let mut out = Vec::new();
    out.extend_from_slice(gnu(tar::EntryType::GNULongLink, "././@LongLink", 1 << 40).as_bytes());
    let e = read_layer(&finish(out)[..], "long-link", &Limits::default()).unwrap_err();
    assert_eq!(limit_error(&e), ("GNU long link bytes", 4097, 1 << 40));
}

/// Long names and links within the limits are read (the tar builder writes them as GNU
/// long name and long link entries).
#[test]
fn gnu_long_names_and_links_within_the_limit_are_read() {
    let dir = "d/".repeat(100);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = gnu(tar::EntryType::Regular, "placeholder", 2);
    b.append_data(&mut h, format!("{dir}package.json"), &b"{}"[..])
        .unwrap();
    let mut h = gnu(tar::EntryType::Symlink, "placeholder", 0);
    b.append_link(&mut h, format!("{dir}link"), format!("{dir}package.json"))
        .unwrap();
    let tar = b.into_inner().unwrap();
    let changes = read_layer(&tar[..], "long", &Limits::default()).unwrap();
    assert_eq!(changes.entries.len(), 2);
    assert_eq!(changes.entries[0].0, format!("/{dir}package.json"));
    assert_eq!(
        changes.entries[1].1.kind,
        NodeKind::Symlink(format!("/{dir}{dir}package.json"))
    );
}

/// A PAX header larger than `max_pax_bytes` is refused from its header; a PAX `linkpath`
/// within it but longer than a path is refused as a symbolic link target.
#[test]
fn pax_linkpath_bombs_are_refused() {
    let records = pax_record("linkpath", &vec![b'a'; 2 << 20]);
    let mut out = Vec::new();
    out.extend_from_slice(pax_header(&records).as_bytes());
    push_padded(&mut out, &records);
    out.extend_from_slice(gnu(tar::EntryType::Symlink, "link", 0).as_bytes());
    let e = read_layer(&finish(out)[..], "pax", &Limits::default()).unwrap_err();
    let (name, limit, seen) = limit_error(&e);
    assert_eq!((name, limit), ("PAX header bytes", 1 << 20));
    assert_eq!(seen, records.len() as u64);
    one_line(&e);

    let records = pax_record("linkpath", &vec![b'a'; 8192]);
    let mut out = Vec::new();
    out.extend_from_slice(pax_header(&records).as_bytes());
    push_padded(&mut out, &records);
    out.extend_from_slice(gnu(tar::EntryType::Symlink, "link", 0).as_bytes());
    let e = read_layer(&finish(out)[..], "pax", &Limits::default()).unwrap_err();
    let text = one_line(&e);
    assert!(matches!(e, Error::Entry { .. }), "{text}");
    assert!(
        text.contains("target of 8192 bytes is longer than the path bytes limit of 4096"),
        "{text}"
    );

    // A PAX path as long: refused as a path, the error quoting only its start.
    let records = pax_record("path", &vec![b'p'; 100_000]);
    let mut out = Vec::new();
    out.extend_from_slice(pax_header(&records).as_bytes());
    push_padded(&mut out, &records);
    out.extend_from_slice(gnu(tar::EntryType::Regular, "short", 0).as_bytes());
    let e = read_layer(&finish(out)[..], "pax", &Limits::default()).unwrap_err();
    let text = one_line(&e);
    assert!(text.contains("(100000 bytes)"), "{text}");
}

/// Symbolic link targets are stored absolute and normalized, `..` stopping at the root;
/// loops resolve to nothing.
#[test]
fn symlink_climbs_and_loops_stay_inside_the_root() {
    let mut b = tar::Builder::new(Vec::new());
    let os = b"ID=test\n";
    let mut h = gnu(
        tar::EntryType::Regular,
        "usr/lib/os-release",
        os.len() as u64,
    );
    b.append(&h, &os[..]).unwrap();
    let mut link = |path: &str, target: &str| {
        h = gnu(tar::EntryType::Symlink, "placeholder", 0);
        b.append_link(&mut h, path, target).unwrap();
    };
    link("etc/os-release", "../../../../../../usr/lib/os-release");
    link("usr/share/climb", "./../../../..//./etc");
    link("abs", "/usr/../../lib/./x");
    link("loop/a", "b");
    link("loop/b", "../loop/a");
    link("self", "self");
    link("deep", &"deep/".repeat(200));
    let tar = b.into_inner().unwrap();
    let changes = read_layer(&tar[..], "links", &Limits::default()).unwrap();
    let target = |p: &str| {
        changes
            .entries
            .iter()
            .find(|(path, _)| path == p)
            .map(|(_, n)| n.kind.clone())
            .unwrap()
    };
    assert_eq!(
        target("/etc/os-release"),
        NodeKind::Symlink("/usr/lib/os-release".into())
    );
    assert_eq!(target("/usr/share/climb"), NodeKind::Symlink("/etc".into()));
    assert_eq!(target("/abs"), NodeKind::Symlink("/lib/x".into()));
    assert_eq!(target("/loop/b"), NodeKind::Symlink("/loop/a".into()));
    let index = FileIndex::squash([changes]);
    assert_eq!(index.read("/etc/os-release"), Some(&os[..]));
    assert_eq!(index.read("/usr/share/climb/os-release"), Some(&os[..]));
    assert_eq!(index.resolve("/loop/a"), None);
    assert_eq!(index.resolve("/self"), None);
    assert_eq!(index.resolve("/deep/x"), None);

    // Deeper than the limit after normalization: refused.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = gnu(tar::EntryType::Symlink, "placeholder", 0);
    b.append_link(&mut h, "l", "x/".repeat(300)).unwrap();
    let e = read_layer(&b.into_inner().unwrap()[..], "links", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("deeper than 256"), "{e}");
}

/// Contents kept for the catalogers count against one budget for the scan.
#[test]
fn kept_contents_over_the_budget_are_refused() {
    let body = |i: usize| format!(r#"{{"name":"p{i}","version":"1.0.0"}}"#);
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..3 {
        let h = gnu(
            tar::EntryType::Regular,
            &format!("app/node_modules/p{i}/package.json"),
            body(i).len() as u64,
        );
        b.append(&h, body(i).as_bytes()).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let one = body(0).len() as u64;
    let mut limits = Limits::default();
    limits.max_kept_bytes = 2 * one;
    let e = read_layer(&tar[..], "kept", &limits).unwrap_err();
    assert_eq!(limit_error(&e), ("kept content bytes", 2 * one, 3 * one));
    let text = one_line(&e);
    assert!(text.contains("p2/package.json"), "{text}");
    limits.max_kept_bytes = 3 * one;
    read_layer(&tar[..], "kept", &limits).unwrap();
}

#[derive(Debug, Clone)]
enum Item {
    /// A file at a path of this many components, with this many bytes.
    File(usize, usize),
    /// A symbolic link with a target of this many components.
    Link(usize, usize),
    /// A file named by a PAX `path` record, with a PAX comment of this many bytes.
    Pax(usize, usize),
    /// A sparse file of these (hole, data blocks) runs.
    Sparse(Vec<(u8, u8)>),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (1..80usize, 0..1500usize).prop_map(|(d, n)| Item::File(d, n)),
        (1..80usize, 1..80usize).prop_map(|(d, t)| Item::Link(d, t)),
        (1..80usize, 0..3000usize).prop_map(|(d, n)| Item::Pax(d, n)),
        prop::collection::vec((0..3u8, 0..3u8), 0..50).prop_map(Item::Sparse),
    ]
}

/// Builds the archive and the paths it holds, in order.
fn archive(items: &[Item]) -> (Vec<u8>, Vec<String>) {
    let mut b = tar::Builder::new(Vec::new());
    let mut paths = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = |depth: usize| format!("{}f{i}", "dir/".repeat(depth));
        match item {
            Item::File(depth, n) => {
                let mut h = gnu(tar::EntryType::Regular, "placeholder", *n as u64);
                b.append_data(&mut h, path(*depth), &vec![b'x'; *n][..])
                    .unwrap();
                paths.push(format!("/{}", path(*depth)));
            }
            Item::Link(depth, t) => {
                let mut h = gnu(tar::EntryType::Symlink, "placeholder", 0);
                b.append_link(&mut h, path(*depth), "t/".repeat(*t))
                    .unwrap();
                paths.push(format!("/{}", path(*depth)));
            }
            Item::Pax(depth, n) => {
                let mut records = pax_record("path", path(*depth).as_bytes());
                records.extend(pax_record("comment", &vec![b'c'; *n]));
                b.append(&pax_header(&records), &records[..]).unwrap();
                let h = gnu(tar::EntryType::Regular, &format!("short{i}"), 3);
                b.append(&h, &b"abc"[..]).unwrap();
                paths.push(format!("/{}", path(*depth)));
            }
            Item::Sparse(runs) => {
                let mut blocks = Vec::new();
                let mut at = 0u64;
                for (hole, data) in runs {
                    at += u64::from(*hole) * 512;
                    let len = u64::from(*data) * 512;
                    blocks.push((at, len));
                    at += len;
                }
                let (h, ext) = sparse(&path(0), at, &blocks);
                let stored = blocks.iter().map(|b| b.1).sum::<u64>();
                let out = b.get_mut();
                out.extend_from_slice(h.as_bytes());
                for e in &ext {
                    out.extend_from_slice(e);
                }
                push_padded(out, &vec![b's'; usize::try_from(stored).unwrap()]);
                paths.push(format!("/{}", path(0)));
            }
        }
    }
    (b.into_inner().unwrap(), paths)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The header checks find every header where the tar reader does, whatever mix of long
    /// names, long links, PAX headers and sparse maps precedes it.
    #[test]
    fn header_checks_stay_in_step_with_the_tar_reader(items in prop::collection::vec(item(), 0..12)) {
        let (tar, paths) = archive(&items);
        let changes = read_layer(&tar[..], "prop", &Limits::default()).unwrap();
        let got: Vec<String> = changes.entries.into_iter().map(|(p, _)| p).collect();
        prop_assert_eq!(got, paths);
    }

    /// Flipped bytes never panic, and every error is one line.
    #[test]
    fn mutated_archives_never_panic(
        items in prop::collection::vec(item(), 1..6),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (mut tar, _) = archive(&items);
        for (at, byte) in flips {
            let i = at.index(tar.len());
            tar[i] = byte;
        }
        if let Err(e) = read_layer(&tar[..], "prop", &Limits::default()) {
            prop_assert!(!e.to_string().contains('\n'), "{}", e);
        }
    }
}
