//! `verify --key PUB [-a k=v]... IMAGE`: verify an image's signatures with a public key
//! (stands in for `cosign verify --key`). Reads both layouts: legacy `sha256-<hex>.sig` layers
//! and Sigstore bundle referrers.
//!
//! Keyless: `verify --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root F]`
//! (or the `-regexp` forms) checks legacy signatures with a Fulcio certificate and a Rekor bundle,
//! and keyless Sigstore bundle referrers, against the trusted root (default: the embedded
//! public-good root).
//!
//! Prints a JSON array of the verified payloads on stdout. Any doubt is a failure: one `error:`
//! line naming each rejected signature's reason, exit 1.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::verify::Claim;
use clap::Parser;
use common::Failure;

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    about = "Verify a container image's signatures with a key or a keyless identity"
)]
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

fn run() -> Result<ExitCode, Failure> {
    let args = common::args::<Args>()?;
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
    run().unwrap_or_else(common::report)
}
