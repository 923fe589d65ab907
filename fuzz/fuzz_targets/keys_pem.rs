//! Key files are untrusted input: PEM parsing, the encrypted-key envelope and PKCS#8/SEC1/SPKI
//! decoding never panic. The scrypt cost is bounded by the parser, so this stays fast.
#![no_main]

use boltseal_keys::{PrivateKey, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (label, body) = input;
    let label = match label % 5 {
        0 => "ENCRYPTED SIGSTORE PRIVATE KEY",
        1 => "ENCRYPTED COSIGN PRIVATE KEY",
        2 => "PRIVATE KEY",
        3 => "EC PRIVATE KEY",
        _ => "PUBLIC KEY",
    };
    // Raw input first (PEM framing itself), then the body wrapped in each label.
    let _ = PrivateKey::from_pem(&body, b"");
    let _ = PublicKey::from_pem(&body);
    let wrapped = format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        base64_lines(&body)
    );
    if label.starts_with("ENCRYPTED") {
        // Decrypting runs scrypt only for well-formed envelopes with an allowed cost.
        let _ = PrivateKey::from_pem(wrapped.as_bytes(), b"pw");
    } else {
        let _ = PrivateKey::from_pem(wrapped.as_bytes(), b"");
        let _ = PublicKey::from_pem(wrapped.as_bytes());
    }
});

fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
