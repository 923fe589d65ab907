//! `verify`: verify an image's signatures (`cosign verify`); see ARCHITECTURE.md.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::verify::Claim;
use clap::Parser;
use common::Failure;

/// Verify a container image's signatures with a key or a keyless identity
#[derive(Parser, Debug)]
#[command(name = "verify")]
struct Args {
    #[command(flatten)]
    verify: common::verify::VerifyArgs,
    /// Also check the signed identity: REPO:TAG must match exactly, REPO matches any tag.
    #[arg(long)]
    identity: Option<String>,
    /// Require a Rekor SET on legacy signatures, verified with this Rekor public key.
    #[arg(long)]
    rekor_key: Option<PathBuf>,
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    let mut flags = args.verify.flags();
    flags.identity = args.identity;
    flags.rekor_key = args.rekor_key;
    let what = if flags.keys.is_empty() {
        "keyless signature(s) verified"
    } else {
        "signature(s) verified against the key"
    };
    args.verify
        .verify(&flags.authority()?, &Claim::Signature, what)
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}
