//! Just enough PEM (RFC 7468) for public keys and certificates.

use base64::Engine as _;

/// The DER contents of the first `-----BEGIN <label>-----` block in `input`.
pub(crate) fn decode_first(input: &[u8], label: &str) -> Option<Vec<u8>> {
    decode_all(input, label).into_iter().next()
}

/// The DER contents of every `<label>` block in `input`, in order. Blocks whose base64 does not
/// decode are skipped.
pub(crate) fn decode_all(input: &[u8], label: &str) -> Vec<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(input) else {
        return Vec::new();
    };
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let Some(stop) = after.find(&end) else {
            break;
        };
        let body: String = after[..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(der);
        }
        rest = &after[stop + end.len()..];
    }
    out
}
