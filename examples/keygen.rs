//! `keygen`: a cosign key pair (`cosign generate-key-pair`); see ARCHITECTURE.md.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::keys::{KeyFormat, PrivateKey, read_password, write_key_pair};
use clap::Parser;
use common::{Code, Failure};

/// Generate a cosign-compatible key pair
#[derive(Parser, Debug)]
#[command(name = "keygen")]
struct Args {
    /// Output file prefix: writes PREFIX.key and PREFIX.pub.
    #[arg(long, default_value = "cosign")]
    output_key_prefix: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
    /// Write the legacy label and scrypt cost that old skopeo/podman releases require.
    #[arg(long)]
    legacy: bool,
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    let password = read_password(true).code(2)?;
    let key = PrivateKey::generate()?;
    let format = args.legacy.then(KeyFormat::legacy).unwrap_or_default();
    // Refusing to overwrite is a usage error here (2), as cosign's prompt-less mode has it.
    let paths =
        write_key_pair(&args.output_key_prefix, &key, &password, format, args.force).code(2)?;
    eprintln!("Private key written to {}", paths.private.display());
    eprintln!("Public key written to {}", paths.public.display());
    Ok(ExitCode::SUCCESS)
}
