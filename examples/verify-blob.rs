//! `verify-blob --bundle B (--key PUB | --certificate-identity[-regexp] I
//! --certificate-oidc-issuer[-regexp] O) [--trusted-root F] [--insecure-ignore-tlog] FILE`:
//! check a file against its Sigstore bundle as `cosign verify-blob` does, with cosign 3's
//! defaults (a verified transparency-log entry is required, for keys too, unless
//! `--insecure-ignore-tlog`; without `--trusted-root` the embedded public-good root). Exit 0
//! and `Verified OK` on stderr; 1 and one `error:` line when the bundle does not verify; 2 for
//! usage errors and unreadable files.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::keys::{read_password, read_verification_key};
use boltseal::verify::bundle::{Artifact, Identity, Matcher, Policy, Verifier};
use boltseal::verify::trust::TrustedRoot;
use clap::Parser;
use common::{Code as _, Context as _, Failure};

#[derive(Parser, Debug)]
#[command(
    name = "verify-blob",
    about = "Verify a file against its Sigstore bundle"
)]
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

/// `--FLAG` or `--FLAG-regexp` as a matcher (clap already refuses both at once).
fn matcher(exact: Option<&str>, regexp: Option<&str>, flag: &str) -> Result<Matcher, Failure> {
    match (exact, regexp) {
        (Some(value), _) => Ok(Matcher::exact(value)),
        (None, Some(pattern)) => Ok(Matcher::regex(pattern)?),
        (None, None) => Err(Failure::usage(format!(
            "give --key, or --{flag} (or --{flag}-regexp) with the other certificate flag"
        ))),
    }
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let trust = match &args.trusted_root {
        Some(path) => TrustedRoot::from_json(&common::read(path)?).context(path.display())?,
        None => TrustedRoot::public_good(),
    };
    let policy = match &args.key {
        Some(path) => Policy::key(
            read_verification_key(path, || read_password(false)).or_exit(2, path.display())?,
        ),
        None => Policy::identity(Identity::new(
            matcher(
                args.certificate_identity.as_deref(),
                args.certificate_identity_regexp.as_deref(),
                "certificate-identity",
            )?,
            matcher(
                args.certificate_oidc_issuer.as_deref(),
                args.certificate_oidc_issuer_regexp.as_deref(),
                "certificate-oidc-issuer",
            )?,
        )),
    };
    let policy = policy.with_tlog_threshold(usize::from(!args.insecure_ignore_tlog));
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
