//! The main job: the supply chain end to end on the embedded default (OCI layouts under
//! `target/`), or against a registry with `--registry HOST/REPO`.
//!
//! ```text
//! cargo run --release --example supply_chain
//! cargo run --release --example supply_chain -- --registry 127.0.0.1:5000/demo/app
//! ```
//!
//! It builds a small, reproducible sample image, generates a key pair (password from
//! `COSIGN_PASSWORD`, empty when unset), signs the image (cosign's legacy `.sig` layout),
//! attests SLSA v1 provenance for it, publishes image, signature and attestation (a second
//! layout, or the registry), and checks the published digest. Later capabilities (SBOM,
//! verification, admission) add their steps here.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::envelope::intoto::ResourceDescriptor;
use boltseal::envelope::slsa::{Provenance, Timestamp};
use boltseal::keys::{KeyFormat, PrivateKey, write_key_pair};
use boltseal::oci::{
    AnyStore, CopyOptions, ImageBuilder, ImageLocation, LayoutStore, ManifestRef, RegistryOptions,
    Store, copy_image,
};
use boltseal::reference::Digest;
use boltseal::sign::{AttestOptions, SignOptions, attest_image, now_rfc3339, sign_image};
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
/// The signing identity of the sample image in its build layout.
const IDENTITY: &str = "localhost/boltseal-demo:v1";
/// The sample's files: path, contents, mode.
const FILES: [(&str, &[u8], u32); 3] = [
    (
        "etc/os-release",
        b"ID=boltseal-demo\nVERSION_ID=1\nPRETTY_NAME=\"boltseal demo\"\n",
        0o644,
    ),
    (
        "app/hello.sh",
        b"#!/bin/sh\necho hello from a verified image\n",
        0o755,
    ),
    (
        "app/README",
        b"A sample image built by boltseal's supply_chain example.\n",
        0o644,
    ),
];

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
    const STEPS: usize = 6;
    let started = now_rfc3339();
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

    // 2. A key pair (cosign's format), kept with the demo.
    let keys_dir = args.workdir.join("keys");
    if let Err(e) = std::fs::create_dir_all(&keys_dir) {
        return common::fail(format!("{}: {e}", keys_dir.display()), 2);
    }
    let password = std::env::var_os(boltseal::keys::PASSWORD_ENV)
        .map(|p| p.into_encoded_bytes())
        .unwrap_or_default();
    let key = match PrivateKey::generate() {
        Ok(k) => k,
        Err(e) => return common::fail(e, 1),
    };
    let key_paths = match write_key_pair(
        &keys_dir.join("cosign"),
        &key,
        &password,
        KeyFormat::default(),
        true,
    ) {
        Ok(p) => p,
        Err(e) => return common::fail(e, 2),
    };
    step(
        2,
        STEPS,
        &format!(
            "generated an ECDSA P-256 key pair: {} (encrypted, 0600) and {}",
            key_paths.private.display(),
            key_paths.public.display()
        ),
    );

    // 3. Sign the image (the digest, resolved once).
    let reference = ManifestRef::Digest(built.digest);
    let signed = match sign_image(
        &build,
        &reference,
        IDENTITY,
        &key,
        &SignOptions::new().annotation("pipeline", "supply_chain"),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return common::fail(format!("sign: {e}"), 1),
    };
    step(
        3,
        STEPS,
        &format!(
            "signed {} as {IDENTITY} -> {}",
            signed.digest, signed.location
        ),
    );

    // 4. Attest how it was built: SLSA v1 provenance.
    let provenance = match provenance(&started, &image.diff_id) {
        Ok(p) => p,
        Err(e) => return common::fail(format!("provenance: {e}"), 1),
    };
    let attested = match attest_image(
        &build,
        &reference,
        IDENTITY,
        &key,
        &AttestOptions::new(
            boltseal::envelope::predicate::SLSA_PROVENANCE_V1,
            provenance,
        ),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return common::fail(format!("attest: {e}"), 1),
    };
    step(
        4,
        STEPS,
        &format!("attested SLSA v1 provenance -> {}", attested.location),
    );

    // 5. Publish it: to the registry, or to a second layout (a mirror).
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
        &reference,
        &published,
        Some(TAG),
        &CopyOptions::new().with_signatures(true),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return common::fail(format!("publish to {destination}: {e}"), 1),
    };
    step(
        5,
        STEPS,
        &format!(
            "published to {destination} with {} signature/attestation artifact(s): {} manifest(s), {} blob(s) copied ({}), {} already there",
            report.artifacts.len(),
            report.manifests,
            report.blobs_copied,
            common::human_size(report.bytes_copied),
            report.blobs_skipped
        ),
    );

    // 6. Check what the destination serves under the tag.
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
        6,
        STEPS,
        &format!(
            "checked: {destination} resolves to {} (digest unchanged)",
            served.digest
        ),
    );
    ExitCode::SUCCESS
}

/// SLSA v1 provenance of the sample build: the builder is this example, the inputs are the
/// sample's files.
fn provenance(started: &str, diff_id: &Digest) -> Result<serde_json::Value, String> {
    let mut builder = Provenance::builder(
        "https://example.invalid/boltseal/supply_chain/v1",
        "https://example.invalid/boltseal/supply_chain",
    )
    .source("https://example.invalid/boltseal-demo.git", "v1")
    .external_parameter("tag", TAG)
    .internal_parameter("layerDiffId", diff_id.to_string())
    .builder_version("boltseal", env!("CARGO_PKG_VERSION"))
    .started_on(Timestamp::parse(started).map_err(|e| e.to_string())?)
    .finished_on(Timestamp::parse(&now_rfc3339()).map_err(|e| e.to_string())?);
    for (path, contents, _) in FILES {
        builder = builder.resolved_dependency(
            ResourceDescriptor::new(path, &Digest::sha256_of(contents)).uri(format!("file:{path}")),
        );
    }
    builder
        .build()
        .map(|p| p.to_value())
        .map_err(|e| e.to_string())
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
