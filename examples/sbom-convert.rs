//! `sbom-convert`: convert an SBOM between SPDX and CycloneDX JSON; see ARCHITECTURE.md.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::sbom::{Format, WriteOptions, convert};
use clap::Parser;
use common::{Code, Context, Failure};

/// Convert an SBOM between SPDX and CycloneDX JSON.
#[derive(Parser)]
#[command(name = "sbom-convert")]
struct Args {
    /// The SBOM to convert (`-` reads standard input).
    input: String,
    /// Output format: spdx-json[@2.3] or cyclonedx-json[@1.4|@1.5|@1.6].
    #[arg(short = 'o', long = "output")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Indent the output.
    #[arg(long)]
    pretty: bool,
    /// Do not list what could not be carried over.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let ran = common::args().and_then(run);
    ran.map_or_else(common::report, |()| ExitCode::SUCCESS)
}

/// Converts the document and writes it, listing what was lost; a failure carries its exit
/// status.
fn run(args: Args) -> Result<(), Failure> {
    let format: Format = args.format.parse()?;
    let bytes = boltseal::sbom::read_input(&args.input)
        .code(2)
        .context(&args.input)?;
    let opts = WriteOptions::new().pretty(args.pretty);
    let converted = convert::convert(&bytes, format, &opts)
        .code(2)
        .context(&args.input)?;
    for note in converted.report.notes.iter().filter(|_| !args.quiet) {
        eprintln!("lost: {note}");
    }
    let written = boltseal::sbom::write_output(args.file.as_deref(), &converted.bytes);
    written.code(2).context("cannot write the output")
}
