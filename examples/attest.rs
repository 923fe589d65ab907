//! `attest --key K --type spdxjson|cyclonedx|slsaprovenance1|URI --predicate FILE IMAGE`:
//! attach a signed in-toto attestation to an image (stands in for `cosign attest`).

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::ImageLocation;
use boltseal::sign::{AttestOptions, SignatureFormat, attest_image};
use clap::Parser;

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
    /// Attestation layout: legacy (.att tag) or bundle (OCI 1.1 referrer).
    #[arg(long, default_value = "legacy")]
    format: SignatureFormat,
    /// The subject name written into the statement (default: the repository named).
    #[arg(long)]
    identity: Option<String>,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// The image: HOST/REPO[:TAG|@DIGEST] or oci:DIR[:TAG|@DIGEST].
    image: ImageLocation,
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let content = match read_bounded(&args.predicate) {
        Ok(c) => c,
        Err(e) => return common::fail(format!("{}: {e}", args.predicate.display()), 2),
    };
    let options = match AttestOptions::from_file_content(&args.predicate_type, &content) {
        Ok(o) => o.format(args.format),
        Err(e) => return common::fail(format!("{}: {e}", args.predicate.display()), 2),
    };
    let key = match common::load_private_key(&args.key) {
        Ok(k) => k,
        Err(code) => return code,
    };
    common::runtime().block_on(async move {
        let (store, reference) =
            match common::open_and_resolve(&args.image, args.allow_http_registry).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        let identity = args
            .identity
            .clone()
            .unwrap_or_else(|| common::identity_for(&args.image));
        match attest_image(&store, &reference, &identity, &key, &options).await {
            Ok(signed) => {
                eprintln!(
                    "Pushing attestation ({}) for {} to {}",
                    options.predicate_type, signed.digest, signed.location
                );
                println!("{}", signed.location);
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("attest {}: {e}", args.image), 1),
        }
    })
}

fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_PREDICATE_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_PREDICATE_BYTES {
        return Err(std::io::Error::other("predicate file larger than 64 MiB"));
    }
    Ok(out)
}
