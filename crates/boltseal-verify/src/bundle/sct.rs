//! Embedded signed certificate timestamps (RFC 6962 §3.2–3.3): the SCTs in a Fulcio leaf are
//! precertificate SCTs, signed over the leaf's TBSCertificate without the SCT list extension.

use super::asn1;
use super::x509::{Certificate, OID_SCT_LIST};
use crate::trust::time::{self, Nanos};
use crate::trust::{Hash, TrustedRoot};

/// One parsed SCT (version 1).
pub(crate) struct Sct<'a> {
    pub(crate) log_id: &'a [u8],
    pub(crate) timestamp_ms: u64,
    pub(crate) extensions: &'a [u8],
    pub(crate) hash_algorithm: u8,
    pub(crate) signature_algorithm: u8,
    pub(crate) signature: &'a [u8],
}

fn take(input: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (input.len() >= n).then(|| input.split_at(n))
}

fn take_u16_prefixed(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = take(input, 2)?;
    take(rest, usize::from(u16::from_be_bytes([len[0], len[1]])))
}

/// Parses a TLS-encoded `SignedCertificateTimestampList`.
pub(crate) fn parse_list(bytes: &[u8]) -> Option<Vec<Sct<'_>>> {
    let (mut list, rest) = take_u16_prefixed(bytes)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !list.is_empty() {
        let (sct, rest) = take_u16_prefixed(list)?;
        list = rest;
        let (version, sct) = take(sct, 1)?;
        if version[0] != 0 {
            // Unknown versions are skipped, not fatal (RFC 6962 §3.3).
            continue;
        }
        let (log_id, sct) = take(sct, 32)?;
        let (timestamp, sct) = take(sct, 8)?;
        let (extensions, sct) = take_u16_prefixed(sct)?;
        let (algorithms, sct) = take(sct, 2)?;
        let (signature, sct) = take_u16_prefixed(sct)?;
        if !sct.is_empty() {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(timestamp);
        out.push(Sct {
            log_id,
            timestamp_ms: u64::from_be_bytes(ts),
            extensions,
            hash_algorithm: algorithms[0],
            signature_algorithm: algorithms[1],
            signature,
        });
    }
    Some(out)
}

/// The bytes a precertificate SCT signs (RFC 6962 §3.2, `digitally-signed` struct).
pub(crate) fn signed_data(
    sct: &Sct<'_>,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
) -> Option<Vec<u8>> {
    let tbs_len = u32::try_from(tbs.len()).ok().filter(|&l| l < (1 << 24))?;
    let ext_len = u16::try_from(sct.extensions.len()).ok()?;
    let mut out = Vec::with_capacity(tbs.len() + sct.extensions.len() + 48);
    out.push(0); // version v1
    out.push(0); // signature_type certificate_timestamp
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    out.extend_from_slice(tbs);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(sct.extensions);
    Some(out)
}

/// At least one embedded SCT of `leaf` verifies with a CT log of `trust` whose key was valid
/// at the SCT's time. `issuer` is the certificate that signed the leaf.
pub(crate) fn verify_embedded(
    leaf: &Certificate,
    issuer: &Certificate,
    trust: &TrustedRoot,
) -> Result<(), String> {
    let value = leaf
        .extension(OID_SCT_LIST)?
        .ok_or("the certificate has no embedded SCT")?;
    let (octets, rest) = asn1::read(value).ok_or("malformed SCT extension")?;
    if octets.tag != 0x04 || !rest.is_empty() {
        return Err("malformed SCT extension".to_owned());
    }
    let scts = parse_list(octets.value).ok_or("malformed SCT list")?;
    let tbs = leaf
        .tbs_without_extension(OID_SCT_LIST)
        .ok_or("cannot rebuild the precertificate")?;
    let issuer_key_hash: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(issuer.spki_der()).into()
    };
    for sct in &scts {
        let Some(message) = signed_data(sct, &issuer_key_hash, &tbs) else {
            continue;
        };
        let hash = match sct.hash_algorithm {
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            _ => continue,
        };
        let at: Nanos = time::from_unix(0) + i128::from(sct.timestamp_ms) * 1_000_000;
        for log in trust.ctlogs_by_id(sct.log_id) {
            let Some(key) = log.key() else { continue };
            if !log.validity().contains_nanos(at) {
                continue;
            }
            let ok = match sct.signature_algorithm {
                3 => crate::trust::key::verifies_hashed(key, true, hash, &message, sct.signature),
                1 => crate::trust::key::verifies_hashed(key, false, hash, &message, sct.signature),
                _ => false,
            };
            if ok {
                return Ok(());
            }
        }
    }
    Err("no embedded SCT verifies with a trusted CT log".to_owned())
}
