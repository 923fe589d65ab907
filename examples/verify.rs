//! `verify --key PUB [-a k=v]... IMAGE`: verify an image's signatures with a public key
//! (stands in for `cosign verify --key`). Reads both layouts: legacy `sha256-<hex>.sig` layers
//! and Sigstore bundle referrers.
//!
//! Keyless: `verify --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root F]`
//! (or the `-regexp` forms) checks legacy signatures with a Fulcio certificate and a Rekor bundle,
//! and keyless Sigstore bundle referrers, against the trusted root (default: the embedded
//! public-good root).
//!
//! Prints a JSON array of the verified payloads on stdout. Any doubt is a failure: one `error:`
//! line naming each rejected signature's reason, exit 1.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::evidence::{verify_image, verify_image_keyless};
use boltseal::keys::read_public_key;
use boltseal::oci::ImageLocation;
use boltseal::reference::Reference;
use boltseal::verify::bundle::{Identity, Matcher};
use boltseal::verify::image::{IdentityCheck, KeyPolicy, KeylessPolicy};
use boltseal::verify::trust::TrustedRoot;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    about = "Verify a container image's signatures with a key"
)]
struct Args {
    /// Public key file (PEM); repeat to accept signatures by any of several keys.
    #[arg(long)]
    key: Vec<PathBuf>,
    /// Keyless: the certificate identity (SAN) that must have signed.
    #[arg(long)]
    certificate_identity: Option<String>,
    /// Keyless: a regular expression the certificate identity must match.
    #[arg(long)]
    certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer recorded in the certificate.
    #[arg(long)]
    certificate_oidc_issuer: Option<String>,
    /// Keyless: a regular expression the OIDC issuer must match.
    #[arg(long)]
    certificate_oidc_issuer_regexp: Option<String>,
    /// Keyless: a trusted_root.json (default: the embedded public-good root).
    #[arg(long)]
    trusted_root: Option<PathBuf>,
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
    if args.key.is_empty() {
        return keyless(args);
    }
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
        let (store, reference) =
            match common::open_and_resolve(&args.image, args.allow_http_registry).await {
                Ok(x) => x,
                Err(code) => return code,
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

fn matcher(
    exact: &Option<String>,
    regexp: &Option<String>,
    what: &str,
) -> Result<Matcher, ExitCode> {
    match (exact, regexp) {
        (Some(v), None) => Ok(Matcher::exact(v.clone())),
        (None, Some(r)) => Matcher::regex(r).map_err(|e| common::fail(format!("{what}: {e}"), 2)),
        (Some(_), Some(_)) => Err(common::fail(
            format!("give either --{what} or --{what}-regexp, not both"),
            2,
        )),
        (None, None) => Err(common::fail(
            "give --key, or --certificate-identity and --certificate-oidc-issuer",
            2,
        )),
    }
}

fn keyless(args: Args) -> ExitCode {
    let subject = match matcher(
        &args.certificate_identity,
        &args.certificate_identity_regexp,
        "certificate-identity",
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let issuer = match matcher(
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
        "certificate-oidc-issuer",
    ) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let trust = match &args.trusted_root {
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| TrustedRoot::from_json(&b).map_err(|e| e.to_string()))
        {
            Ok(t) => t,
            Err(e) => return common::fail(format!("{}: {e}", path.display()), 2),
        },
        None => TrustedRoot::public_good(),
    };
    let mut policy = KeylessPolicy::new(Identity::new(subject, issuer), trust);
    for (k, v) in &args.annotations {
        policy = policy.annotation(k, v);
    }
    common::runtime().block_on(async move {
        let (store, reference) =
            match common::open_and_resolve(&args.image, args.allow_http_registry).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        match verify_image_keyless(&store, &reference, &policy).await {
            Ok(verified) => {
                eprintln!(
                    "Verification for {} -- {} keyless signature(s) verified",
                    verified.digest,
                    verified.verified.len()
                );
                let payloads: Vec<serde_json::Value> =
                    verified.verified.into_iter().map(|v| v.payload).collect();
                println!("{}", serde_json::Value::from(payloads));
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("{}: {e}", args.image), 1),
        }
    })
}
