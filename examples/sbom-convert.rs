//! `sbom-convert IN -o FORMAT`: convert an SBOM between SPDX and CycloneDX JSON.
//!
//! `IN` is a file (or `-` for standard input) in SPDX 2.2/2.3 or CycloneDX 1.4–1.7 JSON; the
//! format is detected. `FORMAT` is `spdx-json[@2.3]` or `cyclonedx-json[@1.4|@1.5|@1.6]`
//! (default 1.6). The converted document goes to standard output (or `--file OUT`); every
//! fact that could not be carried over is one `lost: <element>: <what>` line on standard error
//! (`-q` silences them). Exit status: 0 converted, 2 usage or input error (one `error:` line).

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::sbom::{Format, WriteOptions, convert};
use clap::Parser;

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
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let format: Format = match args.format.parse() {
        Ok(f) => f,
        Err(e) => return common::fail(e, 2),
    };
    let mut bytes = Vec::new();
    let read = if args.input == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(&args.input).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    if let Err(e) = read {
        return common::fail(format!("{}: {e}", args.input), 2);
    }
    let opts = WriteOptions::new().pretty(args.pretty);
    let converted = match convert::convert(&bytes, format, &opts) {
        Ok(c) => c,
        Err(e) => return common::fail(format!("{}: {e}", args.input), 2),
    };
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        for note in &converted.report.notes {
            let _ = writeln!(err, "lost: {note}");
        }
    }
    let mut out = converted.bytes;
    out.push(b'\n');
    let written = match &args.file {
        Some(path) => std::fs::write(path, &out),
        None => std::io::stdout().lock().write_all(&out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => common::fail(format!("cannot write the output: {e}"), 2),
    }
}
