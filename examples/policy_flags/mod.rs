//! What the policy examples (`policy-apply`, `policy-test`) share: the flags that choose how
//! images are verified.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use boltseal::oci::RegistryOptions;
use boltseal::policy::{ImageVerifier, Offline, RegistryVerifier};

/// `--allow-http-registry`, `--offline`.
#[derive(clap::Args, Debug)]
pub struct VerifierFlags {
    /// Allow plain-HTTP registries that are not on loopback.
    #[arg(long)]
    pub allow_http_registry: bool,
    /// Never contact a registry (image verifications become errors).
    #[arg(long)]
    pub offline: bool,
}

impl VerifierFlags {
    /// The verifier these flags ask for (verifications cached for 5 minutes).
    pub fn verifier(&self) -> Arc<dyn ImageVerifier> {
        if self.offline {
            Arc::new(Offline)
        } else {
            Arc::new(RegistryVerifier::new(
                RegistryOptions::new().allow_http(self.allow_http_registry),
                Duration::from_secs(300),
            ))
        }
    }
}
