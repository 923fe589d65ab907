//! `copy SRC DST`: copy an image between OCI layouts and registries without changing its digest
//! (stands in for `skopeo copy`).
//!
//! ```text
//! cargo run --example copy -- oci:target/img:v1 127.0.0.1:5000/team/app:v1
//! cargo run --example copy -- --with-signatures 127.0.0.1:5000/team/app:v1 oci:mirror:v1
//! ```
//!
//! Locations: `oci:DIR[:TAG|@DIGEST]` or `HOST[:PORT]/PATH[:TAG|@DIGEST]` (also `docker://…`).
//! The copied digest is printed on stdout; progress for large blobs goes to stderr.

mod common;

use std::process::ExitCode;
use std::sync::Arc;

use boltseal::oci::{
    CopyEvent, CopyOptions, ImageLocation, ManifestRef, Platform, RegistryOptions, copy_image,
};
use clap::Parser;

/// Blobs at least this large get progress lines.
const LARGE_BLOB: u64 = 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "copy",
    about = "Copy an image between OCI layouts and registries, digest unchanged"
)]
struct Args {
    /// Also copy signatures, attestations, SBOMs (cosign tags) and OCI referrers.
    #[arg(long)]
    with_signatures: bool,
    /// Copy only this platform's manifest out of an index (os/arch[/variant]).
    #[arg(long)]
    platform: Option<Platform>,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// Source image.
    src: ImageLocation,
    /// Destination image.
    dst: ImageLocation,
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    common::runtime().block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let src = match args.src.open(&options).await {
        Ok(s) => s,
        Err(e) => return common::fail(format!("{}: {e}", args.src), common::store_exit(&e)),
    };
    let top = match args.src.resolve(&src).await {
        Ok(d) => d,
        Err(e) => return common::fail(format!("{}: {e}", args.src), common::store_exit(&e)),
    };
    let dst = match args.dst.create(&options).await {
        Ok(s) => s,
        Err(e) => return common::fail(format!("{}: {e}", args.dst), common::store_exit(&e)),
    };
    // Tag at the destination: the one named there, else the source's tag, else `latest`.
    let tag = match args.dst.manifest_ref() {
        Some(ManifestRef::Tag(t)) => Some(t),
        Some(ManifestRef::Digest(d)) => {
            if d != top.digest && args.platform.is_none() {
                return common::fail(
                    format!("{}: source digest is {}, not {d}", args.dst, top.digest),
                    1,
                );
            }
            None
        }
        _ => Some(args.src.tag().unwrap_or_else(|| "latest".to_owned())),
    };
    let mut copy_options = CopyOptions::new()
        .with_signatures(args.with_signatures)
        .platform(args.platform.clone());
    if !args.quiet {
        copy_options = copy_options.progress(Arc::new(|event: &CopyEvent| match event {
            CopyEvent::BlobStarted(d) if d.size >= LARGE_BLOB => {
                eprintln!("copying blob {} ({})", d.digest, common::human_size(d.size));
            }
            CopyEvent::BlobMounted(d) if d.size >= LARGE_BLOB => {
                eprintln!("mounted blob {} ({})", d.digest, common::human_size(d.size));
            }
            CopyEvent::ArtifactCopied(name) => eprintln!("copied artifact {name}"),
            _ => {}
        }));
    }
    let reference = ManifestRef::Digest(top.digest);
    match copy_image(&src, &reference, &dst, tag.as_deref(), &copy_options).await {
        Ok(report) => {
            let digest = report
                .descriptor
                .as_ref()
                .map(|d| d.digest.to_string())
                .unwrap_or_default();
            if !args.quiet {
                eprintln!(
                    "copied {} -> {}: {} manifest(s), {} blob(s) copied ({}), {} already present, {} mounted{}",
                    args.src,
                    args.dst,
                    report.manifests,
                    report.blobs_copied,
                    common::human_size(report.bytes_copied),
                    report.blobs_skipped,
                    report.blobs_mounted,
                    if report.artifacts.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", {} signature/attestation artifact(s)",
                            report.artifacts.len()
                        )
                    }
                );
            }
            println!("{digest}");
            ExitCode::SUCCESS
        }
        Err(e) => common::fail(
            format!("copy {} -> {}: {e}", args.src, args.dst),
            common::store_exit(&e),
        ),
    }
}
