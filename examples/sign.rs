//! `sign`: cosign sign --key (contract: ARCHITECTURE.md).

mod common;
mod tlog;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::{ImageLocation, RegistryOptions};
use boltseal::sign::{SignOptions, SignatureFormat, sign_image_at};
use clap::Parser;
use common::{Context, Failure};

#[derive(Parser, Debug)]
#[command(name = "sign", about = "Sign a container image with a key")]
struct Args {
    /// Private key file (cosign format, or unencrypted PKCS#8/SEC1 PEM).
    #[arg(long)]
    key: PathBuf,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// Signature layout: legacy (.sig tag) or bundle (OCI 1.1 referrer).
    #[arg(long, default_value = "legacy")]
    format: SignatureFormat,
    /// Annotation to sign with the image (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = common::parse_annotation)]
    annotations: Vec<(String, String)>,
    /// The docker-reference written into the payload (default: the repository and tag named).
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
    let key = common::private_key(&args.key)?;
    let mut options = SignOptions::new().format(args.format);
    for (k, v) in &args.annotations {
        options = options.annotation(k, v);
    }
    if let Some(identity) = &args.identity {
        options = options.identity(identity);
    }
    if let Some(log) = args.tlog.log()? {
        options = options.transparency_log(log);
    }
    let registry = RegistryOptions::new().allow_http(args.allow_http_registry);
    let signed = common::runtime()
        .block_on(sign_image_at(&args.image, &registry, &key, &options))
        .context(format_args!("sign {}", args.image))?;
    if signed.appended {
        let (digest, location) = (&signed.digest, &signed.location);
        eprintln!("Pushing signature for {digest} to {location}");
    } else {
        eprintln!("{} already carries this signature", signed.digest);
    }
    println!("{}", signed.location);
    Ok(ExitCode::SUCCESS)
}
