//! `verify --key PUB [-a k=v]... IMAGE`: verify an image's signatures with a public key
//! (stands in for `cosign verify --key`). Reads both layouts: legacy `sha256-<hex>.sig` layers
//! and Sigstore bundle referrers.
//!
//! Prints a JSON array of the verified payloads on stdout. Any doubt is a failure: one `error:`
//! line naming each rejected signature's reason, exit 1.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::keys::read_public_key;
use boltseal::oci::{ImageLocation, ManifestRef, RegistryOptions};
use boltseal::reference::Reference;
use boltseal::verify::image::{IdentityCheck, KeyPolicy, verify_image};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    about = "Verify a container image's signatures with a key"
)]
struct Args {
    /// Public key file (PEM); repeat to accept signatures by any of several keys.
    #[arg(long, required = true)]
    key: Vec<PathBuf>,
    /// Annotation the signature must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = common::parse_annotation)]
    annotations: Vec<(String, String)>,
    /// Also check the signed identity: REPO:TAG must match exactly, REPO matches any tag.
    #[arg(long)]
    identity: Option<String>,
    /// Require a Rekor SET on legacy signatures, verified with this Rekor public key.
    #[arg(long)]
    rekor_key: Option<PathBuf>,
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
    let mut keys = Vec::new();
    for path in &args.key {
        match read_public_key(path) {
            Ok(k) => keys.push(k),
            Err(e) => return common::fail(format!("{}: {e}", path.display()), 2),
        }
    }
    let mut policy = KeyPolicy::new(keys[0]);
    for k in &keys[1..] {
        policy = policy.or_key(*k);
    }
    for (k, v) in &args.annotations {
        policy = policy.annotation(k, v);
    }
    if let Some(identity) = &args.identity {
        let check = match Reference::parse(identity) {
            Ok(r) if r.tag().is_some() || r.digest().is_some() => IdentityCheck::Exact(r),
            Ok(r) => IdentityCheck::SameRepository(r.repository_name()),
            Err(e) => return common::fail(format!("--identity {identity}: {e}"), 2),
        };
        policy = policy.identity(check);
    }
    if let Some(path) = &args.rekor_key {
        match read_public_key(path) {
            Ok(k) => policy = policy.rekor_key(k),
            Err(e) => return common::fail(format!("{}: {e}", path.display()), 2),
        }
    }
    common::runtime().block_on(async move {
        let options = RegistryOptions::new().allow_http(args.allow_http_registry);
        let store = match args.image.open(&options).await {
            Ok(s) => s,
            Err(e) => {
                let code = common::store_exit(&e);
                return common::fail(format!("{}: {e}", args.image), code);
            }
        };
        let reference = match args.image.resolve(&store).await {
            Ok(d) => ManifestRef::Digest(d.digest),
            Err(e) => {
                let code = common::store_exit(&e);
                return common::fail(format!("{}: {e}", args.image), code);
            }
        };
        match verify_image(&store, &reference, &policy).await {
            Ok(verified) => {
                eprintln!(
                    "Verification for {} -- {} signature(s) verified against the key",
                    verified.digest,
                    verified.verified.len()
                );
                let payloads: Vec<&serde_json::Value> =
                    verified.verified.iter().map(|v| &v.payload).collect();
                println!(
                    "{}",
                    serde_json::Value::from(payloads.into_iter().cloned().collect::<Vec<_>>())
                );
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("{}: {e}", args.image), 1),
        }
    })
}
