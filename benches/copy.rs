//! Copying an image: boltseal's `copy_image` against `skopeo copy` (the peer it replaces), in the
//! same run, layout → layout and layout → registry (a real `docker-registry` on loopback).
//!
//! `cargo bench --bench copy`. The skopeo rows are skipped when skopeo is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use boltseal_test_support as support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use boltseal::oci::{
    CopyOptions, ImageBuilder, LayoutStore, ManifestRef, RegistryOptions, RegistryStore, copy_image,
};
use boltseal::reference::Reference;

fn main() {
    divan::main();
}

/// 16 MiB of incompressible content in one layer, plus a small file.
const LAYER_BYTES: usize = 16 * 1024 * 1024;

struct Fixture {
    _dir: tempfile::TempDir,
    policy: PathBuf,
    registry: support::Registry,
}

/// A fresh source layout whose layer content is unique, so that neither tool can skip or mount
/// blobs it has seen in an earlier iteration (skopeo keeps a blob-info cache across runs).
struct Input {
    dir: tempfile::TempDir,
    repo: String,
}

impl Input {
    fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }
    fn dst(&self) -> PathBuf {
        self.dir.path().join("dst")
    }
}

fn input() -> Input {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = tempfile::tempdir().unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d ^ (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let noise: Vec<u8> = (0..LAYER_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let src = dir.path().join("src");
    rt().block_on(async {
        let store = LayoutStore::create(&src).await.unwrap();
        ImageBuilder::new()
            .file("etc/os-release", b"ID=bench\n", 0o644)
            .file("data/blob.bin", &noise, 0o644)
            .build()
            .unwrap()
            .write_to(&store, Some("v1"))
            .await
            .unwrap();
    });
    Input {
        dir,
        repo: fixture().registry.repo(&format!("bench/r{n}")),
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.json");
        std::fs::write(
            &policy,
            br#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        Fixture {
            policy,
            registry: support::Registry::start(),
            _dir: dir,
        }
    })
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn skopeo(src: &str, dst: &str) {
    let f = fixture();
    let status = Command::new("skopeo")
        .arg("--policy")
        .arg(&f.policy)
        .args([
            "copy",
            "-q",
            "--preserve-digests",
            "--dest-tls-verify=false",
            src,
            dst,
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

fn layout(path: &Path) -> String {
    format!("oci:{}:v1", path.display())
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_layout_boltseal(bencher: divan::Bencher<'_, '_>) {
    bencher.with_inputs(input).bench_local_values(|input| {
        rt().block_on(async {
            let src = LayoutStore::open(input.src()).await.unwrap();
            let dst = LayoutStore::create(input.dst()).await.unwrap();
            copy_image(
                &src,
                &ManifestRef::Tag("v1".into()),
                &dst,
                Some("v1"),
                &CopyOptions::new(),
            )
            .await
            .unwrap();
        });
        input
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_layout_skopeo(bencher: divan::Bencher<'_, '_>) {
    if !support::have("skopeo") {
        eprintln!("SKIPPED: skopeo is not installed");
        return;
    }
    bencher.with_inputs(input).bench_local_values(|input| {
        skopeo(&layout(&input.src()), &layout(&input.dst()));
        input
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_registry_boltseal(bencher: divan::Bencher<'_, '_>) {
    bencher.with_inputs(input).bench_local_values(|input| {
        rt().block_on(async {
            let src = LayoutStore::open(input.src()).await.unwrap();
            let r: Reference = input.repo.parse().unwrap();
            let dst = RegistryStore::new(&r, RegistryOptions::new()).unwrap();
            copy_image(
                &src,
                &ManifestRef::Tag("v1".into()),
                &dst,
                Some("v1"),
                &CopyOptions::new(),
            )
            .await
            .unwrap();
        });
        input
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_registry_skopeo(bencher: divan::Bencher<'_, '_>) {
    if !support::have("skopeo") {
        eprintln!("SKIPPED: skopeo is not installed");
        return;
    }
    bencher.with_inputs(input).bench_local_values(|input| {
        skopeo(
            &layout(&input.src()),
            &format!("docker://{}:v1", input.repo),
        );
        input
    });
}
