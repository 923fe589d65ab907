//! Entry points for fuzz targets into the parsers behind bundle verification (certificates,
//! SCT lists, RFC 3161 tokens). Not a stable API: hidden from the documentation.

use super::{sct, timestamp, x509};
use crate::trust::TrustedRoot;

/// Parses `der` as a certificate and runs every reader the verifier uses on it: extensions,
/// subject alternative names, the Fulcio issuer, the SCT list, the precertificate TBS, and path
/// validation and SCT verification against `trust`.
pub fn certificate(der: &[u8], trust: &TrustedRoot) {
    let Ok(cert) = x509::Certificate::parse(der) else {
        return;
    };
    let _ = cert.subject_alternative_names();
    let _ = cert.fulcio_issuer();
    let _ = cert.subject_key_id();
    let _ = cert.public_key();
    let _ = cert.signed_by(&cert);
    if let Some(tbs) = cert.tbs_without_extension(x509::OID_SCT_LIST) {
        // Removing an extension keeps a parseable TBSCertificate.
        assert!(
            der::Decode::from_der(&tbs)
                .map(|_: x509_cert::TbsCertificate| ())
                .is_ok()
        );
    }
    if let Ok(Some(value)) = cert.extension(x509::OID_SCT_LIST)
        && let Some((octets, _)) = super::asn1::read(value)
    {
        let _ = sct::parse_list(octets.value);
    }
    for authority in trust.certificate_authorities() {
        if let Ok(issuer) = x509::verify_path(
            &cert,
            authority,
            cert.not_before_nanos(),
            x509::EKU_CODE_SIGNING,
        ) {
            let _ = sct::verify_embedded(&cert, &issuer, trust);
        }
    }
}

/// Verifies `token` as an RFC 3161 timestamp over `signature` against `trust`.
pub fn timestamp(token: &[u8], signature: &[u8], trust: &TrustedRoot) {
    let _ = timestamp::verify(token, signature, trust);
}
