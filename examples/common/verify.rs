//! The flags `verify` and `verify-attestation` share, and what they do with them.

use std::process::ExitCode;

use boltseal::oci::{ManifestRef, RegistryOptions};

use super::{Code as _, Context as _, Failure, parse_annotation, runtime};

/// cosign's flags (who must have signed) and the image.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Public key file (PEM); repeat to accept signatures by any of several keys.
    #[arg(long)]
    key: Vec<std::path::PathBuf>,
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
    trusted_root: Option<std::path::PathBuf>,
    /// Annotation the signature (or the statement's subject) must carry (repeatable).
    #[arg(short = 'a', long = "annotations", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// The image: HOST/REPO[:TAG|@DIGEST] or oci:DIR[:TAG|@DIGEST].
    image: boltseal::oci::ImageLocation,
}

impl VerifyArgs {
    /// cosign's flags, for [`boltseal::evidence::cosign::CosignFlags::authority`].
    pub fn flags(&self) -> boltseal::evidence::cosign::CosignFlags {
        let mut flags = boltseal::evidence::cosign::CosignFlags::default();
        flags.keys = self.key.clone();
        flags.certificate_identity = self.certificate_identity.clone();
        flags.certificate_identity_regexp = self.certificate_identity_regexp.clone();
        flags.certificate_oidc_issuer = self.certificate_oidc_issuer.clone();
        flags.certificate_oidc_issuer_regexp = self.certificate_oidc_issuer_regexp.clone();
        flags.trusted_root = self.trusted_root.clone();
        flags.annotations = self.annotations.clone();
        flags
    }

    /// Verifies `claim` about the image under `authority`; prints the verified
    /// payloads as a JSON array on stdout and `Verification for DIGEST -- N <what>` on stderr.
    /// A failed verification is exit status 1, naming the image.
    pub fn verify(
        &self,
        authority: &boltseal::verify::Authority,
        claim: &boltseal::verify::Claim,
        what: &str,
    ) -> Result<ExitCode, Failure> {
        runtime().block_on(async {
            let image = &self.image;
            let options = RegistryOptions::new().allow_http(self.allow_http_registry);
            let store = image.open(&options).await.context(image)?;
            let digest = ManifestRef::Digest(image.resolve(&store).await.context(image)?.digest);
            let verified = boltseal::evidence::verify(&store, &digest, authority, claim).await;
            let verified = verified.code(1).context(image)?;
            let n = verified.verified.len();
            eprintln!("Verification for {} -- {n} {what}", verified.digest);
            let payloads: Vec<_> = verified.payloads().cloned().collect();
            println!("{}", serde_json::Value::from(payloads));
            Ok(ExitCode::SUCCESS)
        })
    }
}
