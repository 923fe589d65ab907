//! `sign --key K [--format legacy|bundle] [-a k=v]... IMAGE`: sign an image in a registry or an
//! OCI layout (stands in for `cosign sign --key`).
//!
//! The tag is resolved once and the digest is signed. `legacy` (default) appends to the
//! `sha256-<hex>.sig` tag (cosign 2, skopeo/podman, Kyverno); `bundle` pushes a Sigstore bundle
//! v0.3 as an OCI 1.1 referrer (cosign 3). Prints where the signature was written on stdout.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::ImageLocation;
use boltseal::sign::{SignOptions, SignatureFormat, sign_image};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "sign", about = "Sign a container image with a key")]
struct Args {
    /// Private key file (cosign format, or unencrypted PKCS#8/SEC1 PEM).
    #[arg(long)]
    key: PathBuf,
    /// Signature layout: legacy (.sig tag) or bundle (OCI 1.1 referrer).
    #[arg(long, default_value = "legacy")]
    format: SignatureFormat,
    /// Annotation to sign with the image (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = common::parse_annotation)]
    annotations: Vec<(String, String)>,
    /// The docker-reference written into the payload (default: the repository and tag named).
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
        let mut sign_options = SignOptions::new().format(args.format);
        for (k, v) in &args.annotations {
            sign_options = sign_options.annotation(k, v);
        }
        match sign_image(&store, &reference, &identity, &key, &sign_options).await {
            Ok(signed) => {
                if signed.appended {
                    eprintln!(
                        "Pushing signature for {} to {}",
                        signed.digest, signed.location
                    );
                } else {
                    eprintln!("{} already carries this signature", signed.digest);
                }
                println!("{}", signed.location);
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("sign {}: {e}", args.image), 1),
        }
    })
}
