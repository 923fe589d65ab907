//! A private Sigstore instance for tests, offline: a Fulcio-like CA, a CT log and a Rekor v1 log,
//! each with a fresh P-256 key, and the `trusted_root.json` that trusts them. It issues keyless
//! material the way the public-good instance does: short-lived leaf certificates for an e-mail
//! identity and an OIDC issuer (extensions 1.3.6.1.4.1.57264.1.1 and .1.8) with an embedded
//! precertificate SCT, and Rekor entries with a signed entry timestamp, an inclusion proof and a
//! signed checkpoint. From these it builds what cosign writes for keyless attestations: legacy
//! `.att` layers (DSSE envelope + certificate, chain and Rekor bundle annotations) and Sigstore
//! bundle v0.3 referrers (DSSE, `dsse` 0.0.1 entry), plus message-signature bundles for blobs.
//!
//! Test-only signing code: boltseal-verify never depends on it (nor on boltseal-sign).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use boltseal_envelope::bundle::{
    Bundle, Content, InclusionProof, MessageSignature, RekorBundle, RekorPayload,
    TransparencyLogEntry, VerificationMaterial,
};
use boltseal_envelope::dsse;
use boltseal_keys::PrivateKey;
use boltseal_reference::Digest;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    boltseal_core::hex::decode_array(Digest::sha256_of(bytes).encoded()).expect("sha256 hex")
}

fn hex(bytes: &[u8]) -> String {
    boltseal_core::hex::encode(bytes)
}

// --- a small DER writer -------------------------------------------------------------------

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.insert(0, 0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        body.extend(chunk);
    }
    tlv(0x06, &body)
}

/// A positive INTEGER body in minimal form.
fn uint(n: u64) -> Vec<u8> {
    let mut body: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    if body.first().is_none_or(|b| b & 0x80 != 0) {
        body.insert(0, 0);
    }
    body
}

fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

/// UTCTime for a Unix time (years 1970–2049).
fn utc_time(unix: i64) -> Vec<u8> {
    // `YYYY-MM-DDTHH:MM:SSZ` → `YYMMDDHHMMSSZ`.
    let text = boltseal_core::Timestamp::from_unix_seconds(unix).to_rfc3339_seconds();
    let digits: String = text.chars().filter(char::is_ascii_digit).skip(2).collect();
    tlv(0x17, format!("{digits}Z").as_bytes())
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(octets(value));
    seq(&parts)
}

const ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const FULCIO_ISSUER_V1: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 1];
const FULCIO_ISSUER_V2: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];
const SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

fn name(cn: &str) -> Vec<u8> {
    seq(&[
        tlv(0x31, &seq(&[oid(&[2, 5, 4, 10]), utf8("boltseal-test")])),
        tlv(0x31, &seq(&[oid(&[2, 5, 4, 3]), utf8(cn)])),
    ])
}

fn tbs(
    serial: u64,
    issuer: &[u8],
    not_before: i64,
    not_after: i64,
    subject: &[u8],
    spki: &[u8],
    extensions: &[Vec<u8>],
) -> Vec<u8> {
    seq(&[
        tlv(0xa0, &tlv(0x02, &[2])),
        tlv(0x02, &uint(serial)),
        seq(&[oid(ECDSA_SHA256)]),
        issuer.to_vec(),
        seq(&[utc_time(not_before), utc_time(not_after)]),
        subject.to_vec(),
        spki.to_vec(),
        tlv(0xa3, &seq(extensions)),
    ])
}

fn certificate(tbs: &[u8], issuer_key: &PrivateKey) -> Vec<u8> {
    let signature = issuer_key.sign_der(tbs);
    seq(&[
        tbs.to_vec(),
        seq(&[oid(ECDSA_SHA256)]),
        tlv(0x03, &[&[0u8][..], &signature].concat()),
    ])
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = b64(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// --- the instance --------------------------------------------------------------------------

/// A short-lived signing certificate and its key.
pub struct Leaf {
    /// The certificate's private key.
    pub key: PrivateKey,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl Leaf {
    /// The certificate, PEM.
    pub fn pem(&self) -> String {
        pem("CERTIFICATE", &self.der)
    }
}

/// A logged entry: what a Rekor v1 log returns for one body.
pub struct Logged {
    /// The logged entry body (canonical JSON).
    pub body: Vec<u8>,
    /// Its index in the log (always 0: each entry is logged in a fresh tree).
    pub log_index: i64,
    /// When it was logged, Unix seconds.
    pub integrated_time: i64,
    /// The signed entry timestamp.
    pub set: Vec<u8>,
    /// The tree's root hash (the leaf hash, in a tree of size 1).
    pub root: [u8; 32],
    /// The log's signed checkpoint of that root.
    pub checkpoint: String,
}

/// A private Sigstore instance: a CA, a CT log and a Rekor log, each with a fresh key.
pub struct Instance {
    ca_key: PrivateKey,
    ca_der: Vec<u8>,
    ca_name: Vec<u8>,
    ct_key: PrivateKey,
    rekor_key: PrivateKey,
    serial: std::sync::atomic::AtomicU64,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

impl Instance {
    /// A fresh instance (new keys, a CA valid from a day ago for ten days).
    #[must_use]
    pub fn new() -> Self {
        let ca_key = PrivateKey::generate().unwrap();
        let ca_name = name("boltseal-test-fulcio");
        let t = now();
        let ca_tbs = tbs(
            1,
            &ca_name,
            t - 86_400,
            t + 10 * 86_400,
            &ca_name,
            &ca_key.public_key().to_spki_der(),
            &[
                extension(&[2, 5, 29, 19], true, &seq(&[vec![0x01, 0x01, 0xff]])),
                // keyCertSign and cRLSign.
                extension(&[2, 5, 29, 15], true, &[0x03, 0x02, 0x01, 0x06]),
            ],
        );
        let ca_der = certificate(&ca_tbs, &ca_key);
        Instance {
            ca_key,
            ca_der,
            ca_name,
            ct_key: PrivateKey::generate().unwrap(),
            rekor_key: PrivateKey::generate().unwrap(),
            serial: std::sync::atomic::AtomicU64::new(2),
        }
    }

    fn rekor_log_id(&self) -> [u8; 32] {
        sha256(&self.rekor_key.public_key().to_spki_der())
    }

    /// The Rekor log's public key, PEM (what a policy's `rekor.pubkey` names).
    pub fn rekor_public_pem(&self) -> String {
        self.rekor_key.public_key().to_pem()
    }

    /// Logs a key signature (`hashedrekord` 0.0.1 over `payload`, `signature` DER, by the key
    /// `key_pem`) and returns what `cosign sign --key` stores in the layer's
    /// `dev.sigstore.cosign/bundle` annotation.
    pub fn legacy_key_signature_bundle(
        &self,
        key_pem: &str,
        payload: &[u8],
        signature: &[u8],
    ) -> String {
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(payload))}},
                "signature": {"content": b64(signature),
                              "publicKey": {"content": b64(key_pem.as_bytes())}}}
        }))
        .unwrap();
        self.rekor_annotation(body)
    }

    /// Logs `body` and returns the legacy `dev.sigstore.cosign/bundle` annotation for it
    /// (SET and entry).
    fn rekor_annotation(&self, body: Vec<u8>) -> String {
        let logged = self.log(body);
        let rekor = RekorBundle::new(
            logged.set.clone(),
            RekorPayload::new(
                &logged.body,
                logged.integrated_time,
                logged.log_index,
                hex(&self.rekor_log_id()),
            ),
        );
        String::from_utf8(rekor.to_bytes()).unwrap()
    }

    /// Logs a DSSE envelope (`blob`, over `statement`, `signature` by the signer `signer_pem`
    /// names) as an `intoto` 0.0.2 entry, as `cosign attest` does; the bundle annotation.
    fn intoto_annotation(
        &self,
        blob: &[u8],
        statement: &[u8],
        signature: &[u8],
        signer_pem: &str,
    ) -> String {
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {"payloadType": dsse::PAYLOAD_TYPE_IN_TOTO, "signatures": [{
                    "publicKey": b64(signer_pem.as_bytes()),
                    "sig": b64(b64(signature).as_bytes())}]},
                "hash": {"algorithm": "sha256", "value": hex(&sha256(blob))},
                "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(statement))}}}
        }))
        .unwrap();
        self.rekor_annotation(body)
    }

    /// What `cosign attest --key` (legacy layout, logged) writes as one `.att` layer: the DSSE
    /// envelope signed by `key` as the blob, and the Rekor bundle (an `intoto` 0.0.2 entry
    /// naming the key) and predicate-type annotations.
    pub fn legacy_key_attestation(
        &self,
        key: &PrivateKey,
        statement: &[u8],
        predicate_type: &str,
    ) -> (Vec<u8>, BTreeMap<String, String>) {
        let (envelope, signature) = Self::envelope(key, statement);
        let blob = envelope.to_bytes();
        let bundle =
            self.intoto_annotation(&blob, statement, &signature, &key.public_key().to_pem());
        let annotations = BTreeMap::from([
            ("dev.sigstore.cosign/bundle".to_owned(), bundle),
            ("predicateType".to_owned(), predicate_type.to_owned()),
        ]);
        (blob, annotations)
    }

    /// The Rekor log's public key.
    pub fn rekor_public_key(&self) -> boltseal_keys::PublicKey {
        self.rekor_key.public_key()
    }

    /// The `trusted_root.json` of this instance.
    pub fn trusted_root_json(&self) -> Vec<u8> {
        let start = "2020-01-01T00:00:00Z";
        let key = |k: &PrivateKey| {
            json!({"rawBytes": b64(&k.public_key().to_spki_der()),
                   "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": start}})
        };
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{"baseUrl": "https://rekor.boltseal.test", "hashAlgorithm": "SHA2_256",
                       "publicKey": key(&self.rekor_key),
                       "logId": {"keyId": b64(&self.rekor_log_id())}}],
            "certificateAuthorities": [{
                "subject": {"organization": "boltseal-test", "commonName": "boltseal-test-fulcio"},
                "uri": "https://fulcio.boltseal.test",
                "certChain": {"certificates": [{"rawBytes": b64(&self.ca_der)}]},
                "validFor": {"start": start}}],
            "ctlogs": [{"baseUrl": "https://ctfe.boltseal.test", "hashAlgorithm": "SHA2_256",
                        "publicKey": key(&self.ct_key),
                        "logId": {"keyId": b64(&sha256(&self.ct_key.public_key().to_spki_der()))}}],
            "timestampAuthorities": []
        });
        serde_json::to_vec_pretty(&root).unwrap()
    }

    /// The trusted root of this instance, parsed.
    #[must_use]
    pub fn trusted_root(&self) -> boltseal_verify::trust::TrustedRoot {
        boltseal_verify::trust::TrustedRoot::from_json(&self.trusted_root_json()).unwrap()
    }

    /// The CA certificate (what cosign puts in the `dev.sigstore.cosign/chain` annotation).
    pub fn ca_pem(&self) -> String {
        pem("CERTIFICATE", &self.ca_der)
    }

    /// A leaf certificate for `identity` (an e-mail SAN) issued by `issuer`, valid from 30 s
    /// ago for 10 minutes, with an embedded SCT from the CT log.
    pub fn leaf(&self, identity: &str, issuer: &str) -> Leaf {
        let key = PrivateKey::generate().unwrap();
        let t = now();
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut extensions = vec![
            extension(&[2, 5, 29, 15], true, &[0x03, 0x02, 0x07, 0x80]),
            extension(
                &[2, 5, 29, 37],
                false,
                &seq(&[oid(&[1, 3, 6, 1, 5, 5, 7, 3, 3])]),
            ),
            extension(
                &[2, 5, 29, 17],
                true,
                &seq(&[tlv(0x81, identity.as_bytes())]),
            ),
            extension(FULCIO_ISSUER_V1, false, issuer.as_bytes()),
            extension(FULCIO_ISSUER_V2, false, &utf8(issuer)),
        ];
        let spki = key.public_key().to_spki_der();
        let leaf_tbs = |extensions: &[Vec<u8>]| {
            tbs(
                serial,
                &self.ca_name,
                t - 30,
                t + 600,
                &seq(&[]),
                &spki,
                extensions,
            )
        };
        let precert = leaf_tbs(&extensions);
        // The SCT signs the precertificate TBS (RFC 6962 §3.2).
        let timestamp_ms = (t as u64) * 1000;
        let issuer_key_hash = sha256(&self.ca_key.public_key().to_spki_der());
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&(precert.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(&precert);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let sct_signature = self.ct_key.sign_der(&signed);
        let mut sct = vec![0u8];
        sct.extend_from_slice(&sha256(&self.ct_key.public_key().to_spki_der()));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]);
        sct.extend_from_slice(&(sct_signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sct_signature);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        extensions.push(extension(SCT_LIST, false, &octets(&list)));
        let tbs = leaf_tbs(&extensions);
        Leaf {
            der: certificate(&tbs, &self.ca_key),
            key,
        }
    }

    /// Logs `body` in a fresh tree of size 1: the SET over the RFC 8785 payload, the root (the
    /// leaf hash) and a checkpoint of that root signed by the log.
    pub fn log(&self, body: Vec<u8>) -> Logged {
        let log_id = self.rekor_log_id();
        let integrated_time = now();
        let log_index = 0;
        let set = self.rekor_key.sign_der(
            &RekorPayload::new(&body, integrated_time, log_index, hex(&log_id)).canonical_bytes(),
        );
        let root = sha256(&[&[0u8][..], &body].concat());
        let note = format!("rekor.boltseal.test - 1\n1\n{}\n", b64(&root));
        let note_signature = self.rekor_key.sign_der(note.as_bytes());
        let checkpoint = format!(
            "{note}\n\u{2014} rekor.boltseal.test {}\n",
            b64(&[&log_id[..4], &note_signature].concat())
        );
        Logged {
            body,
            log_index,
            integrated_time,
            set,
            root,
            checkpoint,
        }
    }

    /// A DSSE envelope over `statement` signed by `key`, and the signature.
    fn envelope(key: &PrivateKey, statement: &[u8]) -> (dsse::Envelope, Vec<u8>) {
        let envelope = dsse::Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, statement.to_vec());
        let signature = key.sign_der(&envelope.pae());
        (
            envelope.with_signature(dsse::Signature::new("", signature.clone())),
            signature,
        )
    }

    /// What `cosign attest` (legacy layout, keyless) writes as one `.att` layer: the DSSE
    /// envelope as the blob, and the signature, certificate, chain, Rekor bundle (an `intoto`
    /// 0.0.2 entry) and predicate-type annotations.
    pub fn legacy_attestation(
        &self,
        leaf: &Leaf,
        statement: &[u8],
        predicate_type: &str,
    ) -> (Vec<u8>, BTreeMap<String, String>) {
        let (envelope, signature) = Self::envelope(&leaf.key, statement);
        let blob = envelope.to_bytes();
        let bundle = self.intoto_annotation(&blob, statement, &signature, &leaf.pem());
        let annotations = BTreeMap::from([
            (
                "dev.cosignproject.cosign/signature".to_owned(),
                String::new(),
            ),
            ("dev.sigstore.cosign/certificate".to_owned(), leaf.pem()),
            ("dev.sigstore.cosign/chain".to_owned(), self.ca_pem()),
            ("dev.sigstore.cosign/bundle".to_owned(), bundle),
            ("predicateType".to_owned(), predicate_type.to_owned()),
        ]);
        (blob, annotations)
    }

    fn entry(&self, kind: &str, version: &str, logged: Logged) -> TransparencyLogEntry {
        TransparencyLogEntry::new(
            logged.log_index,
            self.rekor_log_id().to_vec(),
            kind,
            version,
            logged.integrated_time,
            logged.body.clone(),
        )
        .with_inclusion_promise(logged.set.clone())
        .with_inclusion_proof(InclusionProof::new(
            logged.log_index,
            logged.root.to_vec(),
            1,
            Vec::new(),
            Some(logged.checkpoint),
        ))
    }

    /// A keyless Sigstore bundle v0.3 with a DSSE envelope over `statement` (what cosign v3
    /// pushes as an attestation referrer): certificate, `dsse` 0.0.1 entry with SET, inclusion
    /// proof and checkpoint.
    pub fn dsse_bundle(&self, leaf: &Leaf, statement: &[u8]) -> Vec<u8> {
        self.signed_dsse_bundle(
            &leaf.key,
            &leaf.pem(),
            VerificationMaterial::certificate(leaf.der.clone()),
            statement,
        )
    }

    /// A Sigstore bundle v0.3 signed with `key` (cosign v3 `sign --key` with a log): a DSSE
    /// envelope over `statement`, the key named by its hint, and a `dsse` 0.0.1 entry with SET,
    /// inclusion proof and checkpoint.
    pub fn key_dsse_bundle(&self, key: &PrivateKey, statement: &[u8]) -> Vec<u8> {
        self.signed_dsse_bundle(
            key,
            &key.public_key().to_pem(),
            VerificationMaterial::public_key(key.public_key().hint()),
            statement,
        )
    }

    /// A DSSE bundle over `statement` signed by `key`, whose `dsse` 0.0.1 entry names the
    /// verifier `verifier_pem` (certificate or key) that `material` carries.
    fn signed_dsse_bundle(
        &self,
        key: &PrivateKey,
        verifier_pem: &str,
        material: VerificationMaterial,
        statement: &[u8],
    ) -> Vec<u8> {
        let (envelope, signature) = Self::envelope(key, statement);
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(&envelope.to_bytes()))},
                "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(statement))},
                "signatures": [{"signature": b64(&signature), "verifier": b64(verifier_pem.as_bytes())}]
            }
        }))
        .unwrap();
        let entry = self.entry("dsse", "0.0.1", self.log(body));
        Bundle::new(
            material.with_tlog_entry(entry),
            Content::DsseEnvelope(envelope),
        )
        .to_bytes()
    }

    /// A keyless Sigstore bundle v0.3 with a message signature over `artifact`
    /// (`hashedrekord` 0.0.1 entry with SET, inclusion proof and checkpoint).
    pub fn message_bundle(&self, leaf: &Leaf, artifact: &[u8]) -> Vec<u8> {
        let signature = leaf.key.sign_der(artifact);
        let digest = sha256(artifact);
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&digest)}},
                "signature": {"content": b64(&signature),
                              "publicKey": {"content": b64(leaf.pem().as_bytes())}}
            }
        }))
        .unwrap();
        let entry = self.entry("hashedrekord", "0.0.1", self.log(body));
        Bundle::new(
            VerificationMaterial::certificate(leaf.der.clone()).with_tlog_entry(entry),
            Content::MessageSignature(MessageSignature::new(signature).with_digest(
                boltseal_envelope::bundle::HashAlgorithm::Sha2_256,
                digest.to_vec(),
            )),
        )
        .to_bytes()
    }
}

/// The JSON of a statement, for assertions.
pub fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}
