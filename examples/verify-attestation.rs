//! `verify-attestation --key PUB --type T IMAGE`: verify an image's attestations with a public
//! key and print the verified in-toto statements of predicate type T as a JSON array (stands in
//! for `cosign verify-attestation`). Unlike cosign, statements of other types, or about another
//! digest, are never printed.
//!
//! Keyless: `verify-attestation --certificate-identity ID --certificate-oidc-issuer URL
//! [--trusted-root F] --type T IMAGE` (or the `-regexp` forms) checks legacy `.att` layers with a
//! Fulcio certificate and a Rekor bundle, and keyless Sigstore bundle referrers, against the
//! trusted root (default: the embedded public-good root).

mod common;

use std::process::ExitCode;

use boltseal::evidence::cosign::predicate_type;
use boltseal::verify::Claim;
use clap::Parser;
use common::Failure;

#[derive(Parser, Debug)]
#[command(
    name = "verify-attestation",
    about = "Verify a container image's attestations with a key or a keyless identity"
)]
struct Args {
    #[command(flatten)]
    verify: common::verify::VerifyArgs,
    /// Predicate type: a cosign type name (spdxjson, cyclonedx, slsaprovenance1, …) or a URI.
    #[arg(long = "type", default_value = "custom")]
    predicate_type: String,
}

fn run() -> Result<ExitCode, Failure> {
    let args = common::args::<Args>()?;
    let authority = args.verify.flags().authority()?;
    let predicate_type = predicate_type(&args.predicate_type)?;
    let what = format!("attestation(s) of type {predicate_type} verified");
    args.verify
        .verify(&authority, &Claim::attestation(predicate_type), &what)
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}
