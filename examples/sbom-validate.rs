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
    common::args().and_then(run).unwrap_or_else(common::report)
}

/// Validates every file in turn; exit status 1 when any is invalid.
fn run(args: Args) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    let mut invalid = false;
    for file in &args.files {
        let bytes = common::read(file)?;
        let v = boltseal::sbom::validate(&bytes)
            .code(2)
            .context(file.display())?;
        for f in &v.findings {
            let error = f.severity == Severity::Error;
            if error || !args.quiet {
                let word = if error { "invalid" } else { "warning" };
                let element = Some(f.element.as_str()).filter(|e| !e.is_empty());
                let _ = writeln!(out, "{word}: {}: {}", element.unwrap_or("/"), f.message);
            }
        }
        let (file, format) = (file.display(), v.format);
        let _ = match v.errors().count() {
            0 => writeln!(out, "{file}: valid {format}"),
            n => writeln!(out, "{file}: invalid {format} ({n} errors)"),
        };
        invalid |= !v.is_valid();
    }
    Ok(ExitCode::from(u8::from(invalid)))
}
