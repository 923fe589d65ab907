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
