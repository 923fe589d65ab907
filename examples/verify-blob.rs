//! `verify-blob`: cosign verify-blob (contract: ARCHITECTURE.md).

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::evidence::cosign::CosignFlags;
use boltseal::verify::bundle::{Artifact, Verifier};
use clap::Parser;
use common::{Code as _, Failure};

/// Verify a file against its Sigstore bundle.
#[derive(Parser, Debug)]
#[command(name = "verify-blob")]
struct Args {
    /// The Sigstore bundle (v0.1–v0.3 JSON).
    #[arg(long)]
    bundle: PathBuf,
    /// Public key (or any key file cosign's `--key` reads) that must have signed.
    #[arg(long, conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"])]
    key: Option<PathBuf>,
    /// Keyless: the signing certificate's identity (SAN), exactly.
    #[arg(long, conflicts_with = "certificate_identity_regexp")]
    certificate_identity: Option<String>,
    /// Keyless: a regular expression the certificate's identity must match.
    #[arg(long)]
    certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer recorded in the certificate, exactly.
    #[arg(long, conflicts_with = "certificate_oidc_issuer_regexp")]
    certificate_oidc_issuer: Option<String>,
    /// Keyless: a regular expression the OIDC issuer must match.
    #[arg(long)]
    certificate_oidc_issuer_regexp: Option<String>,
    /// A trusted_root.json (or client trust config) instead of the embedded public-good root.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// Accept a bundle without a verified transparency-log entry.
    #[arg(long)]
    insecure_ignore_tlog: bool,
    /// The signed file.
    file: PathBuf,
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let mut flags = CosignFlags::default();
    flags.keys = args.key.into_iter().collect();
    flags.certificate_identity = args.certificate_identity;
    flags.certificate_identity_regexp = args.certificate_identity_regexp;
    flags.certificate_oidc_issuer = args.certificate_oidc_issuer;
    flags.certificate_oidc_issuer_regexp = args.certificate_oidc_issuer_regexp;
    flags.trusted_root = args.trusted_root;
    let (policy, trust) = flags.bundle_policy(args.insecure_ignore_tlog).code(2)?;
    let bundle = common::read(&args.bundle)?;
    let data = common::read(&args.file)?;
    Verifier::new(&trust)
        .verify_json(&bundle, &Artifact::Bytes(&data), &policy)
        .code(1)?;
    eprintln!("Verified OK");
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}
