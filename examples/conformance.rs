//! `conformance`: the sigstore-conformance client protocol over boltseal's offline bundle
//! verifier.
//!
//! ```text
//! conformance verify-bundle --bundle F --certificate-identity I --certificate-oidc-issuer U
//!                           [--trusted-root F] [--staging] FILE_OR_DIGEST
//! conformance verify-bundle --bundle F --key K [--trusted-root F] [--staging] FILE_OR_DIGEST
//! conformance sign-bundle ...     (not supported: boltseal does not sign keylessly)
//! ```
//!
//! `FILE_OR_DIGEST` is a path or `sha256:<hex>`. Without `--trusted-root` the embedded
//! public-good root is used. Exit 0 when the bundle verifies; otherwise one `error:` line and
//! exit 1 (verification failed) or 2 (usage, unreadable input).

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use boltseal::reference::Digest;
use boltseal::verify::bundle::{Artifact, Identity, Policy, Verifier};
use boltseal::verify::trust::{PublicKey, TrustedRoot};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    about = "sigstore-conformance client (offline bundle verification)"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
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

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| common::fail(format!("{}: {e}", path.display()), 2))
}

fn verify_bundle(args: &VerifyBundle) -> Result<(), ExitCode> {
    let trust = match (&args.trusted_root, args.staging) {
        (Some(path), _) => TrustedRoot::from_json(&read(path)?)
            .map_err(|e| common::fail(format!("{}: {e}", path.display()), 2))?,
        (None, true) => {
            return Err(common::fail(
                "--staging needs --trusted-root: no staging trust root is embedded",
                2,
            ));
        }
        (None, false) => TrustedRoot::public_good(),
    };
    let policy = match (
        &args.key,
        &args.certificate_identity,
        &args.certificate_oidc_issuer,
    ) {
        (Some(path), None, None) => {
            let key = PublicKey::from_pem(&read(path)?)
                .map_err(|e| common::fail(format!("{}: {e}", path.display()), 2))?;
            Policy::key(key)
        }
        (None, Some(identity), Some(issuer)) => Policy::identity(Identity::exact(identity, issuer)),
        _ => {
            return Err(common::fail(
                "give either --key or both --certificate-identity and --certificate-oidc-issuer",
                2,
            ));
        }
    };
    let bundle = read(&args.bundle)?;
    let data;
    let artifact = if let Some(hex) = args.file_or_digest.strip_prefix("sha256:") {
        let digest = Digest::parse(&format!("sha256:{hex}"))
            .map_err(|e| common::fail(format!("{}: {e}", args.file_or_digest), 2))?;
        Artifact::Digest(digest)
    } else {
        data = read(Path::new(&args.file_or_digest))?;
        Artifact::Bytes(&data)
    };
    match Verifier::new(&trust).verify_json(&bundle, &artifact, &policy) {
        Ok(verified) => {
            eprintln!("OK: {} bundle verified", verified.version);
            Ok(())
        }
        Err(e) => Err(common::fail(e, 1)),
    }
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    match args.command {
        Command::VerifyBundle(verify) => match verify_bundle(&verify) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Command::SignBundle(_) | Command::Sign(_) => common::fail(
            "signing is not supported: boltseal verifies offline and does not sign keylessly",
            2,
        ),
        Command::Verify(_) => common::fail(
            "detached-signature verification is not supported: use verify-bundle",
            2,
        ),
    }
}
