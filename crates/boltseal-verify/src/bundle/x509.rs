//! X.509 certificates as Sigstore uses them: Fulcio leaves and CA chains, timestamp-authority
//! chains. Path validation here is deliberately narrow: a leaf, then the certificates of one
//! trusted authority, in order, up to its root.

use const_oid::ObjectIdentifier;
use der::Decode as _;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};

use super::asn1;
use crate::trust::time::{self, Nanos};
use crate::trust::{CertificateAuthority, Hash, PublicKey};

pub(crate) const OID_BASIC_CONSTRAINTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.19");
pub(crate) const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
pub(crate) const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
pub(crate) const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// Embedded SCT list (RFC 6962 §3.3).
pub(crate) const OID_SCT_LIST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// Fulcio's OIDC issuer, raw string bytes (deprecated form).
pub(crate) const OID_FULCIO_ISSUER_V1: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio's OIDC issuer, DER UTF8String.
pub(crate) const OID_FULCIO_ISSUER_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// Fulcio's OtherName SAN type (a UTF8String username).
const OID_FULCIO_OTHERNAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// `id-kp-codeSigning`.
pub(crate) const EKU_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// `id-kp-timeStamping`.
pub(crate) const EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ED25519_SIG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Critical extensions a verifier here understands; any other critical extension fails.
const UNDERSTOOD_CRITICAL: &[ObjectIdentifier] = &[
    OID_BASIC_CONSTRAINTS,
    OID_KEY_USAGE,
    OID_EXT_KEY_USAGE,
    OID_SUBJECT_ALT_NAME,
    OID_SUBJECT_KEY_ID,
    OID_AUTHORITY_KEY_ID,
];

/// A signature algorithm of a certificate or CMS signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    Ecdsa(Hash),
    RsaPkcs1(Hash),
    Ed25519,
}

impl SignatureAlgorithm {
    pub(crate) fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        Some(match oid {
            ECDSA_SHA256 => SignatureAlgorithm::Ecdsa(Hash::Sha256),
            ECDSA_SHA384 => SignatureAlgorithm::Ecdsa(Hash::Sha384),
            ECDSA_SHA512 => SignatureAlgorithm::Ecdsa(Hash::Sha512),
            RSA_SHA256 => SignatureAlgorithm::RsaPkcs1(Hash::Sha256),
            RSA_SHA384 => SignatureAlgorithm::RsaPkcs1(Hash::Sha384),
            RSA_SHA512 => SignatureAlgorithm::RsaPkcs1(Hash::Sha512),
            ED25519_SIG => SignatureAlgorithm::Ed25519,
            _ => return None,
        })
    }

    /// Verifies `signature` over `message` with `key` under this algorithm.
    pub(crate) fn verify(self, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        match self {
            SignatureAlgorithm::Ecdsa(hash) => {
                crate::trust::key::verifies_hashed(key, true, hash, message, signature)
            }
            SignatureAlgorithm::RsaPkcs1(hash) => {
                crate::trust::key::verifies_hashed(key, false, hash, message, signature)
            }
            SignatureAlgorithm::Ed25519 => {
                key.algorithm() == crate::trust::KeyAlgorithm::Ed25519
                    && key.verify(message, signature).is_ok()
            }
        }
    }
}

/// A parsed certificate with the raw pieces verification needs.
#[derive(Debug, Clone)]
pub(crate) struct Certificate {
    der: Vec<u8>,
    cert: x509_cert::Certificate,
    tbs_raw: std::ops::Range<usize>,
    signature_algorithm: Option<SignatureAlgorithm>,
    not_before: Nanos,
    not_after: Nanos,
    spki_der: Vec<u8>,
}

impl Certificate {
    /// Parses a DER certificate.
    pub(crate) fn parse(der: &[u8]) -> Result<Self, String> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| format!("not a DER certificate: {e}"))?;
        let (outer, rest) = asn1::read(der).ok_or("not a DER certificate")?;
        if !rest.is_empty() {
            return Err("trailing bytes after the certificate".to_owned());
        }
        let (tbs, _) = asn1::read(outer.value).ok_or("not a DER certificate")?;
        let start = tbs.raw.as_ptr() as usize - der.as_ptr() as usize;
        let tbs_raw = start..start + tbs.raw.len();
        let tbs_cert = cert.tbs_certificate();
        if tbs_cert.signature() != cert.signature_algorithm() {
            return Err("inner and outer signature algorithms differ".to_owned());
        }
        let validity = tbs_cert.validity();
        let to_nanos = |t: x509_cert::time::Time| {
            i128::try_from(t.to_unix_duration().as_nanos()).unwrap_or(i128::MAX)
        };
        let spki_der = der::Encode::to_der(tbs_cert.subject_public_key_info())
            .map_err(|e| format!("bad public key: {e}"))?;
        Ok(Certificate {
            der: der.to_vec(),
            signature_algorithm: SignatureAlgorithm::from_oid(cert.signature_algorithm().oid),
            not_before: to_nanos(validity.not_before),
            not_after: to_nanos(validity.not_after),
            tbs_raw,
            spki_der,
            cert,
        })
    }

    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    pub(crate) fn tbs(&self) -> &x509_cert::TbsCertificate {
        self.cert.tbs_certificate()
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    pub(crate) fn public_key(&self) -> Option<PublicKey> {
        PublicKey::from_spki_der(&self.spki_der).ok()
    }

    pub(crate) fn not_before_nanos(&self) -> Nanos {
        self.not_before
    }

    pub(crate) fn valid_at(&self, at: Nanos) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    fn extensions(&self) -> &[x509_cert::ext::Extension] {
        self.tbs().extensions().map_or(&[], |e| e.as_slice())
    }

    /// The value of the extension `oid`, when present exactly once.
    pub(crate) fn extension(&self, oid: ObjectIdentifier) -> Result<Option<&[u8]>, String> {
        let mut found = self.extensions().iter().filter(|e| e.extn_id == oid);
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("extension {oid} appears twice"));
        }
        Ok(first.map(|e| e.extn_value.as_bytes()))
    }

    fn basic_constraints(&self) -> Result<Option<BasicConstraints>, String> {
        self.extension(OID_BASIC_CONSTRAINTS)?
            .map(|v| BasicConstraints::from_der(v).map_err(|e| format!("basic constraints: {e}")))
            .transpose()
    }

    fn key_usage(&self) -> Result<Option<KeyUsage>, String> {
        self.extension(OID_KEY_USAGE)?
            .map(|v| KeyUsage::from_der(v).map_err(|e| format!("key usage: {e}")))
            .transpose()
    }

    fn extended_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, String> {
        self.extension(OID_EXT_KEY_USAGE)?
            .map(|v| ExtendedKeyUsage::from_der(v).map_err(|e| format!("extended key usage: {e}")))
            .transpose()
    }

    pub(crate) fn subject_key_id(&self) -> Option<Vec<u8>> {
        let value = self.extension(OID_SUBJECT_KEY_ID).ok()??;
        let (tlv, _) = asn1::read(value)?;
        (tlv.tag == 0x04).then(|| tlv.value.to_vec())
    }

    pub(crate) fn is_self_issued(&self) -> bool {
        self.tbs().issuer() == self.tbs().subject()
    }

    /// Whether `issuer`'s key made this certificate's signature.
    pub(crate) fn signed_by(&self, issuer: &Certificate) -> bool {
        if self.tbs().issuer() != issuer.tbs().subject() {
            return false;
        }
        let (Some(algorithm), Some(key)) = (self.signature_algorithm, issuer.public_key()) else {
            return false;
        };
        let Some(signature) = self.cert.signature().as_bytes() else {
            return false;
        };
        algorithm.verify(&key, &self.der[self.tbs_raw.clone()], signature)
    }

    /// Every critical extension is one this module understands.
    fn critical_extensions_understood(&self) -> bool {
        self.extensions()
            .iter()
            .all(|e| !e.critical || UNDERSTOOD_CRITICAL.contains(&e.extn_id))
    }

    /// The subject alternative names rendered as strings (email, URI, DNS, Fulcio username).
    pub(crate) fn subject_alternative_names(&self) -> Result<Vec<String>, String> {
        let Some(value) = self.extension(OID_SUBJECT_ALT_NAME)? else {
            return Ok(Vec::new());
        };
        let san = SubjectAltName::from_der(value)
            .map_err(|e| format!("subject alternative name: {e}"))?;
        let mut names = Vec::new();
        for name in san.0 {
            match name {
                GeneralName::Rfc822Name(s)
                | GeneralName::DnsName(s)
                | GeneralName::UniformResourceIdentifier(s) => {
                    names.push(s.as_str().to_owned());
                }
                GeneralName::OtherName(other) if other.type_id == OID_FULCIO_OTHERNAME => {
                    if let Ok(s) = other.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                        names.push(s.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(names)
    }

    /// The OIDC issuer Fulcio recorded: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), else
    /// the deprecated 1.3.6.1.4.1.57264.1.1 (the raw string). Both present and different fails.
    pub(crate) fn fulcio_issuer(&self) -> Result<Option<String>, String> {
        let v2 = match self.extension(OID_FULCIO_ISSUER_V2)? {
            Some(value) => Some(
                der::asn1::Utf8StringRef::from_der(value)
                    .map_err(|e| format!("OIDC issuer extension (1.8): {e}"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let v1 = match self.extension(OID_FULCIO_ISSUER_V1)? {
            Some(value) => Some(
                std::str::from_utf8(value)
                    .map_err(|_| "OIDC issuer extension (1.1) is not UTF-8".to_owned())?
                    .to_owned(),
            ),
            None => None,
        };
        match (v2, v1) {
            (Some(a), Some(b)) if a != b => Err("the two OIDC issuer extensions differ".to_owned()),
            (Some(a), _) => Ok(Some(a)),
            (None, b) => Ok(b),
        }
    }

    /// The DER of the TBSCertificate with the extension `oid` removed (for precertificate SCTs).
    pub(crate) fn tbs_without_extension(&self, oid: ObjectIdentifier) -> Option<Vec<u8>> {
        let oid_der = der::Encode::to_der(&oid).ok()?;
        let (tbs, _) = asn1::read(&self.der[self.tbs_raw.clone()])?;
        let mut fields = Vec::new();
        for field in asn1::children(tbs.value)? {
            if field.tag != 0xa3 {
                fields.extend_from_slice(field.raw);
                continue;
            }
            let (list, _) = asn1::read(field.value)?;
            let mut kept = Vec::new();
            for extension in asn1::children(list.value)? {
                let (id, _) = asn1::read(extension.value)?;
                if id.raw != oid_der.as_slice() {
                    kept.extend_from_slice(extension.raw);
                }
            }
            fields.extend(asn1::encode(0xa3, &asn1::encode(0x30, &kept)));
        }
        Some(asn1::encode(0x30, &fields))
    }

    /// The issuer-side checks for a CA certificate in a path.
    fn usable_as_ca(&self, path_below: usize) -> bool {
        let Ok(Some(bc)) = self.basic_constraints() else {
            return false;
        };
        if !bc.ca {
            return false;
        }
        if let Some(max) = bc.path_len_constraint
            && path_below > usize::from(max)
        {
            return false;
        }
        match self.key_usage() {
            Ok(Some(ku)) => ku.key_cert_sign(),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Whether the certificate's extended key usage allows `purpose` (absent EKU allows all, as in
    /// the CA certificates of a path).
    fn allows_purpose(&self, purpose: ObjectIdentifier, required: bool) -> bool {
        match self.extended_key_usage() {
            Ok(Some(eku)) => eku.0.contains(&purpose),
            Ok(None) => !required,
            Err(_) => false,
        }
    }
}

/// Validates `leaf` against one trusted authority at `at`: the leaf, then the authority's
/// certificates in order (each signed by the next), every certificate valid at `at`, the
/// authority valid at `at`, CA constraints on the issuers, and `purpose` in the leaf's extended
/// key usage (and in every issuer's, when an issuer restricts it).
///
/// The leaf may be issued by any certificate of the chain (a chain may list intermediates the
/// leaf does not need). Returns the reason on failure.
pub(crate) fn verify_path(
    leaf: &Certificate,
    authority: &CertificateAuthority,
    at: Nanos,
    purpose: ObjectIdentifier,
) -> Result<Certificate, String> {
    if !authority.validity().contains_nanos(at) {
        return Err(format!(
            "the authority {} is not valid at the signing time",
            authority.uri()
        ));
    }
    let mut chain: Vec<Certificate> = authority
        .certificates()
        .iter()
        .map(|der| Certificate::parse(der))
        .collect::<Result<_, _>>()?;
    // Timestamp authorities list their signing certificate first: the leaf itself is trusted
    // material then, and the path continues with the rest of the chain.
    let leaf_listed = chain.first().is_some_and(|c| c.der() == leaf.der());
    if leaf_listed {
        chain.remove(0);
    }
    if !leaf.valid_at(at) {
        return Err(format!(
            "certificate not valid at {} (valid {}..{})",
            time::to_unix(at),
            time::to_unix(leaf.not_before),
            time::to_unix(leaf.not_after)
        ));
    }
    if !leaf.critical_extensions_understood() {
        return Err("certificate has an unknown critical extension".to_owned());
    }
    if !leaf.allows_purpose(purpose, true) {
        return Err(format!("certificate's extended key usage lacks {purpose}"));
    }
    if let Ok(Some(bc)) = leaf.basic_constraints()
        && bc.ca
    {
        return Err("certificate is a CA certificate".to_owned());
    }
    if let Ok(Some(ku)) = leaf.key_usage()
        && !ku.digital_signature()
    {
        return Err("certificate's key usage lacks digitalSignature".to_owned());
    }
    if leaf_listed && chain.is_empty() {
        return Ok(leaf.clone());
    }
    // Find the issuer of the leaf in the chain, then walk the chain to its end.
    let start = chain
        .iter()
        .position(|ca| leaf.signed_by(ca))
        .ok_or_else(|| {
            format!(
                "certificate is not issued by the authority {}",
                authority.uri()
            )
        })?;
    for (depth, ca) in chain[start..].iter().enumerate() {
        if !ca.valid_at(at) {
            return Err(format!(
                "CA certificate {} of {} is not valid at the signing time",
                start + depth,
                authority.uri()
            ));
        }
        if !ca.critical_extensions_understood() {
            return Err("CA certificate has an unknown critical extension".to_owned());
        }
        if !ca.usable_as_ca(depth) {
            return Err(format!(
                "CA certificate {} of {} may not issue certificates",
                start + depth,
                authority.uri()
            ));
        }
        if !ca.allows_purpose(purpose, false) {
            return Err(format!(
                "CA certificate {} of {} does not allow {purpose}",
                start + depth,
                authority.uri()
            ));
        }
        let issuer = chain.get(start + depth + 1);
        match issuer {
            Some(issuer) => {
                if !ca.signed_by(issuer) {
                    return Err(format!(
                        "CA chain of {} is broken at certificate {}",
                        authority.uri(),
                        start + depth
                    ));
                }
            }
            None => {
                // The trust anchor: trusted because the root lists it; a self-signed root must
                // still carry a valid self-signature.
                if ca.is_self_issued() && !ca.signed_by(ca) {
                    return Err(format!(
                        "root of {} has a bad self-signature",
                        authority.uri()
                    ));
                }
            }
        }
    }
    Ok(chain[start].clone())
}
