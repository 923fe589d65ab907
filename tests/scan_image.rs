//! boltseal-scan on real multi-layer images built here without a daemon: the same image as an
//! OCI layout, an `oci-archive` and a `docker-archive`; whiteouts, opaque directories and
//! links across gzip, zstd and plain layers; hostile layers (path traversal, link escapes,
//! invalid whiteouts, decompression bombs, corrupted blobs) refused with the layer and entry
//! named, or contained.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use boltseal::scan::{Error, Limits, Scan, ScanOptions, Source};
use boltseal_test_support::scan::{
    Compression, Layer, tar_dir, write_docker_archive, write_layout,
};

fn scan_with(source: &str, options: &ScanOptions) -> Result<Scan, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let source: Source = source.parse()?;
    rt.block_on(boltseal::scan::scan(&source, options))
}

fn scan(source: &str) -> Result<Scan, Error> {
    scan_with(source, &ScanOptions::new())
}

fn purls(scan: &Scan) -> BTreeSet<String> {
    scan.catalog
        .packages
        .iter()
        .map(|p| {
            p.purl
                .clone()
                .unwrap_or_else(|| format!("(none) {}", p.name))
        })
        .collect()
}

const APK_DB: &str = "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nm:Maintainer <m@example.org>\n\
F:lib\nR:ld-musl-x86_64.so.1\nZ:Q1vCVXmMqi8yXp2cpPIbAOhFbsdsA=\n\n\
P:libcrypto3\nV:3.3.2-r0\nA:x86_64\nL:Apache-2.0\no:openssl\nD:so:libc.musl-x86_64.so.1\n\
F:usr/lib\nR:libcrypto.so.3\n\n";

fn metadata(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n\nbody\n")
        .into_bytes()
}

/// Three layers: a base (gzip), changes with whiteouts and an opaque directory (zstd), and
/// links plus a replaced file (plain tar).
fn layers() -> Vec<(Vec<u8>, Compression)> {
    let site = "usr/lib/python3.12/site-packages";
    let mut base = Layer::new();
    base.file(
        "usr/lib/os-release",
        b"ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
        0o644,
    )
    .symlink("etc/os-release", "../usr/lib/os-release")
    .file("lib/apk/db/installed", APK_DB.as_bytes(), 0o644)
    .file(
        &format!("{site}/Pygments-2.6.1.dist-info/METADATA"),
        &metadata("Pygments", "2.6.1"),
        0o644,
    )
    .file(
        &format!("{site}/Pygments-2.6.1.dist-info/RECORD"),
        b"pygments/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,1\n",
        0o644,
    )
    .file(
        &format!("{site}/gone-1.0.dist-info/METADATA"),
        &metadata("gone", "1.0"),
        0o644,
    )
    .file(
        "app/node_modules/old/package.json",
        br#"{"name":"old","version":"1.0.0"}"#,
        0o644,
    )
    .file(
        "app/node_modules/@scope/kept/package.json",
        br#"{"name":"@scope/kept","version":"2.0.0"}"#,
        0o644,
    )
    .file(
        "app/package.json",
        br#"{"name":"app","version":"0.1.0","private":true}"#,
        0o644,
    )
    .file("app/nameless/package.json", br#"{"type":"module"}"#, 0o644);
    let mut changes = Layer::new();
    changes
        .file(&format!("{site}/.wh.gone-1.0.dist-info"), b"", 0o644)
        .file("app/node_modules/.wh..wh..opq", b"", 0o644)
        .file(
            "app/node_modules/new/package.json",
            br#"{"name":"new","version":"3.0.0","license":"ISC"}"#,
            0o644,
        )
        // Added next to the opaque marker in the same layer: stays visible.
        .file(
            &format!("{site}/requests-2.22.0.dist-info/METADATA"),
            &metadata("requests", "2.22.0"),
            0o644,
        );
    let mut links = Layer::new();
    links
        .file(
            "opt/real/package.json",
            br#"{"name":"linked","version":"1.0.0"}"#,
            0o644,
        )
        .hardlink("opt/hard/package.json", "opt/real/package.json")
        .file(
            "app/package.json",
            br#"{"name":"app","version":"0.2.0"}"#,
            0o644,
        );
    vec![
        (base.finish(), Compression::Gzip),
        (changes.finish(), Compression::Zstd),
        (links.finish(), Compression::None),
    ]
}

fn expected() -> BTreeSet<String> {
    [
        "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl",
        "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
        "pkg:npm/new@3.0.0",
        "pkg:npm/app@0.2.0",
        "pkg:npm/linked@1.0.0",
        "pkg:pypi/pygments@2.6.1",
        "pkg:pypi/requests@2.22.0",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

#[test]
fn layout_oci_archive_and_docker_archive_give_the_same_packages() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layers();
    let layout = dir.path().join("img");
    let digest = write_layout(&layout, &layers, "v1");
    let archive = dir.path().join("img.tar");
    tar_dir(&layout, &archive);
    let docker = dir.path().join("docker.tar");
    let tars: Vec<Vec<u8>> = layers.iter().map(|(t, _)| t.clone()).collect();
    write_docker_archive(&docker, &tars, "example/app:v1");

    let from_layout = scan(&format!("oci:{}:v1", layout.display())).unwrap();
    let mut got = purls(&from_layout);
    // `/opt/hard/package.json` is the same package.json as `/opt/real/…`: two locations of
    // one package, as syft reports it.
    assert!(got.remove("pkg:npm/linked@1.0.0"));
    got.insert("pkg:npm/linked@1.0.0".into());
    assert_eq!(got, expected());
    assert_eq!(
        from_layout
            .catalog
            .packages
            .iter()
            .filter(|p| p.name == "linked")
            .count(),
        2,
        "the hard link and its target are both package.json files"
    );
    assert_eq!(from_layout.meta.manifest_digest, Some(digest));
    assert_eq!(from_layout.catalog.distro.as_ref().unwrap().id, "alpine");
    let musl = from_layout
        .catalog
        .packages
        .iter()
        .find(|p| p.name == "musl")
        .unwrap();
    assert_eq!(musl.files[0].path, "/lib/ld-musl-x86_64.so.1");
    assert_eq!(musl.licenses, ["MIT"]);
    // `old` and `@scope/kept` sit under the opaque `app/node_modules`, `gone` is whited out.
    assert!(
        !from_layout
            .catalog
            .packages
            .iter()
            .any(|p| ["old", "@scope/kept", "gone"].contains(&p.name.as_str()))
    );
    for (a, b) in &from_layout.catalog.dependencies {
        assert!(*a < from_layout.catalog.packages.len() && *b < from_layout.catalog.packages.len());
    }

    let from_archive = scan(&format!("oci-archive:{}", archive.display())).unwrap();
    assert_eq!(purls(&from_archive), purls(&from_layout));
    assert_eq!(from_archive.meta.manifest_digest, Some(digest));
    assert_eq!(from_archive.meta.tags, ["v1"]);

    let from_docker = scan(&format!("docker-archive:{}", docker.display())).unwrap();
    assert_eq!(purls(&from_docker), purls(&from_layout));
    assert_eq!(from_docker.meta.tags, ["example/app:v1"]);
    assert!(from_docker.meta.config_digest.is_some());
}

#[test]
fn directory_scans_read_cargo_lock_and_image_scans_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"memchr\"\nversion = \"2.3.3\"\n\
         source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"memchr\",\n]\n",
    )
    .unwrap();
    let s = scan(&format!("dir:{}", root.display())).unwrap();
    let names: Vec<(&str, Option<&str>)> = s
        .catalog
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.purl.as_deref()))
        .collect();
    assert_eq!(
        names,
        [("app", None), ("memchr", Some("pkg:cargo/memchr@2.3.3"))],
        "a crate without source gets no purl"
    );
    assert_eq!(s.catalog.dependencies, [(0, 1)]);

    let mut l = Layer::new();
    l.file(
        "src/Cargo.lock",
        &std::fs::read(root.join("Cargo.lock")).unwrap(),
        0o644,
    );
    let layout = dir.path().join("img");
    write_layout(&layout, &[(l.finish(), Compression::Gzip)], "v1");
    let s = scan(&format!("oci:{}", layout.display())).unwrap();
    assert!(s.catalog.packages.is_empty());
}

fn one_layer_image(dir: &Path, layer: Layer, c: Compression) -> String {
    let layout = dir.join("img");
    write_layout(&layout, &[(layer.finish(), c)], "v1");
    format!("oci:{}:v1", layout.display())
}

#[test]
fn path_traversal_is_refused_naming_layer_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file("etc/ok", b"x", 0o644).raw_entry(
        b"../../etc/passwd",
        tar::EntryType::Regular,
        b"root::0:0",
    );
    let src = one_layer_image(dir.path(), l, Compression::Gzip);
    let e = scan(&src).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Entry { .. }), "{text}");
    assert!(text.contains("sha256:"), "{text}");
    assert!(text.contains("../../etc/passwd"), "{text}");
    assert!(text.contains("escapes the image root"), "{text}");
}

#[test]
fn hard_links_out_of_the_root_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.raw_entry(b"x", tar::EntryType::Regular, b"");
    let mut tar_bytes = l.finish();
    // A hard link whose target climbs out: build it by hand (the tar crate refuses `..`).
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Link);
    h.set_size(0);
    h.set_mode(0o644);
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..4].copy_from_slice(b"link");
        gnu.linkname[..13].copy_from_slice(b"../etc/shadow");
    }
    h.set_cksum();
    tar_bytes.truncate(tar_bytes.len() - 1024);
    tar_bytes.extend_from_slice(h.as_bytes());
    tar_bytes.extend_from_slice(&[0u8; 1024]);
    let layout = dir.path().join("img");
    write_layout(&layout, &[(tar_bytes, Compression::None)], "v1");
    let e = scan(&format!("oci:{}", layout.display())).unwrap_err();
    assert!(e.to_string().contains("hard link target"), "{e}");
}

#[test]
fn invalid_whiteouts_are_refused_and_an_opaque_root_is_contained() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file("a/.wh..", b"", 0o644);
    let e = scan(&one_layer_image(dir.path(), l, Compression::None)).unwrap_err();
    assert!(e.to_string().contains("invalid whiteout"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let mut base = Layer::new();
    base.file("lib/apk/db/installed", APK_DB.as_bytes(), 0o644);
    let mut top = Layer::new();
    top.file(".wh..wh..opq", b"", 0o644).file(
        "app/package.json",
        br#"{"name":"only","version":"1.0.0"}"#,
        0o644,
    );
    let layout = dir.path().join("img");
    write_layout(
        &layout,
        &[
            (base.finish(), Compression::Gzip),
            (top.finish(), Compression::Gzip),
        ],
        "v1",
    );
    let s = scan(&format!("oci:{}", layout.display())).unwrap();
    let names: Vec<&str> = s.catalog.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["only"], "an opaque root hides every lower layer");
}

#[test]
fn symlink_escapes_resolve_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file("usr/lib/os-release", b"ID=debian\nVERSION_ID=12\n", 0o644)
        .symlink("etc/os-release", "../../../../../../usr/lib/os-release")
        .symlink("srv/state", "/../../../../var/lib")
        .file(
            "var/lib/dpkg/status",
            b"Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n",
            0o644,
        )
        .symlink("loop/a", "b")
        .symlink("loop/b", "a");
    let s = scan(&one_layer_image(dir.path(), l, Compression::Zstd)).unwrap();
    assert_eq!(s.catalog.distro.as_ref().unwrap().id, "debian");
    assert_eq!(
        s.index.resolve("/srv/state/dpkg/status").as_deref(),
        Some("/var/lib/dpkg/status")
    );
    assert_eq!(s.index.resolve("/loop/a"), None);
    assert_eq!(
        s.catalog.packages[0].purl.as_deref(),
        Some("pkg:deb/debian/base-files@12.4?arch=amd64&distro=debian-12")
    );
}

#[test]
fn decompression_bombs_and_byte_limits_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file("zeros", &vec![0u8; 24 << 20], 0o644);
    let src = one_layer_image(dir.path(), l, Compression::Gzip);
    let mut limits = Limits::default();
    limits.ratio_grace_bytes = 1 << 20;
    limits.max_compression_ratio = 100;
    let e = scan_with(&src, &ScanOptions::new().limits(limits)).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("compression ratio limit"), "{text}");
    assert!(text.contains("sha256:"), "{text}");

    let mut limits = Limits::default();
    limits.max_total_bytes = 4 << 20;
    let e = scan_with(&src, &ScanOptions::new().limits(limits)).unwrap_err();
    assert!(e.to_string().contains("total bytes limit"), "{e}");

    let mut limits = Limits::default();
    limits.max_entries = 1;
    let mut l = Layer::new();
    l.file("a", b"", 0o644).file("b", b"", 0o644);
    let dir = tempfile::tempdir().unwrap();
    let e = scan_with(
        &one_layer_image(dir.path(), l, Compression::None),
        &ScanOptions::new().limits(limits),
    )
    .unwrap_err();
    assert!(e.to_string().contains("entries limit"), "{e}");
}

#[test]
fn a_corrupted_layer_blob_is_a_digest_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file(
        "app/package.json",
        br#"{"name":"x","version":"1.0.0"}"#,
        0o644,
    );
    let layout = dir.path().join("img");
    write_layout(&layout, &[(l.finish(), Compression::None)], "v1");
    // Flip one byte inside the layer blob (same size, different digest).
    let blobs = layout.join("blobs/sha256");
    let manifest_bytes = {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let d = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
        std::fs::read(blobs.join(&d[7..])).unwrap()
    };
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap()[7..].to_owned();
    let path = blobs.join(&layer);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[600] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let e = scan(&format!("oci:{}", layout.display())).unwrap_err();
    assert!(e.to_string().contains("digest"), "{e}");

    // The same for an oci-archive (verified by boltseal-scan itself).
    let archive = dir.path().join("img.tar");
    tar_dir(&layout, &archive);
    let e = scan(&format!("oci-archive:{}", archive.display())).unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
}

use boltseal_test_support as support;

#[test]
fn sbom_example_exit_status_contract() {
    let run = |args: &[&str]| {
        std::process::Command::new(support::example("sbom"))
            .args(args)
            .output()
            .unwrap()
    };
    let one_line_error = |o: &std::process::Output| {
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.starts_with("error: ") && e.lines().count() == 1, "{e}");
    };
    let r = run(&["oci:/nonexistent-boltseal-layout"]);
    assert_eq!(r.status.code(), Some(1));
    one_line_error(&r);
    let r = run(&["docker-archive:/nonexistent-boltseal.tar"]);
    assert_eq!(r.status.code(), Some(1));
    one_line_error(&r);
    let r = run(&["dir:/tmp", "-o", "yaml"]);
    assert_eq!(r.status.code(), Some(2));
    one_line_error(&r);
    let r = run(&[]);
    assert_eq!(r.status.code(), Some(2));
    one_line_error(&r);

    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.raw_entry(b"../escape", tar::EntryType::Regular, b"x");
    let src = one_layer_image(dir.path(), l, Compression::Gzip);
    let r = run(&[&src]);
    assert_eq!(r.status.code(), Some(2));
    one_line_error(&r);

    let mut l = Layer::new();
    l.file(
        "app/package.json",
        br#"{"name":"a","version":"1.0.0"}"#,
        0o644,
    );
    let dir = tempfile::tempdir().unwrap();
    let src = one_layer_image(dir.path(), l, Compression::Gzip);
    let out = dir.path().join("out.cdx.json");
    let r = run(&[
        &src,
        "-o",
        "cyclonedx-json@1.5",
        "--file",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(
        r.stdout.is_empty() && r.stderr.is_empty(),
        "no progress when not a terminal"
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["specVersion"], "1.5");
    assert_eq!(doc["components"][0]["purl"], "pkg:npm/a@1.0.0");
}

/// Issue 13: a 100 KB layer of 200 GNU sparse `package.json` entries, each claiming 64 MiB and
/// storing nothing, once made `sbom` zero-fill and keep every one (13 GB, 42 s). Sparse
/// entries are indexed, never read: the scan completes with an SBOM, in bounded time and
/// memory (a debug build of the example).
#[test]
fn sparse_package_json_bomb_completes_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file(
        "app/package.json",
        br#"{"name":"app","version":"1.0.0"}"#,
        0o644,
    );
    for i in 0..200 {
        l.sparse_hole(&format!("app/node_modules/p{i}/package.json"), 64 << 20);
    }
    let src = one_layer_image(dir.path(), l, Compression::Gzip);
    let out = dir.path().join("out.spdx.json");
    let cost = support::run_measured(
        std::process::Command::new(support::example("sbom")).args([
            src.as_str(),
            "-o",
            "spdx-json",
            "--file",
            out.to_str().unwrap(),
        ]),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(
        cost.output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cost.output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let names: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"app"), "{names:?}");
    eprintln!(
        "sparse bomb: {:?}, peak RSS {} MiB",
        cost.elapsed,
        cost.peak_rss >> 20
    );
    cost.assert_within(20, 300);
}
