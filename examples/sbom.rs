//! `sbom`: an SBOM of an image (`syft IMAGE -o spdx-json`); see ARCHITECTURE.md.

mod common;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::Platform;
use boltseal::sbom::{Format, WriteOptions};
use boltseal::scan::{ScanOptions, Source};
use boltseal_core::Timestamp;
use clap::Parser;
use common::{Code, Context, Failure};

/// Generate an SBOM of a container image or directory.
#[derive(Parser)]
#[command(name = "sbom")]
struct Args {
    /// The image: oci:DIR, REGISTRY/REPO, oci-archive:FILE, docker-archive:FILE or dir:PATH.
    image: String,
    /// Output format: spdx-json (default) or cyclonedx-json[@1.5|@1.6].
    #[arg(short = 'o', long = "output", default_value = "spdx-json")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    file: Option<PathBuf>,
    /// The platform to pick from a multi-platform image (os/arch[/variant]).
    #[arg(long)]
    platform: Option<Platform>,
    /// Allow plain HTTP to a non-loopback registry.
    #[arg(long)]
    allow_http_registry: bool,
    /// No progress output.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let ran = common::args().and_then(run);
    ran.map_or_else(common::report, |()| ExitCode::SUCCESS)
}

/// Scans the image and writes its SBOM; a failure carries its exit status.
fn run(args: Args) -> Result<(), Failure> {
    let format: Format = args.format.parse()?;
    let source: Source = args.image.parse()?;
    let mut options = ScanOptions::new()
        .registry(boltseal::oci::RegistryOptions::new().allow_http(args.allow_http_registry));
    if let Some(platform) = args.platform {
        options = options.platform(platform);
    }
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if show_progress {
        options = options.progress(boltseal::scan::progress_line());
    }
    let result = common::runtime().block_on(boltseal::scan::scan(&source, &options));
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let scan = result.map_err(|e| Failure::new(&e, e.exit_code()))?;
    let opts = WriteOptions::new().created_at(Timestamp::now());
    let out = boltseal::scan::sbom::write(&scan, format, &opts).code(2)?;
    let written = boltseal::sbom::write_output(args.file.as_deref(), &out);
    written.code(2).context("cannot write the output")
}
