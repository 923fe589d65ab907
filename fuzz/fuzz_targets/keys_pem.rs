//! Key files are untrusted input: PEM parsing (the bounded `boltseal_keys::pem`), the
//! encrypted-key envelope and PKCS#8/SEC1/PKCS#1/SPKI decoding of every key type (P-521 and
//! id-RSASSA-PSS parameters included) never panic, nor does RSA PKCS #1 v1.5 or PSS decoding.
//! The scrypt cost is bounded by the parser, so this stays fast.
#![no_main]

use boltseal_keys::{PrivateKey, PublicKey, pem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (label, body) = input;
    let label = match label % 7 {
        0 => "ENCRYPTED SIGSTORE PRIVATE KEY",
        1 => "ENCRYPTED COSIGN PRIVATE KEY",
        2 => "PRIVATE KEY",
        3 => "EC PRIVATE KEY",
        4 => "RSA PRIVATE KEY",
        5 => "RSA PUBLIC KEY",
        _ => "PUBLIC KEY",
    };
    // Raw input first (PEM framing itself), then the body wrapped in each label.
    let _ = pem::parse_all(&body);
    let _ = PrivateKey::from_pem(&body, b"");
    let _ = PublicKey::from_pem(&body);
    let _ = PublicKey::from_key_pem(&body, || Ok(b"pw".to_vec().into()));
    if let Ok(key) = PublicKey::from_spki_der(&body) {
        // Arbitrary signatures and digests against a key of any algorithm (RSA arithmetic too).
        let _ = key.verify(b"message", &body);
        let _ = key.verify_prehash(&body[..body.len().min(64)], &body);
        // RSA keys once more as PSS keys (EMSA-PSS decoding of arbitrary integers).
        let pss = key.with_rsa_pss();
        let _ = pss.verify(b"message", &body);
        let _ = pss.verify_prehash(&body[..body.len().min(48)], &body);
    }
    let wrapped = pem::encode(label, &body);
    // Decrypting runs scrypt only for well-formed envelopes with an allowed cost.
    let _ = PrivateKey::from_pem(wrapped.as_bytes(), b"pw");
    let _ = PublicKey::from_pem(wrapped.as_bytes());
    let _ = PublicKey::from_key_pem(wrapped.as_bytes(), || Ok(b"pw".to_vec().into()));
});
