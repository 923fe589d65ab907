//! `sbom-convert IN -o FORMAT`: convert an SBOM between SPDX and CycloneDX JSON.
//!
//! `IN` is a file (or `-` for standard input) in SPDX 2.2/2.3 or CycloneDX 1.4–1.7 JSON; the
//! format is detected. `FORMAT` is `spdx-json[@2.3]` or `cyclonedx-json[@1.4|@1.5|@1.6]`
//! (default 1.6). The converted document goes to standard output (or `--file OUT`); every
//! fact that could not be carried over is one `lost: <element>: <what>` line on standard error
//! (`-q` silences them). Exit status: 0 converted, 2 usage or input error (one `error:` line).

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use boltseal::sbom::{Format, WriteOptions, convert};
use boltseal_core::fs::{AtomicWrite, write_atomic};
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
    run().map_or_else(common::report, |()| ExitCode::SUCCESS)
}

/// Converts the document and writes it, listing what was lost; a failure carries its exit
/// status.
fn run() -> Result<(), Failure> {
    let args: Args = common::args()?;
    let format: Format = args.format.parse()?;
    let bytes = if args.input == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .code(2)
            .context("-")?;
        bytes
    } else {
        common::read(Path::new(&args.input))?
    };
    let opts = WriteOptions::new().pretty(args.pretty);
    let converted = convert::convert(&bytes, format, &opts)
        .code(2)
        .context(&args.input)?;
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        for note in &converted.report.notes {
            let _ = writeln!(err, "lost: {note}");
        }
    }
    let mut out = converted.bytes;
    out.push(b'\n');
    match &args.file {
        Some(path) => write_atomic(path, &out, AtomicWrite::replace()).code(2),
        None => std::io::stdout().lock().write_all(&out).code(2),
    }
    .context("cannot write the output")
}
