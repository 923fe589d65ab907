//! rpmdb readers against go-rpmdb's real databases and expected results
//! (`../shared/corpus/sbom/go-rpmdb`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod formats_common;

use boltseal_scan::formats::rpm::{
    RpmDbFormat, RpmPackage, detect_format, parse_header, read_bdb, read_ndb, read_rpmdb,
    read_sqlite,
};
use serde_json::Value;

const BASE: &str = "sbom/go-rpmdb";

fn expected() -> Option<Value> {
    let bytes = formats_common::corpus_file(&format!("{BASE}/expected.json"))?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

fn check(pkg: &RpmPackage, want: &Value) {
    let s = |k: &str| want.get(k).and_then(Value::as_str);
    assert_eq!(Some(pkg.name.as_str()), s("name"));
    assert_eq!(Some(pkg.version.as_str()), s("version"), "{}", pkg.name);
    assert_eq!(Some(pkg.release.as_str()), s("release"), "{}", pkg.name);
    assert_eq!(Some(pkg.arch.as_str()), s("arch"), "{}", pkg.name);
    assert_eq!(
        Some(pkg.source_rpm.as_str()),
        s("sourceRpm"),
        "{}",
        pkg.name
    );
    assert_eq!(Some(pkg.license.as_str()), s("license"), "{}", pkg.name);
    assert_eq!(Some(pkg.vendor.as_str()), s("vendor"), "{}", pkg.name);
    assert_eq!(Some(pkg.summary.as_str()), s("summary"), "{}", pkg.name);
    assert_eq!(Some(pkg.sigmd5.as_str()), s("sigmd5"), "{}", pkg.name);
    assert_eq!(
        Some(pkg.size),
        want.get("size").and_then(Value::as_i64),
        "{}",
        pkg.name
    );
    if let Some(m) = s("modularitylabel") {
        assert_eq!(pkg.modularity_label, m, "{}", pkg.name);
    }
    if let Some(e) = want.get("epoch") {
        assert_eq!(pkg.epoch, e.as_i64(), "{}", pkg.name);
    }
    if let Some(pgp) = s("pgp") {
        assert_eq!(pkg.pgp, pgp, "{}", pkg.name);
    }
    if let Some(t) = want.get("installTime").and_then(Value::as_i64) {
        assert_eq!(pkg.install_time, Some(t), "{}", pkg.name);
    }
    if let Some(p) = want.get("provides").and_then(Value::as_array) {
        let p: Vec<&str> = p.iter().filter_map(Value::as_str).collect();
        assert_eq!(pkg.provides, p, "{}", pkg.name);
    }
}

#[test]
fn ndb_sle15_every_package_in_order() {
    let (Some(exp), Some(db)) = (
        expected(),
        formats_common::corpus_file(&format!("{BASE}/pkg/testdata/sle15-bci/Packages.db")),
    ) else {
        return;
    };
    assert_eq!(detect_format(&db), Some(RpmDbFormat::Ndb));
    let got = read_rpmdb(&db).unwrap();
    assert_eq!(got, read_ndb(&db).unwrap());
    let want = exp["pkg/testdata/sle15-bci/Packages.db"]["packages"]
        .as_array()
        .unwrap();
    assert_eq!(got.len(), 35);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        check(g, w);
    }
}

fn contains(file: &str, format: RpmDbFormat) -> Vec<RpmPackage> {
    let (Some(exp), Some(db)) = (
        expected(),
        formats_common::corpus_file(&format!("{BASE}/{file}")),
    ) else {
        return Vec::new();
    };
    assert_eq!(detect_format(&db), Some(format));
    let got = read_rpmdb(&db).unwrap();
    let want = &exp[file]["contains"];
    let name = want["name"].as_str().unwrap();
    let pkg = got
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {file}"));
    check(pkg, want);
    // Every header decodes to a named, versioned package.
    for p in &got {
        assert!(!p.name.is_empty() && !p.version.is_empty(), "{p:?}");
    }
    got
}

#[test]
fn bdb_libuuid() {
    let got = contains("pkg/testdata/libuuid/Packages", RpmDbFormat::BerkeleyDb);
    if got.is_empty() {
        return;
    }
    let db = formats_common::corpus_file(&format!("{BASE}/pkg/testdata/libuuid/Packages")).unwrap();
    assert_eq!(got, read_bdb(&db).unwrap());
    let uuid = got.iter().find(|p| p.name == "libuuid").unwrap();
    assert_eq!(uuid.evr(), "2.32.1-42.el8_8");
    assert!(
        uuid.files
            .iter()
            .any(|f| f.path.starts_with("/usr/lib64/libuuid.so"))
    );
}

#[test]
fn sqlite_mariner_curl() {
    let got = contains(
        "pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite",
        RpmDbFormat::Sqlite,
    );
    if got.is_empty() {
        return;
    }
    let db =
        formats_common::corpus_file(&format!("{BASE}/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"))
            .unwrap();
    assert_eq!(got, read_sqlite(&db).unwrap());
    let curl = got.iter().find(|p| p.name == "curl").unwrap();
    assert!(
        curl.files.iter().any(|f| f.path == "/usr/bin/curl"),
        "{:?}",
        curl.files
    );
}

#[test]
fn single_header_blob() {
    let Some(blob) = formats_common::corpus_file(&format!("{BASE}/pkg/testdata/blob.bin")) else {
        return;
    };
    let pkg = parse_header(&blob).unwrap();
    assert_eq!(pkg.name, "publicsuffix-list-dafsa");
    assert_eq!(pkg.evr(), "20210518-2.fc35");
    assert_eq!(pkg.arch, "noarch");
    assert_eq!(pkg.license, "MPLv2.0");
    assert_eq!(pkg.source_rpm, "publicsuffix-list-20210518-2.fc35.src.rpm");
    assert_eq!(pkg.digest_algorithm, Some(8));
    // The blob's fourth directory index points past the directory list: that file is left
    // out, the other three are kept.
    let paths: Vec<&str> = pkg.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/usr/share/licenses/publicsuffix-list-dafsa",
            "/usr/share/licenses/publicsuffix-list-dafsa/COPYING",
            "/usr/share/publicsuffix",
        ]
    );
    assert!(pkg.pgp.starts_with("RSA/SHA256, "), "{}", pkg.pgp);
    assert_eq!(detect_format(&blob), None);
}

/// SQLite databases written by the real SQLite library (through Python's `sqlite3`), with
/// page sizes from 512 to 65536 bytes, thousands of rows (interior pages), blobs larger than
/// a page (overflow chains), other tables and indexes, and deleted rows.
#[test]
fn sqlite_written_by_sqlite() {
    if !formats_common::have("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for i in 0..1500 {
        let t = formats_common::TestRpm {
            name: format!("pkg{i}"),
            version: format!("1.{i}"),
            release: "1.el9".into(),
            epoch: (i % 3 == 0).then_some(i % 7),
            arch: "x86_64".into(),
            license: "MIT".repeat((i % 5) as usize),
            // Every 100th package owns enough files to overflow even 64 KiB pages.
            files: (0..if i % 100 == 0 { 3000 } else { i % 4 })
                .map(|f| (format!("/usr/lib/pkg{i}/"), format!("file{f}.so"), f))
                .collect(),
        };
        let blob = formats_common::rpm_header(&t);
        std::fs::write(tmp.path().join(format!("{i:05}.blob")), &blob).unwrap();
        want.push(t);
    }
    let script = r#"
import glob, os, sqlite3, sys
d, page = sys.argv[1], int(sys.argv[2])
db = os.path.join(d, f"rpmdb-{page}.sqlite")
c = sqlite3.connect(db)
c.execute(f"PRAGMA page_size={page}")
c.execute("CREATE TABLE Basenames (key TEXT NOT NULL, hnum INTEGER, idx INTEGER)")
c.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
c.execute("CREATE INDEX Basenames_idx ON Basenames(key)")
for f in sorted(glob.glob(os.path.join(d, "*.blob"))):
    c.execute("INSERT INTO Packages (blob) VALUES (?)", (open(f, "rb").read(),))
    c.execute("INSERT INTO Basenames VALUES (?, 1, 1)", (f,))
c.execute("INSERT INTO Packages (blob) VALUES (x'00')")
c.execute("DELETE FROM Packages WHERE blob = x'00'")
c.commit()
c.close()
print(db)
"#;
    for page in [512, 4096, 65536] {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(tmp.path())
            .arg(page.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = String::from_utf8(out.stdout).unwrap();
        let db = std::fs::read(path.trim()).unwrap();
        let got = read_rpmdb(&db).unwrap();
        assert_eq!(got.len(), want.len(), "page size {page}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (g.name.as_str(), g.version.as_str()),
                (w.name.as_str(), w.version.as_str())
            );
            assert_eq!(g.epoch, w.epoch.map(i64::from));
            assert_eq!(g.license, w.license);
            assert_eq!(g.files.len(), w.files.len(), "{}", w.name);
        }
    }
}
