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
    CopyOptions, ImageBuilder, LayoutStore, ManifestRef, RegistryOptions, RegistryStore, Store,
    copy_image,
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
    // splitmix64 over a counter: incompressible, and different for every input.
    let noise: Vec<u8> = (0..LAYER_BYTES as u64 / 8)
        .flat_map(|i| {
            let mut z = (n as u64) << 40 ^ i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)).to_le_bytes()
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
    static RT: std::sync::LazyLock<tokio::runtime::Runtime> =
        std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().unwrap());
    &RT
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

/// boltseal's copy of the input's `v1` to `dst`.
async fn copy_v1(input: &Input, dst: &impl Store) {
    let src = LayoutStore::open(input.src()).await.unwrap();
    let v1 = ManifestRef::Tag("v1".into());
    let options = CopyOptions::new();
    copy_image(&src, &v1, dst, Some("v1"), &options)
        .await
        .unwrap();
}

/// Whether the skopeo rows must be skipped (said on stderr).
fn no_skopeo() -> bool {
    let missing = !support::have("skopeo");
    if missing {
        eprintln!("SKIPPED: skopeo is not installed");
    }
    missing
}

fn layout(path: &Path) -> String {
    format!("oci:{}:v1", path.display())
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_layout_boltseal(bencher: divan::Bencher<'_, '_>) {
    bencher.with_inputs(input).bench_local_values(|input| {
        rt().block_on(async {
            let dst = LayoutStore::create(input.dst()).await.unwrap();
            copy_v1(&input, &dst).await;
        });
        input
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_layout_skopeo(bencher: divan::Bencher<'_, '_>) {
    if no_skopeo() {
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
        let r: Reference = input.repo.parse().unwrap();
        let dst = RegistryStore::new(&r, RegistryOptions::new()).unwrap();
        rt().block_on(copy_v1(&input, &dst));
        input
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn layout_to_registry_skopeo(bencher: divan::Bencher<'_, '_>) {
    if no_skopeo() {
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
