//! `sbom-validate`: validate SPDX and CycloneDX JSON documents; see ARCHITECTURE.md.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::sbom::validate::Severity;
use clap::Parser;
use common::{Code, Context, Failure};

/// Validate SBOM documents against their format's schema and semantic rules.
#[derive(Parser)]
#[command(name = "sbom-validate")]
struct Args {
    /// The documents to validate.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Do not print warnings.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}

/// Validates every file in turn; exit status 1 when any is invalid.
fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let mut out = std::io::stdout().lock();
    let mut invalid = false;
    for file in &args.files {
        let bytes = common::read(file)?;
        let v = boltseal::sbom::validate(&bytes)
            .code(2)
            .context(file.display())?;
        let mut errors = 0usize;
        for f in &v.findings {
            let word = match f.severity {
                Severity::Error => {
                    errors += 1;
                    "invalid"
                }
                _ if args.quiet => continue,
                _ => "warning",
            };
            let element = if f.element.is_empty() {
                "/"
            } else {
                &f.element
            };
            let _ = writeln!(out, "{word}: {element}: {}", f.message);
        }
        let _ = if errors == 0 {
            writeln!(out, "{}: valid {}", file.display(), v.format)
        } else {
            invalid = true;
            writeln!(
                out,
                "{}: invalid {} ({errors} errors)",
                file.display(),
                v.format
            )
        };
    }
    Ok(if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
