//! `verify-attestation --key PUB --type T IMAGE`: verify an image's attestations with a public
//! key and print the verified in-toto statements of predicate type T as a JSON array (stands in
//! for `cosign verify-attestation`). Unlike cosign, statements of other types, or about another
//! digest, are never printed.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::envelope::predicate::predicate_type_for;
use boltseal::keys::read_public_key;
use boltseal::oci::ImageLocation;
use boltseal::verify::image::{KeyPolicy, verify_image_attestations};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "verify-attestation",
    about = "Verify a container image's attestations with a key"
)]
struct Args {
    /// Public key file (PEM).
    #[arg(long)]
    key: PathBuf,
    /// Predicate type: a cosign type name (spdxjson, cyclonedx, slsaprovenance1, …) or a URI.
    #[arg(long = "type", default_value = "custom")]
    predicate_type: String,
    /// Annotation the statement's subject must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = common::parse_annotation)]
    annotations: Vec<(String, String)>,
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
    let key = match read_public_key(&args.key) {
        Ok(k) => k,
        Err(e) => return common::fail(format!("{}: {e}", args.key.display()), 2),
    };
    let predicate_type = match predicate_type_for(&args.predicate_type) {
        Ok(t) => t,
        Err(e) => return common::fail(format!("--type {}: {e}", args.predicate_type), 2),
    };
    let mut policy = KeyPolicy::new(key);
    for (k, v) in &args.annotations {
        policy = policy.annotation(k, v);
    }
    common::runtime().block_on(async move {
        let (store, reference) =
            match common::open_and_resolve(&args.image, args.allow_http_registry).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        match verify_image_attestations(&store, &reference, &policy, Some(&predicate_type)).await {
            Ok(verified) => {
                eprintln!(
                    "Verification for {} -- {} attestation(s) of type {predicate_type} verified",
                    verified.digest,
                    verified.verified.len()
                );
                let statements: Vec<serde_json::Value> = verified
                    .verified
                    .iter()
                    .map(|a| a.statement_json.clone())
                    .collect();
                println!("{}", serde_json::Value::from(statements));
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("{}: {e}", args.image), 1),
        }
    })
}
