//! `verify-attestation`: verify attestations (`cosign verify-attestation`); see ARCHITECTURE.md.

mod common;

use std::process::ExitCode;

use boltseal::evidence::cosign::predicate_type;
use boltseal::verify::Claim;
use clap::Parser;
use common::Failure;

/// Verify a container image's attestations with a key or a keyless identity
#[derive(Parser, Debug)]
#[command(name = "verify-attestation")]
struct Args {
    #[command(flatten)]
    verify: common::verify::VerifyArgs,
    /// Predicate type: a cosign type name (spdxjson, cyclonedx, slsaprovenance1, …) or a URI.
    #[arg(long = "type", default_value = "custom")]
    predicate_type: String,
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    let authority = args.verify.flags().authority()?;
    let predicate_type = predicate_type(&args.predicate_type)?;
    let what = format!("attestation(s) of type {predicate_type} verified");
    args.verify
        .verify(&authority, &Claim::attestation(predicate_type), &what)
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}
