//! The admission step: a Kyverno ClusterPolicy that requires the pipeline's signature and pins
//! digests, evaluated like the admission webhook does, for a signed Pod and an unsigned one.

use std::sync::Arc;

use boltseal::policy::{AdmissionInput, Engine, ImageVerifier, Operation, Phase, PolicySet};
use boltseal::reference::Digest;

use crate::common::{Code as _, Failure};
use crate::sample::{self, TAG};

/// The policy engine with the pipeline's policy for `repository`.
pub(crate) struct Admission {
    engine: Engine,
    repository: String,
}

impl Admission {
    /// The example policy for `repository`, trusting `pem`, checked through `verifier`.
    pub(crate) fn new(
        repository: &str,
        pem: &str,
        verifier: Arc<dyn ImageVerifier>,
    ) -> Result<Self, Failure> {
        let policy = sample::admission_policy(repository, pem);
        let policies = PolicySet::from_yaml_str("verify-image-signatures.yaml", &policy).code(1)?;
        let engine = Engine::new(policies, verifier);
        let repository = repository.to_owned();
        Ok(Admission { engine, repository })
    }

    async fn admit(&self, name: &str, image: &str) -> boltseal::policy::EngineResponse {
        let input = AdmissionInput::new(Phase::Mutate, Operation::Create, sample::pod(name, image));
        self.engine.apply(&input.with_namespace("demo")).await
    }

    /// Admits the Pod `demo/signed` of the signed image: the image it was pinned to.
    pub(crate) async fn signed(&self, digest: &Digest) -> Result<String, Failure> {
        let image = format!("{}:{TAG}", self.repository);
        let admitted = self.admit("signed", &image).await;
        let pinned = format!("{image}@{digest}");
        let patched = admitted.patched.as_ref();
        let patched = patched.and_then(|p| p.pointer("/spec/containers/0/image"));
        if !admitted.allowed() || patched.and_then(|v| v.as_str()) != Some(pinned.as_str()) {
            let why = admitted.blocked_message();
            let why = why.unwrap_or_else(|| format!("the image was not pinned to {pinned}"));
            let why = format!("admission refused the signed Pod: {}", why.trim());
            return Err(Failure::refused(why));
        }
        Ok(pinned)
    }

    /// Refuses the Pod `demo/unsigned` of the image tagged `tag`: the image and the reason.
    pub(crate) async fn unsigned(&self, tag: &str) -> Result<(String, String), Failure> {
        let image = format!("{}:{tag}", self.repository);
        let refused = self.admit("unsigned", &image).await.blocked_message();
        let why = "admission allowed a Pod whose image is not signed";
        let message = refused.ok_or_else(|| Failure::refused(why))?;
        let reason = message.lines().map(str::trim).rfind(|l| !l.is_empty());
        Ok((image, reason.unwrap_or_default().to_owned()))
    }
}
