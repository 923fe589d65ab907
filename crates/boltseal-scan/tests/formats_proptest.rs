//! Property tests for the format parsers: written values read back unchanged, and arbitrary
//! or mutated input never panics and stays within the limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod formats_common;

use std::io::Write;

use boltseal_scan::formats::{auditable, golang, java, object, rpm};
use formats_common::{TestRpm, TestSection, bdb, elf64, ndb, rpm_header};
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._+~-]{1,20}"
}

fn test_rpm() -> impl Strategy<Value = TestRpm> {
    (
        word(),
        word(),
        word(),
        proptest::option::of(0i32..100),
        word(),
        "[ -~]{0,40}",
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("/usr/bin/".to_owned()),
                    Just("/etc/".to_owned()),
                    "/[a-z]{1,8}/"
                ],
                word(),
                0i32..1_000_000,
            ),
            0..20,
        ),
    )
        .prop_map(
            |(name, version, release, epoch, arch, license, files)| TestRpm {
                name,
                version,
                release,
                epoch,
                arch,
                license,
                files,
            },
        )
}

fn check_rpm(got: &rpm::RpmPackage, want: &TestRpm) {
    assert_eq!(got.name, want.name);
    assert_eq!(got.version, want.version);
    assert_eq!(got.release, want.release);
    assert_eq!(got.epoch, want.epoch.map(i64::from));
    assert_eq!(got.arch, want.arch);
    assert_eq!(got.license, want.license);
    let files: Vec<(String, i64)> = got.files.iter().map(|f| (f.path.clone(), f.size)).collect();
    let want_files: Vec<(String, i64)> = want
        .files
        .iter()
        .map(|(d, b, s)| (format!("{d}{b}"), i64::from(*s)))
        .collect();
    assert_eq!(files, want_files);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rpm_header_round_trip(t in test_rpm()) {
        check_rpm(&rpm::parse_header(&rpm_header(&t)).unwrap(), &t);
    }

    #[test]
    fn rpm_ndb_and_bdb_round_trip(ts in proptest::collection::vec(test_rpm(), 0..10), big in any::<bool>()) {
        let blobs: Vec<Vec<u8>> = ts.iter().map(rpm_header).collect();
        for db in [ndb(&blobs), bdb(&blobs, big)] {
            let got = rpm::read_rpmdb(&db).unwrap();
            prop_assert_eq!(got.len(), ts.len());
            for (g, w) in got.iter().zip(&ts) {
                check_rpm(g, w);
            }
        }
    }

    #[test]
    fn rpm_arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096), magic in 0usize..4) {
        let mut d = match magic {
            0 => b"SQLite format 3\0".to_vec(),
            1 => b"RpmP\0\0\0\0\0\0\0\0\x01\0\0\0".to_vec(),
            2 => { let mut m = vec![0u8; 12]; m.extend_from_slice(&0x0006_1561u32.to_le_bytes()); m }
            _ => Vec::new(),
        };
        d.extend_from_slice(&data);
        let _ = rpm::read_rpmdb(&d);
        let _ = rpm::parse_header(&data);
    }

    #[test]
    fn rpm_mutated_headers_never_panic(t in test_rpm(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut blob = rpm_header(&t);
        for (at, x) in flips {
            let n = blob.len();
            blob[at % n] ^= x;
        }
        let _ = rpm::parse_header(&blob);
        let _ = rpm::read_rpmdb(&ndb(&[blob.clone()]));
        let _ = rpm::read_rpmdb(&bdb(&[blob], false));
    }

    #[test]
    fn go_modinfo_round_trip(
        path in "[a-z0-9./-]{1,30}",
        main in proptest::option::of(("[a-z0-9./-]{1,30}", "v[0-9]\\.[0-9]\\.[0-9]|\\(devel\\)", "(h1:[A-Za-z0-9+/=]{8})?")),
        deps in proptest::collection::vec(("[a-z0-9./-]{1,30}", "v[0-9]\\.[0-9]\\.[0-9]", "(h1:[A-Za-z0-9+/=]{8})?", proptest::option::of(("[a-z0-9./-]{1,30}", "(v1\\.0\\.0)?"))), 0..10),
        settings in proptest::collection::vec(("[!-~&&[^=\"]][ -~]{0,10}", "[ -~\\t\\n]{0,20}|[^\\x00]{0,10}"), 0..8),
    ) {
        let mut info = golang::parse_modinfo("go1.22.0", "").unwrap();
        info.path = path;
        info.main = main.map(|(p, v, s)| { let mut m = golang::GoModule::new(p, v); m.sum = s; m });
        info.deps = deps.into_iter().map(|(p, v, s, r)| {
            let mut m = golang::GoModule::new(p, v);
            m.sum = s;
            m.replace = r.map(|(p, v)| Box::new(golang::GoModule::new(p, v)));
            m
        }).collect();
        info.settings = settings;
        let again = golang::parse_modinfo("go1.22.0", &info.to_modinfo()).unwrap();
        prop_assert_eq!(again, info);
    }

    #[test]
    fn go_arbitrary_blobs_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), flags in any::<u8>(), ptr in any::<u8>()) {
        let mut blob = b"\xff Go buildinf:".to_vec();
        blob.push(ptr);
        blob.push(flags);
        blob.extend_from_slice(&data);
        let elf = elf64(&[
            TestSection { name: ".go.buildinfo", addr: 0x1000, data: &blob },
            TestSection { name: ".data", addr: 0x2000, data: &data },
        ]);
        let _ = golang::read_build_info(&elf);
        let _ = golang::read_build_info(&blob);
    }

    #[test]
    fn executables_arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), magic in 0usize..6) {
        let prefix: &[u8] = [&b"\x7fELF\x02\x01\x01"[..], b"\x7fELF\x01\x02\x01", b"MZ", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xce", b""][magic];
        let mut d = prefix.to_vec();
        d.extend_from_slice(&data);
        let _ = object::detect(&d);
        let _ = golang::read_build_info(&d);
        let _ = auditable::read_auditable(&d);
    }

    #[test]
    fn auditable_round_trip(pkgs in proptest::collection::vec((word(), word(), prop_oneof![Just("crates.io"), Just("local"), Just("git")], any::<bool>(), any::<bool>()), 1..20)) {
        let n = pkgs.len();
        let list: Vec<serde_json::Value> = pkgs.iter().enumerate().map(|(i, (name, version, source, build, root))| {
            serde_json::json!({
                "name": name, "version": version, "source": source,
                "kind": if *build { "build" } else { "runtime" },
                "dependencies": if i + 1 < n { vec![i + 1] } else { vec![] },
                "root": root,
            })
        }).collect();
        let json = serde_json::to_vec(&serde_json::json!({ "packages": list })).unwrap();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&json).unwrap();
        let got = auditable::parse_dep_v0(&z.finish().unwrap()).unwrap();
        prop_assert_eq!(got.len(), n);
        for (i, (g, (name, version, source, build, root))) in got.iter().zip(&pkgs).enumerate() {
            prop_assert_eq!(&g.name, name);
            prop_assert_eq!(&g.version, version);
            prop_assert_eq!(g.source.as_str(), *source);
            prop_assert_eq!(g.is_runtime(), !build);
            prop_assert_eq!(g.root, *root);
            prop_assert_eq!(g.dependencies.clone(), if i + 1 < n { vec![i + 1] } else { vec![] });
        }
    }

    #[test]
    fn auditable_arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = auditable::parse_dep_v0(&data);
        let _ = auditable::parse_json(&data);
    }

    #[test]
    fn java_archive_round_trip(
        attrs in proptest::collection::vec(("[A-Za-z][A-Za-z0-9_-]{0,30}", "[ -~]{0,150}"), 1..8),
        props in proptest::collection::vec(("[a-zA-Z][ -~]{0,20}", "[ -~\\t]{0,40}|[^\\x00]{0,10}"), 0..6),
        deflate in any::<bool>(),
        nested in any::<bool>(),
    ) {
        // Unique keys keep the comparison simple.
        let mut seen = std::collections::HashSet::new();
        let attrs: Vec<(String, String)> = attrs.into_iter().filter(|(k, _)| seen.insert(k.to_ascii_lowercase())).collect();
        let mut props_all = vec![
            ("groupId".to_owned(), "org.example".to_owned()),
            ("artifactId".to_owned(), "lib".to_owned()),
            ("version".to_owned(), "1.0".to_owned()),
        ];
        props_all.extend(props);
        let files = vec![
            ("META-INF/MANIFEST.MF".to_owned(), formats_common::write_manifest(&attrs)),
            ("META-INF/maven/org.example/lib/pom.properties".to_owned(), formats_common::write_properties(&props_all)),
        ];
        let mut jar = formats_common::zip(&files, deflate);
        if nested {
            jar = formats_common::zip(&[("lib/inner.jar".to_owned(), jar)], deflate);
        }
        let recs = java::read_java_archive(&jar).unwrap();
        let rec = recs.last().unwrap();
        prop_assert_eq!(recs.len(), if nested { 2 } else { 1 });
        prop_assert_eq!(&rec.manifest.as_ref().unwrap().main, &attrs);
        let p = &rec.pom_properties[0];
        prop_assert_eq!(&p.properties, &props_all);
        prop_assert_eq!(p.artifact_id.as_str(), "lib");
    }

    #[test]
    fn java_arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), tail in any::<bool>()) {
        let mut d = data.clone();
        if tail {
            d.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
        }
        let _ = java::read_java_archive(&d);
        let _ = java::parse_manifest(&data);
        let _ = java::parse_properties(&data);
    }

    #[test]
    fn java_mutated_archives_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let inner = formats_common::zip(&[("META-INF/MANIFEST.MF".to_owned(), b"A: b\n".to_vec())], true);
        let mut jar = formats_common::zip(&[("x.jar".to_owned(), inner), ("a/pom.properties".to_owned(), b"version=1\n".to_vec())], true);
        for (at, x) in flips {
            let n = jar.len();
            jar[at % n] ^= x;
        }
        let _ = java::read_java_archive(&jar);
    }
}

/// The lenient reader keeps the good headers of a database with a broken one.
#[test]
fn lenient_read_skips_bad_headers() {
    let good = |name: &str| TestRpm {
        name: name.into(),
        version: "1".into(),
        release: "1".into(),
        epoch: None,
        arch: "noarch".into(),
        license: "MIT".into(),
        files: vec![],
    };
    let blobs = vec![
        rpm_header(&good("a")),
        vec![0, 0, 0, 0, 0, 0, 0, 0],
        rpm_header(&good("c")),
    ];
    for db in [ndb(&blobs), bdb(&blobs, true)] {
        assert!(rpm::read_rpmdb(&db).is_err());
        let got = rpm::read_rpmdb_lenient(&db).unwrap();
        let names: Vec<&str> = got.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(got.bad_headers.len(), 1);
        assert_eq!(got.bad_headers[0].0, 1);
        assert!(got.bad_headers[0].1.to_string().starts_with("rpm header: "));
    }
    assert!(rpm::read_rpmdb_lenient(b"nope").is_err());
}

/// Real rpmdb files with random bytes changed never make a reader panic.
#[test]
fn mutated_corpus_rpmdbs_never_panic() {
    let files = [
        "sbom/go-rpmdb/pkg/testdata/libuuid/Packages",
        "sbom/go-rpmdb/pkg/testdata/sle15-bci/Packages.db",
        "sbom/go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite",
    ];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for f in files {
        let Some(orig) = formats_common::corpus_file(f) else {
            return;
        };
        for _ in 0..24 {
            let mut d = orig.clone();
            for _ in 0..(1 + next() % 16) {
                let at = (next() % d.len() as u64) as usize;
                d[at] ^= (next() % 255 + 1) as u8;
            }
            let _ = rpm::read_rpmdb(&d);
            let _ = rpm::read_rpmdb_lenient(&d);
        }
        // Truncations too.
        for cut in [orig.len() / 2, orig.len() - 1, 4096, 100] {
            let _ = rpm::read_rpmdb(&orig[..cut]);
        }
    }
}
