//! The main job: the supply chain end to end on the embedded default (OCI layouts under
//! `target/`), or against a registry with `--registry HOST/REPO`.
//!
//! ```text
//! cargo run --release --example supply_chain
//! cargo run --release --example supply_chain -- --registry 127.0.0.1:5000/demo/app
//! ```
//!
//! Today it builds a small, reproducible sample image, publishes it (a second layout, or the
//! registry), and checks the published digest. Each later capability (SBOM, signing,
//! attestation, verification, admission) adds its step here.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::{
    AnyStore, CopyOptions, ImageBuilder, ImageLocation, LayoutStore, ManifestRef, RegistryOptions,
    Store, copy_image,
};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "supply_chain",
    about = "Build, publish and check a sample image"
)]
struct Args {
    /// Publish to this registry repository (`HOST[:PORT]/PATH`) instead of a second layout.
    #[arg(long)]
    registry: Option<String>,
    /// Working directory for the embedded layouts.
    #[arg(long, default_value = "target/boltseal-demo")]
    workdir: PathBuf,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
}

const TAG: &str = "v1";

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    common::runtime().block_on(run(args))
}

fn step(n: usize, total: usize, text: &str) {
    println!("[{n}/{total}] {text}");
}

async fn run(args: Args) -> ExitCode {
    const STEPS: usize = 3;
    // 1. Build the sample image into the build layout.
    let build_dir = args.workdir.join("build");
    if let Err(e) = reset_dir(&build_dir) {
        return common::fail(format!("{}: {e}", build_dir.display()), 2);
    }
    let build = match LayoutStore::create(&build_dir).await {
        Ok(s) => s,
        Err(e) => return common::fail(e, 1),
    };
    let image = ImageBuilder::new()
        .file(
            "etc/os-release",
            b"ID=boltseal-demo\nVERSION_ID=1\nPRETTY_NAME=\"boltseal demo\"\n",
            0o644,
        )
        .file(
            "app/hello.sh",
            b"#!/bin/sh\necho hello from a verified image\n",
            0o755,
        )
        .file(
            "app/README",
            b"A sample image built by boltseal's supply_chain example.\n",
            0o644,
        )
        .entrypoint(&["/app/hello.sh"])
        .label("org.opencontainers.image.title", "boltseal-demo")
        .label(
            "org.opencontainers.image.source",
            "https://example.invalid/boltseal-demo",
        )
        .build();
    let image = match image {
        Ok(i) => i,
        Err(e) => return common::fail(e, 1),
    };
    let built = match image.write_to(&build, Some(TAG)).await {
        Ok(d) => d,
        Err(e) => return common::fail(e, 1),
    };
    step(
        1,
        STEPS,
        &format!(
            "built sample image oci:{}:{TAG} {} (1 layer, {} compressed, diff_id {})",
            build_dir.display(),
            built.digest,
            common::human_size(image.layer_descriptor.size),
            image.diff_id
        ),
    );

    // 2. Publish it: to the registry, or to a second layout (a mirror).
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let destination = match &args.registry {
        Some(repo) => format!("{repo}:{TAG}"),
        None => {
            let mirror = args.workdir.join("mirror");
            if let Err(e) = reset_dir(&mirror) {
                return common::fail(format!("{}: {e}", mirror.display()), 2);
            }
            format!("oci:{}:{TAG}", mirror.display())
        }
    };
    let location = match ImageLocation::parse(&destination) {
        Ok(l) => l,
        Err(e) => return common::fail(e, 2),
    };
    let published: AnyStore = match location.create(&options).await {
        Ok(s) => s,
        Err(e) => {
            let code = common::store_exit(&e);
            return common::fail(e, code);
        }
    };
    let report = match copy_image(
        &build,
        &ManifestRef::Digest(built.digest),
        &published,
        Some(TAG),
        &CopyOptions::new(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return common::fail(format!("publish to {destination}: {e}"), 1),
    };
    step(
        2,
        STEPS,
        &format!(
            "published to {destination}: {} manifest, {} blob(s) copied ({}), {} already there",
            report.manifests,
            report.blobs_copied,
            common::human_size(report.bytes_copied),
            report.blobs_skipped
        ),
    );

    // 3. Check what the destination serves under the tag.
    let served = match published.resolve(&ManifestRef::Tag(TAG.to_owned())).await {
        Ok(d) => d,
        Err(e) => return common::fail(e, 1),
    };
    if served.digest != built.digest {
        return common::fail(
            format!(
                "{destination} serves {}, but {} was built",
                served.digest, built.digest
            ),
            1,
        );
    }
    step(
        3,
        STEPS,
        &format!(
            "checked: {destination} resolves to {} (digest unchanged)",
            served.digest
        ),
    );
    ExitCode::SUCCESS
}

/// Recreates a directory that this example owns. Refuses to clear a directory that is not an
/// OCI layout, so that nothing the user had is lost.
fn reset_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        if !dir.join("oci-layout").exists() {
            return Err(std::io::Error::other(
                "exists and is not an OCI layout; refusing to overwrite it",
            ));
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)
}
