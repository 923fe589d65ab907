//! Any bytes as a DER certificate: parsing, the extension readers (SAN, Fulcio issuer, SCT
//! list), precertificate reconstruction, path validation and SCT verification against the
//! public-good root never panic; trusted roots whose certificate authority is the input are
//! read or refused without panicking.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use boltseal_verify::bundle::fuzzing;
use boltseal_verify::trust::TrustedRoot;
use libfuzzer_sys::fuzz_target;

fn trust() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(TrustedRoot::public_good)
}

fuzz_target!(|data: &[u8]| {
    fuzzing::certificate(data, trust());
    let root = format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "certificateAuthorities":[{{"uri":"x","certChain":{{"certificates":[{{"rawBytes":"{}"}}]}}}}]}}"#,
        base64::engine::general_purpose::STANDARD.encode(data)
    );
    if let Ok(root) = TrustedRoot::from_json(root.as_bytes()) {
        fuzzing::certificate(data, &root);
    }
});
