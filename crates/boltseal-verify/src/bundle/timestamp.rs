//! RFC 3161 timestamps: a `TimeStampResp` (or a bare `TimeStampToken`), i.e. a CMS
//! `SignedData` (RFC 5652) whose content is a `TSTInfo`.
//!
//! Checked: the response status is granted; the content type is `id-ct-TSTInfo`; there is one
//! signer; its signed attributes name that content type and carry the digest of the `TSTInfo`;
//! the signature verifies with the signer's certificate (embedded in the token or listed by the
//! timestamp authority); that certificate chains to a timestamp authority of the trusted root
//! at `genTime` with the `timeStamping` extended key usage; the message imprint is the hash of
//! the bundle's signature.

use const_oid::ObjectIdentifier;
use der::Decode as _;

use super::asn1::{self, Tlv};
use super::x509::{self, Certificate, SignatureAlgorithm};
use crate::trust::time::{self, Nanos};
use crate::trust::{Hash, TrustedRoot};

const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const GENERALIZED_TIME: u8 = 0x18;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_0_PRIMITIVE: u8 = 0x80;

fn bad(what: &str) -> String {
    format!("malformed timestamp: {what}")
}

fn oid(tlv: &Tlv<'_>) -> Option<ObjectIdentifier> {
    (tlv.tag == OID).then(|| ObjectIdentifier::from_der(tlv.raw).ok())?
}

fn hash_of(oid: ObjectIdentifier) -> Option<Hash> {
    match oid {
        OID_SHA256 => Some(Hash::Sha256),
        OID_SHA384 => Some(Hash::Sha384),
        OID_SHA512 => Some(Hash::Sha512),
        _ => None,
    }
}

/// The OID at the start of an AlgorithmIdentifier.
fn algorithm(tlv: &Tlv<'_>) -> Option<ObjectIdentifier> {
    if tlv.tag != SEQUENCE {
        return None;
    }
    let (first, _) = asn1::read(tlv.value)?;
    oid(&first)
}

/// `YYYYMMDDHHMMSS[.f*]Z` as [`Nanos`].
fn generalized_time(text: &[u8]) -> Option<Nanos> {
    let text = std::str::from_utf8(text).ok()?;
    let text = text.strip_suffix('Z')?;
    let (main, fraction) = match text.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (text, None),
    };
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| main.get(r)?.parse::<u32>().ok();
    let mut nanos = 0u32;
    if let Some(fraction) = fraction {
        if fraction.is_empty()
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        nanos = fraction.parse::<u32>().ok()? * 10u32.pow(u32::try_from(9 - fraction.len()).ok()?);
    }
    time::from_civil(
        i64::from(num(0..4)?),
        num(4..6)?,
        num(6..8)?,
        num(8..10)?,
        num(10..12)?,
        num(12..14)?,
        nanos,
    )
}

struct TstInfo {
    imprint_hash: Hash,
    imprint: Vec<u8>,
    gen_time: Nanos,
}

fn parse_tst_info(der: &[u8]) -> Result<TstInfo, String> {
    let (seq, rest) = asn1::read(der).ok_or_else(|| bad("TSTInfo"))?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return Err(bad("TSTInfo"));
    }
    let fields = asn1::children(seq.value).ok_or_else(|| bad("TSTInfo"))?;
    // version, policy, messageImprint, serialNumber, genTime, ...
    let [version, policy, imprint, serial, gen_time, ..] = fields.as_slice() else {
        return Err(bad("TSTInfo fields"));
    };
    if version.tag != INTEGER
        || version.value != [1]
        || oid(policy).is_none()
        || serial.tag != INTEGER
    {
        return Err(bad("TSTInfo version, policy or serial"));
    }
    let imprint_fields = (imprint.tag == SEQUENCE)
        .then(|| asn1::children(imprint.value))
        .flatten()
        .ok_or_else(|| bad("messageImprint"))?;
    let [hash_algorithm, hashed] = imprint_fields.as_slice() else {
        return Err(bad("messageImprint"));
    };
    let imprint_hash = algorithm(hash_algorithm)
        .and_then(hash_of)
        .ok_or("unsupported message imprint hash algorithm")?;
    if hashed.tag != OCTET_STRING {
        return Err(bad("hashedMessage"));
    }
    if gen_time.tag != GENERALIZED_TIME {
        return Err(bad("genTime"));
    }
    let gen_time = generalized_time(gen_time.value).ok_or_else(|| bad("genTime"))?;
    Ok(TstInfo {
        imprint_hash,
        imprint: hashed.value.to_vec(),
        gen_time,
    })
}

/// The signer identifier of a SignerInfo.
enum SignerId<'a> {
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    KeyId(&'a [u8]),
}

impl SignerId<'_> {
    fn matches(&self, cert: &Certificate) -> bool {
        match self {
            SignerId::IssuerSerial { issuer, serial } => {
                der::Encode::to_der(cert.tbs().issuer()).is_ok_and(|i| i == *issuer)
                    && der::Encode::to_der(cert.tbs().serial_number()).is_ok_and(|s| s == *serial)
            }
            SignerId::KeyId(id) => cert.subject_key_id().is_some_and(|k| k == *id),
        }
    }
}

/// Verifies a timestamp over `signature` and returns its time.
pub(crate) fn verify(token: &[u8], signature: &[u8], trust: &TrustedRoot) -> Result<Nanos, String> {
    let (outer, rest) = asn1::read(token).ok_or_else(|| bad("not DER"))?;
    if outer.tag != SEQUENCE || !rest.is_empty() {
        return Err(bad("not a SEQUENCE"));
    }
    let parts = asn1::children(outer.value).ok_or_else(|| bad("not DER"))?;
    // TimeStampResp { status PKIStatusInfo, timeStampToken } or a bare ContentInfo.
    let content_info: Tlv<'_> = match parts.as_slice() {
        [status, token] if status.tag == SEQUENCE => {
            let status_fields = asn1::children(status.value).ok_or_else(|| bad("status"))?;
            let granted = status_fields
                .first()
                .is_some_and(|s| s.tag == INTEGER && (s.value == [0] || s.value == [1]));
            if !granted {
                return Err("the timestamp response is not granted".to_owned());
            }
            *token
        }
        [content_type, _] if content_type.tag == OID => outer,
        _ => return Err(bad("neither a TimeStampResp nor a TimeStampToken")),
    };
    let ci = asn1::children(content_info.value).ok_or_else(|| bad("ContentInfo"))?;
    let [ci_type, ci_content] = ci.as_slice() else {
        return Err(bad("ContentInfo"));
    };
    if oid(ci_type) != Some(OID_SIGNED_DATA) || ci_content.tag != CONTEXT_0 {
        return Err(bad("not SignedData"));
    }
    let (signed_data, _) = asn1::read(ci_content.value).ok_or_else(|| bad("SignedData"))?;
    let sd = asn1::children(signed_data.value).ok_or_else(|| bad("SignedData"))?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos
    if sd.len() < 4 {
        return Err(bad("SignedData fields"));
    }
    let encap = asn1::children(sd[2].value).ok_or_else(|| bad("encapContentInfo"))?;
    let [e_type, e_content] = encap.as_slice() else {
        return Err(bad("encapContentInfo"));
    };
    if oid(e_type) != Some(OID_TST_INFO) || e_content.tag != CONTEXT_0 {
        return Err("the timestamp's content is not a TSTInfo".to_owned());
    }
    let (e_octets, _) = asn1::read(e_content.value).ok_or_else(|| bad("eContent"))?;
    if e_octets.tag != OCTET_STRING {
        return Err(bad("eContent"));
    }
    let tst_der = e_octets.value;
    let tst = parse_tst_info(tst_der)?;

    let mut embedded = Vec::new();
    let mut signer_infos = None;
    for field in &sd[3..] {
        match field.tag {
            CONTEXT_0 => {
                for cert in asn1::children(field.value).ok_or_else(|| bad("certificates"))? {
                    if cert.tag == SEQUENCE {
                        embedded.push(Certificate::parse(cert.raw).map_err(|e| bad(&e))?);
                    }
                }
            }
            0xa1 => {}
            SET => signer_infos = Some(field),
            _ => return Err(bad("SignedData field")),
        }
    }
    let signer_infos = asn1::children(signer_infos.ok_or_else(|| bad("signerInfos"))?.value)
        .ok_or_else(|| bad("signerInfos"))?;
    let [signer_info] = signer_infos.as_slice() else {
        return Err("the timestamp must have exactly one signer".to_owned());
    };
    let si = asn1::children(signer_info.value).ok_or_else(|| bad("SignerInfo"))?;
    if si.len() < 5 {
        return Err(bad("SignerInfo fields"));
    }
    let sid = match si[1].tag {
        SEQUENCE => {
            let fields = asn1::children(si[1].value).ok_or_else(|| bad("sid"))?;
            let [issuer, serial] = fields.as_slice() else {
                return Err(bad("sid"));
            };
            SignerId::IssuerSerial {
                issuer: issuer.raw,
                serial: serial.raw,
            }
        }
        CONTEXT_0_PRIMITIVE => SignerId::KeyId(si[1].value),
        _ => return Err(bad("sid")),
    };
    let digest_hash = algorithm(&si[2])
        .and_then(hash_of)
        .ok_or("unsupported signer digest algorithm")?;
    let (signed_attrs, rest) = if si[3].tag == CONTEXT_0 {
        (Some(si[3]), &si[4..])
    } else {
        (None, &si[3..])
    };
    let [sig_alg, sig_value, ..] = rest else {
        return Err(bad("SignerInfo fields"));
    };
    if sig_value.tag != OCTET_STRING {
        return Err(bad("signature"));
    }
    let sig_oid = algorithm(sig_alg).ok_or_else(|| bad("signatureAlgorithm"))?;
    let sig_algorithm = SignatureAlgorithm::from_oid(sig_oid)
        .or(match sig_oid {
            OID_EC_PUBLIC_KEY => Some(SignatureAlgorithm::Ecdsa(digest_hash)),
            OID_RSA => Some(SignatureAlgorithm::RsaPkcs1(digest_hash)),
            _ => None,
        })
        .ok_or("unsupported timestamp signature algorithm")?;
    let signed_bytes = match signed_attrs {
        Some(attrs) => {
            let mut content_type_ok = false;
            let mut digest_ok = false;
            for attr in asn1::children(attrs.value).ok_or_else(|| bad("signedAttrs"))? {
                let fields = asn1::children(attr.value).ok_or_else(|| bad("attribute"))?;
                let [attr_type, values] = fields.as_slice() else {
                    return Err(bad("attribute"));
                };
                let values = asn1::children(values.value).ok_or_else(|| bad("attribute values"))?;
                match oid(attr_type) {
                    Some(OID_CONTENT_TYPE) => {
                        content_type_ok =
                            matches!(values.as_slice(), [v] if oid(v) == Some(OID_TST_INFO));
                    }
                    Some(OID_MESSAGE_DIGEST) => {
                        let expected = crate::trust::key::digest(digest_hash, tst_der);
                        digest_ok = matches!(values.as_slice(), [v] if v.tag == OCTET_STRING && v.value == expected.as_slice());
                    }
                    _ => {}
                }
            }
            if !content_type_ok || !digest_ok {
                return Err("the timestamp's signed attributes do not cover its TSTInfo".to_owned());
            }
            // The signature covers the attributes re-tagged as a SET OF.
            asn1::encode(SET, attrs.value)
        }
        None => tst_der.to_vec(),
    };

    // The imprint covers the bundle's signature.
    if crate::trust::key::digest(tst.imprint_hash, signature) != tst.imprint {
        return Err("the timestamp's message imprint is not the hash of the signature".to_owned());
    }

    // Find the signer certificate and a trusted authority for it.
    let mut reasons = Vec::new();
    for authority in trust.timestamp_authorities() {
        let listed: Vec<Certificate> = authority
            .certificates()
            .iter()
            .filter_map(|der| Certificate::parse(der).ok())
            .collect();
        let Some(signer) = embedded.iter().chain(&listed).find(|c| sid.matches(c)) else {
            reasons.push(format!("{}: signer certificate not found", authority.uri()));
            continue;
        };
        let Some(key) = signer.public_key() else {
            reasons.push("unsupported signer key".to_owned());
            continue;
        };
        if !sig_algorithm.verify(&key, &signed_bytes, sig_value.value) {
            reasons.push(format!("{}: signature does not verify", authority.uri()));
            continue;
        }
        match x509::verify_path(signer, authority, tst.gen_time, x509::EKU_TIME_STAMPING) {
            Ok(_) => return Ok(tst.gen_time),
            Err(e) => reasons.push(format!("{}: {e}", authority.uri())),
        }
    }
    if reasons.is_empty() {
        return Err("the trusted root has no timestamp authority".to_owned());
    }
    Err(format!(
        "no trusted timestamp authority signed it ({})",
        reasons.join("; ")
    ))
}
