//! The flags `policy-apply` and `policy-test` share: how images are verified.

use std::sync::Arc;
use std::time::Duration;

use boltseal::oci::RegistryOptions;
use boltseal::policy::{ImageVerifier, Offline, RegistryVerifier};

/// `--allow-http-registry`, `--offline`.
#[derive(clap::Args, Debug)]
pub(crate) struct VerifierFlags {
    /// Allow plain-HTTP registries that are not on loopback.
    #[arg(long)]
    allow_http_registry: bool,
    /// Never contact a registry (image verifications become errors).
    #[arg(long)]
    offline: bool,
}

impl VerifierFlags {
    /// The verifier these flags ask for (verifications cached for 5 minutes).
    pub(crate) fn verifier(&self) -> Arc<dyn ImageVerifier> {
        let registry = RegistryOptions::new().allow_http(self.allow_http_registry);
        match self.offline {
            true => Arc::new(Offline),
            false => Arc::new(RegistryVerifier::new(registry, Duration::from_secs(300))),
        }
    }
}
