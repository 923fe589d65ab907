//! `keygen [--output-key-prefix P]`: write an ECDSA P-256 key pair as `P.key` (cosign's encrypted
//! format, mode 0600) and `P.pub` (stands in for `cosign generate-key-pair`).
//!
//! The password comes from `COSIGN_PASSWORD` (set but empty means an empty password) or a
//! prompt. Existing files are never overwritten without `--force`. `--legacy` writes the
//! `ENCRYPTED COSIGN PRIVATE KEY` label with scrypt N = 2^15, the only variant skopeo and podman
//! up to 1.11 read.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::keys::{KeyFormat, PrivateKey, read_password, write_key_pair};
use clap::Parser;
use common::{Code, Failure};

#[derive(Parser, Debug)]
#[command(name = "keygen", about = "Generate a cosign-compatible key pair")]
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
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let password = read_password(true).code(2)?;
    let key = PrivateKey::generate()?;
    let format = if args.legacy {
        KeyFormat::legacy()
    } else {
        KeyFormat::default()
    };
    // Refusing to overwrite is a usage error here (2), as cosign's prompt-less mode has it.
    let paths =
        write_key_pair(&args.output_key_prefix, &key, &password, format, args.force).code(2)?;
    eprintln!("Private key written to {}", paths.private.display());
    eprintln!("Public key written to {}", paths.public.display());
    Ok(ExitCode::SUCCESS)
}
