//! `verify-attestation --key PUB --type T IMAGE`: verify an image's attestations with a public
//! key and print the verified in-toto statements of predicate type T as a JSON array (stands in
//! for `cosign verify-attestation`). Unlike cosign, statements of other types, or about another
//! digest, are never printed.
//!
//! Keyless: `verify-attestation --certificate-identity ID --certificate-oidc-issuer URL
//! [--trusted-root F] --type T IMAGE` (or the `-regexp` forms) checks legacy `.att` layers with a
//! Fulcio certificate and a Rekor bundle, and keyless Sigstore bundle referrers, against the
//! trusted root (default: the embedded public-good root).

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::envelope::predicate::predicate_type_for;
use boltseal::evidence::{verify_image_attestations, verify_image_attestations_keyless};
use boltseal::keys::read_public_key;
use boltseal::oci::ImageLocation;
use boltseal::verify::bundle::{Identity, Matcher};
use boltseal::verify::image::{
    KeyPolicy, KeylessPolicy, VerifiedAttestation, VerifiedImage, VerifyError,
};
use boltseal::verify::trust::TrustedRoot;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "verify-attestation",
    about = "Verify a container image's attestations with a key or a keyless identity"
)]
struct Args {
    /// Public key file (PEM).
    #[arg(long)]
    key: Option<PathBuf>,
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

/// How the attestations are checked.
enum Check {
    Key(Box<KeyPolicy>),
    Keyless(KeylessPolicy),
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

fn check(args: &Args) -> Result<Check, ExitCode> {
    let keyless_flags = args.certificate_identity.is_some()
        || args.certificate_identity_regexp.is_some()
        || args.certificate_oidc_issuer.is_some()
        || args.certificate_oidc_issuer_regexp.is_some()
        || args.trusted_root.is_some();
    if let Some(path) = &args.key {
        if keyless_flags {
            return Err(common::fail(
                "give either --key or the keyless --certificate-* flags, not both",
                2,
            ));
        }
        let key = read_public_key(path)
            .map_err(|e| common::fail(format!("{}: {e}", path.display()), 2))?;
        let mut policy = KeyPolicy::new(key);
        for (k, v) in &args.annotations {
            policy = policy.annotation(k, v);
        }
        return Ok(Check::Key(Box::new(policy)));
    }
    let subject = matcher(
        &args.certificate_identity,
        &args.certificate_identity_regexp,
        "certificate-identity",
    )?;
    let issuer = matcher(
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
        "certificate-oidc-issuer",
    )?;
    let trust = match &args.trusted_root {
        Some(path) => std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| TrustedRoot::from_json(&b).map_err(|e| e.to_string()))
            .map_err(|e| common::fail(format!("{}: {e}", path.display()), 2))?,
        None => TrustedRoot::public_good(),
    };
    let mut policy = KeylessPolicy::new(Identity::new(subject, issuer), trust);
    for (k, v) in &args.annotations {
        policy = policy.annotation(k, v);
    }
    Ok(Check::Keyless(policy))
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let check = match check(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let predicate_type = match predicate_type_for(&args.predicate_type) {
        Ok(t) => t,
        Err(e) => return common::fail(format!("--type {}: {e}", args.predicate_type), 2),
    };
    common::runtime().block_on(async move {
        let (store, reference) =
            match common::open_and_resolve(&args.image, args.allow_http_registry).await {
                Ok(x) => x,
                Err(code) => return code,
            };
        let result: Result<VerifiedImage<VerifiedAttestation>, VerifyError> = match &check {
            Check::Key(policy) => {
                verify_image_attestations(&store, &reference, policy, Some(&predicate_type)).await
            }
            Check::Keyless(policy) => {
                verify_image_attestations_keyless(&store, &reference, policy, Some(&predicate_type))
                    .await
            }
        };
        match result {
            Ok(verified) => {
                eprintln!(
                    "Verification for {} -- {} attestation(s) of type {predicate_type} verified",
                    verified.digest,
                    verified.verified.len()
                );
                let statements: Vec<serde_json::Value> = verified
                    .verified
                    .into_iter()
                    .map(|a| a.statement_json)
                    .collect();
                println!("{}", serde_json::Value::from(statements));
                ExitCode::SUCCESS
            }
            Err(e) => common::fail(format!("{}: {e}", args.image), 1),
        }
    })
}
