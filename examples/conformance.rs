//! `conformance`: a sigstore-conformance client; see ARCHITECTURE.md.

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use common::{Code as _, Failure};

use boltseal::reference::Digest;
use boltseal::verify::bundle::{Artifact, Identity, Policy, Verifier};
use boltseal::verify::trust::{PublicKey, TrustedRoot};
use clap::Parser;

/// sigstore-conformance client (offline bundle verification)
#[derive(Parser, Debug)]
#[command(name = "conformance")]
enum Command {
    /// Verify a Sigstore bundle.
    VerifyBundle(VerifyBundle),
    /// Sign into a bundle (not supported).
    SignBundle(Unsupported),
    /// Legacy detached-signature signing (not supported).
    Sign(Unsupported),
    /// Legacy detached-signature verification (not supported).
    Verify(Unsupported),
}

#[derive(clap::Args, Debug)]
struct VerifyBundle {
    /// The bundle to verify.
    #[arg(long)]
    bundle: PathBuf,
    /// Expected subject alternative name of the signing certificate.
    #[arg(long, requires = "certificate_oidc_issuer", conflicts_with = "key")]
    certificate_identity: Option<String>,
    /// Expected OIDC issuer of the signing certificate.
    #[arg(long, requires = "certificate_identity")]
    certificate_oidc_issuer: Option<String>,
    /// Verify with this public key (PEM) instead of a certificate identity.
    #[arg(long)]
    key: Option<PathBuf>,
    /// A trusted_root.json (or client trust config) to use instead of the embedded root.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// Use the staging instance (needs --trusted-root: no staging root is embedded).
    #[arg(long)]
    staging: bool,
    /// The artifact: a file, or `sha256:<hex>`.
    file_or_digest: String,
}

#[derive(clap::Args, Debug)]
struct Unsupported {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

fn verify_bundle(args: &VerifyBundle) -> Result<ExitCode, Failure> {
    let trust = match (&args.trusted_root, args.staging) {
        (Some(path), _) => {
            TrustedRoot::from_json(&common::read(path)?).or_exit(2, path.display())?
        }
        (None, true) => Err(Failure::usage(
            "--staging needs --trusted-root: no staging trust root is embedded",
        ))?,
        (None, false) => TrustedRoot::public_good(),
    };
    let (key, identity) = (&args.key, &args.certificate_identity);
    let policy = match (key, identity, &args.certificate_oidc_issuer) {
        (Some(path), None, None) => {
            Policy::key(PublicKey::from_pem(&common::read(path)?).or_exit(2, path.display())?)
        }
        (None, Some(identity), Some(issuer)) => Policy::identity(Identity::exact(identity, issuer)),
        _ => Err(Failure::usage(
            "give either --key or both --certificate-identity and --certificate-oidc-issuer",
        ))?,
    };
    let (bundle, input) = (common::read(&args.bundle)?, &args.file_or_digest);
    let data = (!input.starts_with("sha256:")).then(|| common::read(Path::new(input)));
    let data = data.transpose()?;
    let artifact = match &data {
        Some(data) => Artifact::Bytes(data),
        None => Artifact::Digest(Digest::parse(input).or_exit(2, input)?),
    };
    let verified = Verifier::new(&trust).verify_json(&bundle, &artifact, &policy);
    eprintln!("OK: {} bundle verified", verified.code(1)?.version);
    Ok(ExitCode::SUCCESS)
}

fn run() -> Result<ExitCode, Failure> {
    match common::args::<Command>()? {
        Command::VerifyBundle(verify) => verify_bundle(&verify),
        Command::SignBundle(_) | Command::Sign(_) => Err(Failure::usage(
            "signing is not supported: boltseal verifies offline and does not sign keylessly",
        )),
        Command::Verify(_) => Err(Failure::usage(
            "detached-signature verification is not supported: use verify-bundle",
        )),
    }
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}
