//! Any bytes as a Sigstore bundle: verification against the embedded public-good root never
//! panics, in identity mode, key mode and with the artifact given by digest, and never accepts
//! (the fuzzer cannot forge a Fulcio certificate or a Rekor signature).
#![no_main]

use std::sync::OnceLock;

use boltseal_reference::Digest;
use boltseal_verify::bundle::{Artifact, Identity, Policy, Verifier};
use boltseal_verify::trust::{PublicKey, TrustedRoot};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh
fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==
-----END PUBLIC KEY-----
";

fn trust() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(TrustedRoot::public_good)
}

fuzz_target!(|data: &[u8]| {
    let verifier = Verifier::new(trust());
    let artifact = b"Hello, World!\n";
    let identity = Policy::identity(Identity::exact("fuzz@example.com", "https://issuer.example"));
    assert!(verifier.verify_json(data, &Artifact::Bytes(artifact), &identity).is_err());
    let key = Policy::key(PublicKey::from_pem(KEY).expect("the embedded key parses"));
    let _ = verifier.verify_json(data, &Artifact::Bytes(artifact), &key);
    let digest = Artifact::Digest(Digest::sha256_of(artifact));
    let _ = verifier.verify_json(data, &digest, &key.with_tlog_threshold(0));
});
