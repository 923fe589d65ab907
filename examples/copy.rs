//! `copy`: copy an image, digest unchanged (`skopeo copy`); see ARCHITECTURE.md.

mod common;

use std::process::ExitCode;
use std::sync::Arc;

use boltseal::oci::{CopyEvent, CopyOptions, ImageLocation, ManifestRef, Platform};
use boltseal::oci::{RegistryOptions, copy_image};
use clap::Parser;
use common::{Context, Failure};

/// Blobs at least this large get progress lines.
const LARGE_BLOB: u64 = 1024 * 1024;

/// Copy an image between OCI layouts and registries, digest unchanged
#[derive(Parser, Debug)]
#[command(name = "copy")]
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
    let copy = |args| common::runtime().block_on(run(args));
    let copied = common::args::<Args>().and_then(copy);
    copied.map_or_else(common::report, |()| ExitCode::SUCCESS)
}

async fn run(args: Args) -> Result<(), Failure> {
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let (src_name, dst_name) = (&args.src, &args.dst);
    let src = args.src.open(&options).await.context(src_name)?;
    let top = args.src.resolve(&src).await.context(src_name)?;
    let dst = args.dst.create(&options).await.context(dst_name)?;
    // Tag at the destination: the one named there, else the source's tag, else `latest`.
    let tag = match args.dst.manifest_ref() {
        Some(ManifestRef::Tag(t)) => Some(t),
        Some(ManifestRef::Digest(d)) if d != top.digest && args.platform.is_none() => {
            let message = format!("source digest is {}, not {d}", top.digest);
            return Err(Failure::refused(message).context(dst_name));
        }
        Some(ManifestRef::Digest(_)) => None,
        _ => Some(args.src.tag().unwrap_or_else(|| "latest".to_owned())),
    };
    let copy_options = CopyOptions::new().with_signatures(args.with_signatures);
    let mut copy_options = copy_options.platform(args.platform.clone());
    if !args.quiet {
        let progress = |e: &CopyEvent| {
            if let Some(line) = e.progress_line(LARGE_BLOB) {
                eprintln!("{line}");
            }
        };
        copy_options = copy_options.progress(Arc::new(progress));
    }
    let reference = ManifestRef::Digest(top.digest);
    let report = copy_image(&src, &reference, &dst, tag.as_deref(), &copy_options).await;
    let report = report.context(format_args!("copy {src_name} -> {dst_name}"))?;
    if !args.quiet {
        eprintln!("copied {src_name} -> {dst_name}: {report}");
    }
    let digest = report.descriptor.map(|d| d.digest.to_string());
    println!("{}", digest.unwrap_or_default());
    Ok(())
}
