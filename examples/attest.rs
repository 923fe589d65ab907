//! `attest`: cosign attest (contract: ARCHITECTURE.md).

mod common;
mod tlog;

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::{ImageLocation, RegistryOptions};
use boltseal::sign::{AttestOptions, SignatureFormat, attest_image_at};
use clap::Parser;
use common::{Code, Context, Failure};

/// Predicate files larger than this are refused.
const MAX_PREDICATE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(name = "attest", about = "Attest a container image with a key")]
struct Args {
    /// Private key file.
    #[arg(long)]
    key: PathBuf,
    /// Predicate type: a cosign type name (spdxjson, cyclonedx, slsaprovenance1, …) or a URI.
    #[arg(long = "type", default_value = "custom")]
    predicate_type: String,
    /// The predicate file (JSON).
    #[arg(long)]
    predicate: PathBuf,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// Attestation layout: legacy (.att tag) or bundle (OCI 1.1 referrer).
    #[arg(long, default_value = "legacy")]
    format: SignatureFormat,
    /// The subject name written into the statement (default: the repository named).
    #[arg(long)]
    identity: Option<String>,
    #[command(flatten)]
    tlog: tlog::TlogArgs,
    /// The image: HOST/REPO[:TAG|@DIGEST] or oci:DIR[:TAG|@DIGEST].
    image: ImageLocation,
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let predicate = args.predicate.display();
    let mut content = Vec::new();
    std::fs::File::open(&args.predicate)
        .and_then(|f| f.take(MAX_PREDICATE_BYTES + 1).read_to_end(&mut content))
        .code(2)
        .context(&predicate)?;
    if content.len() as u64 > MAX_PREDICATE_BYTES {
        return Err(Failure::usage(format!("{predicate}: larger than 64 MiB")));
    }
    let mut options = AttestOptions::from_file_content(&args.predicate_type, &content)
        .code(2)
        .context(&predicate)?
        .format(args.format);
    if let Some(identity) = &args.identity {
        options = options.identity(identity);
    }
    if let Some(log) = args.tlog.log()? {
        options = options.transparency_log(log);
    }
    let key = common::private_key(&args.key)?;
    let registry = RegistryOptions::new().allow_http(args.allow_http_registry);
    let signed = common::runtime()
        .block_on(attest_image_at(&args.image, &registry, &key, &options))
        .context(format_args!("attest {}", args.image))?;
    let (kind, digest, location) = (&options.predicate_type, &signed.digest, &signed.location);
    eprintln!("Pushing attestation ({kind}) for {digest} to {location}");
    println!("{location}");
    Ok(ExitCode::SUCCESS)
}
