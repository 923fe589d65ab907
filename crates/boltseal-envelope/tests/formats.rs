//! Byte-exact outputs and the strict/permissive boundary of each parser, without the corpus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_envelope::bundle::{
    self, Bundle, BundleVersion, Content, Error, HashAlgorithm, InclusionProof, MessageSignature,
    RekorBundle, RekorPayload, TransparencyLogEntry, VerificationContent, VerificationMaterial,
};
use boltseal_envelope::dsse::{self, Envelope, Signature};
use boltseal_envelope::intoto::{self, Statement, StatementType, Subject};
use boltseal_envelope::predicate;
use boltseal_envelope::simple_signing::{self, SimpleSigning};
use boltseal_reference::Digest;
use serde_json::json;

const TINY: &str = "sha256:247ea4c63ff7b7feb545ec5895b368e5737235c6542c1cfa7b5b6800587e2149";

fn tiny() -> Digest {
    TINY.parse().unwrap()
}

#[test]
fn simple_signing_is_byte_exact_with_optional() {
    let mut optional = serde_json::Map::new();
    optional.insert("timestamp".into(), json!(1_795_760_167));
    optional.insert("creator".into(), json!("boltseal 0.1.0"));
    let payload = SimpleSigning::new("127.0.0.1:5000/boltseal/tiny:signed", tiny())
        .with_optional(Some(optional));
    let want = format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"127.0.0.1:5000/boltseal/tiny:signed\"}},\"image\":{{\"docker-manifest-digest\":\"{TINY}\"}},\"type\":\"cosign container image signature\"}},\"optional\":{{\"creator\":\"boltseal 0.1.0\",\"timestamp\":1795760167}}}}"
    );
    assert_eq!(String::from_utf8(payload.to_bytes()).unwrap(), want);
    assert_eq!(SimpleSigning::parse(want.as_bytes()).unwrap(), payload);
    assert_eq!(
        simple_signing::COSIGN_SIGNATURE_TYPE,
        "cosign container image signature"
    );
}

#[test]
fn simple_signing_null_optional_and_nested_values() {
    let payload = SimpleSigning::new("index.docker.io/library/alpine", tiny());
    assert!(payload.to_bytes().ends_with(b"\"optional\":null}"));
    let nested = payload
        .with_annotation("z", "1")
        .with_annotation("a&b", "<x>");
    let text = String::from_utf8(nested.to_bytes()).unwrap();
    assert!(
        text.ends_with(r#""optional":{"a\u0026b":"\u003cx\u003e","z":"1"}}"#),
        "{text}"
    );
}

#[test]
fn dsse_pae_vectors() {
    // secure-systems-lab/dsse protocol.md test vector.
    assert_eq!(
        dsse::pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
    let mut want = b"DSSEv1 28 application/vnd.in-toto+json 43 ".to_vec();
    want.extend_from_slice(statement);
    assert_eq!(dsse::pae(dsse::PAYLOAD_TYPE_IN_TOTO, statement), want);
    let envelope = Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, statement.to_vec());
    assert_eq!(envelope.pae(), want);
    assert_eq!(dsse::MEDIA_TYPE, "application/vnd.dsse.envelope.v1+json");
}

#[test]
fn dsse_envelope_reads_go_spellings() {
    // Go's DSSE library writes keyid first and always; protojson writes sig first and omits an
    // empty keyid; payloads in URL-safe or unpadded base64 are accepted.
    for json in [
        r#"{"payloadType":"text/plain","payload":"aGk=","signatures":[{"keyid":"","sig":"AQI="}]}"#,
        r#"{"payload":"aGk","payloadType":"text/plain","signatures":[{"sig":"AQI"}]}"#,
        r#"{"payload":"aGk=","payloadType":"text/plain","signatures":[{"sig":"AQI=","keyid":null}],"x":{}}"#,
    ] {
        let envelope = Envelope::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(
            envelope,
            Envelope::new("text/plain", b"hi".to_vec())
                .with_signature(Signature::new("", vec![1, 2]))
        );
    }
}

#[test]
fn intoto_v1_and_v0_1_statements() {
    let v1 = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{}"}},"annotations":{{"env":"prod"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
        tiny().encoded()
    );
    let s = Statement::parse(v1.as_bytes()).unwrap();
    assert_eq!(s.statement_type, StatementType::V1);
    assert!(s.matches_digest(&tiny()));
    assert_eq!(s.subject[0].annotations.as_ref().unwrap()["env"], "prod");
    assert_eq!(
        String::from_utf8(s.to_bytes()).unwrap(),
        v1,
        "cosign's v1 statement layout"
    );

    // What `cosign attest --type slsaprovenance1` writes: v0.1, subject named after the repository.
    let v01 = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v1","subject":[{{"name":"index.docker.io/library/alpine","digest":{{"sha256":"{}"}}}}],"predicate":{{"buildDefinition":{{}}}}}}"#,
        tiny().encoded()
    );
    let s = Statement::parse(v01.as_bytes()).unwrap();
    assert_eq!(s.statement_type, StatementType::V0_1);
    assert_eq!(s.subject[0].name, "index.docker.io/library/alpine");
    let built = Statement::for_image(
        &tiny(),
        predicate::SLSA_PROVENANCE_V1,
        json!({"buildDefinition": {}}),
    )
    .with_subject_name("index.docker.io/library/alpine")
    .with_type(StatementType::V0_1);
    assert_eq!(built, s);
    assert_eq!(intoto::STATEMENT_V0_1, "https://in-toto.io/Statement/v0.1");
}

#[test]
fn intoto_refuses_what_a_verifier_cannot_use() {
    let ok = Statement::for_image(&tiny(), "https://example.com/p", json!(null));
    assert!(Statement::parse(&ok.to_bytes()).is_ok());
    let text = String::from_utf8(ok.to_bytes()).unwrap();
    let cases = [
        text.replace("Statement/v1", "Statement/v2"),
        text.replace(
            &format!(r#"{{"digest":{{"sha256":"{}"}}}}"#, tiny().encoded()),
            "",
        ),
        text.replace(&format!(r#""sha256":"{}""#, tiny().encoded()), ""),
        text.replace(tiny().encoded(), &tiny().encoded().to_uppercase()),
        text.replace("https://example.com/p", ""),
        text.replace("\"subject\"", "\"subject\":[],\"subject\""),
        // The same algorithm twice, even with a valid value each time: readers disagree on
        // which wins.
        text.replace(
            "{\"sha256\"",
            &format!("{{\"sha256\":\"{}\",\"sha256\"", "0".repeat(64)),
        ),
    ];
    for bad in cases {
        assert!(Statement::parse(bad.as_bytes()).is_err(), "{bad}");
    }
    // Non-standard digest algorithms are carried without interpretation.
    let other = Statement::new(
        vec![Subject::default().digest("gitCommit", "ABC")],
        "x:y",
        json!({}),
    );
    assert!(Statement::parse(&other.to_bytes()).is_ok());
}

#[test]
fn predicate_types_of_cosign_attest() {
    for (arg, uri) in [
        ("spdxjson", "https://spdx.dev/Document"),
        ("spdx", "https://spdx.dev/Document"),
        ("cyclonedx", "https://cyclonedx.org/bom"),
        ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
        ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
        ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
        ("link", "https://in-toto.io/Link/v1"),
        ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
        ("openvex", "https://openvex.dev/ns"),
        ("custom", "https://cosign.sigstore.dev/attestation/v1"),
        ("https://example.com/mine/v1", "https://example.com/mine/v1"),
    ] {
        assert_eq!(predicate::predicate_type_for(arg).unwrap(), uri, "{arg}");
    }
    assert_eq!(
        predicate::COSIGN_SIGN_V1,
        "https://sigstore.dev/cosign/sign/v1"
    );
    assert!(predicate::predicate_type_for("sbom").is_err());
}

fn entry() -> TransparencyLogEntry {
    TransparencyLogEntry::new(
        7,
        vec![1; 32],
        "hashedrekord",
        "0.0.1",
        1_700_000_000,
        b"{}".to_vec(),
    )
}

fn proof() -> InclusionProof {
    InclusionProof::new(
        7,
        vec![2; 32],
        8,
        vec![vec![3; 32]],
        Some("origin\n8\nroot\n".into()),
    )
}

fn message() -> Content {
    Content::MessageSignature(
        MessageSignature::new(vec![0x30, 0x44]).with_digest(HashAlgorithm::Sha2_256, vec![9; 32]),
    )
}

#[test]
fn bundle_v03_written_like_protojson() {
    let bundle = Bundle::new(
        VerificationMaterial::public_key("aGludA==")
            .with_tlog_entry(entry().with_inclusion_proof(proof())),
        message(),
    );
    let json: serde_json::Value = serde_json::from_slice(&bundle.to_bytes()).unwrap();
    assert_eq!(
        json["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let tlog = &json["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(tlog["logIndex"], "7", "int64 as a string");
    assert_eq!(tlog["integratedTime"], "1700000000");
    assert_eq!(
        tlog["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.1"})
    );
    assert_eq!(tlog["inclusionProof"]["treeSize"], "8");
    assert_eq!(tlog["canonicalizedBody"], "e30=");
    assert_eq!(
        json["verificationMaterial"]["publicKey"]["hint"],
        "aGludA=="
    );
    assert_eq!(
        json["messageSignature"]["messageDigest"]["algorithm"],
        "SHA2_256"
    );
    assert_eq!(Bundle::parse(&bundle.to_bytes()).unwrap(), bundle);
    assert_eq!(bundle.validate().unwrap(), BundleVersion::V0_3);
}

#[test]
fn bundle_reads_protojson_variants() {
    let json = br#"{
      "media_type": "application/vnd.dev.sigstore.bundle+json;version=0.3",
      "verification_material": {"certificate": {"raw_bytes": "MA"}, "tlog_entries": [{
        "log_index": 7, "log_id": {"key_id": "AQ"}, "kind_version": {"kind": "dsse", "version": "0.0.1"},
        "integrated_time": "5", "inclusion_proof": {"log_index": "7", "root_hash": "Ag", "tree_size": 1e1,
        "hashes": null}, "canonicalized_body": "e30"}], "unknownField": true},
      "dsse_envelope": {"payload": "e30", "payload_type": "text/plain", "signatures": [{"sig": "AQ"}]}
    }"#;
    let bundle = Bundle::parse(json).unwrap();
    assert_eq!(bundle.version(), Some(BundleVersion::V0_3));
    let tlog = &bundle.verification_material.tlog_entries[0];
    assert_eq!((tlog.log_index, tlog.integrated_time), (7, 5));
    assert_eq!(tlog.inclusion_proof.as_ref().unwrap().tree_size, 10);
    assert!(matches!(
        bundle.verification_material.content,
        VerificationContent::Certificate { .. }
    ));
    assert_eq!(Bundle::parse(&bundle.to_bytes()).unwrap(), bundle);
}

#[test]
fn bundle_structural_rules() {
    let cert = VerificationMaterial::certificate(vec![0x30]);
    let chain = |certs: Vec<Vec<u8>>| {
        VerificationMaterial::new(VerificationContent::X509CertificateChain {
            certificates: certs,
        })
    };
    let with = |media: &str, material: VerificationMaterial, content: Content| {
        let mut b = Bundle::new(material, content);
        b.media_type = media.to_owned();
        Bundle::parse(&b.to_bytes())
    };
    let dsse = |n: usize| {
        let mut e = Envelope::new("text/plain", b"x".to_vec());
        for _ in 0..n {
            e = e.with_signature(Signature::new("", vec![1]));
        }
        Content::DsseEnvelope(e)
    };
    use bundle::{MEDIA_TYPE_V0_1 as V1, MEDIA_TYPE_V0_2 as V2, MEDIA_TYPE_V0_3 as V3};
    assert!(
        with(
            V1,
            chain(vec![vec![1]]).with_tlog_entry(entry().with_inclusion_promise(vec![1])),
            message()
        )
        .is_ok()
    );
    assert!(matches!(
        with(
            V1,
            chain(vec![vec![1]]).with_tlog_entry(entry().with_inclusion_proof(proof())),
            message()
        ),
        Err(Error::MissingInclusionPromise { index: 0, .. })
    ));
    assert!(matches!(
        with(
            V2,
            chain(vec![vec![1]]).with_tlog_entry(entry().with_inclusion_promise(vec![1])),
            message()
        ),
        Err(Error::MissingInclusionProof { .. })
    ));
    assert!(matches!(
        with(V3, chain(vec![vec![1]]), message()),
        Err(Error::CertificateChainNotAllowed {
            version: BundleVersion::V0_3
        })
    ));
    assert!(matches!(
        with(V2, chain(vec![]), message()),
        Err(Error::EmptyCertificateChain)
    ));
    assert!(matches!(
        with(V2, chain(vec![vec![1], vec![]]), message()),
        Err(Error::EmptyCertificate { index: Some(1) })
    ));
    assert!(matches!(
        with(V3, VerificationMaterial::certificate(vec![]), message()),
        Err(Error::EmptyCertificate { index: None })
    ));
    assert!(matches!(
        with(V3, cert.clone(), dsse(0)),
        Err(Error::DsseSignatureCount { count: 0 })
    ));
    assert!(matches!(
        with(V3, cert.clone(), dsse(2)),
        Err(Error::DsseSignatureCount { count: 2 })
    ));
    assert!(with(V3, cert.clone(), dsse(1)).is_ok());
    assert!(matches!(
        with(
            V3,
            cert.clone(),
            Content::MessageSignature(MessageSignature::new(vec![]))
        ),
        Err(Error::EmptySignature)
    ));
    for media in [
        "application/vnd.dev.sigstore.bundle+json;version=0.4",
        "application/vnd.dev.sigstore.bundle.v0.4+json",
        "application/json",
        "",
    ] {
        assert!(
            matches!(
                with(media, cert.clone(), message()),
                Err(Error::UnsupportedMediaType { .. })
            ),
            "{media}"
        );
    }
    for media in [
        "application/vnd.dev.sigstore.bundle.v0.3.1+json",
        "application/vnd.dev.sigstore.bundle.v0.2+json",
    ] {
        assert!(BundleVersion::from_media_type(media).is_some(), "{media}");
    }

    let ok = String::from_utf8(Bundle::new(cert, message()).to_bytes()).unwrap();
    let both = ok.replacen("\"messageSignature\"", "\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQ==\"}]},\"messageSignature\"", 1);
    assert!(matches!(
        Bundle::parse(both.as_bytes()),
        Err(Error::AmbiguousContent)
    ));
    let neither = ok.replace("\"messageSignature\"", "\"somethingElse\"");
    assert!(matches!(
        Bundle::parse(neither.as_bytes()),
        Err(Error::MissingContent)
    ));
    let two = ok.replace(
        "\"certificate\"",
        "\"publicKey\":{\"hint\":\"\"},\"certificate\"",
    );
    assert!(matches!(
        Bundle::parse(two.as_bytes()),
        Err(Error::AmbiguousVerificationMaterial { .. })
    ));
    let none = ok.replace("\"certificate\"", "\"other\"");
    assert!(matches!(
        Bundle::parse(none.as_bytes()),
        Err(Error::MissingVerificationMaterial)
    ));
    let dup = ok.replace("\"mediaType\"", "\"media_type\":\"x\",\"mediaType\"");
    assert!(
        matches!(Bundle::parse(dup.as_bytes()), Err(Error::Json { .. })),
        "a field and its alias"
    );
}

#[test]
fn rekor_bundle_annotation() {
    let payload = RekorPayload::new(
        b"{\"kind\":\"hashedrekord\"}",
        1_700_000_000,
        42,
        "c0d23d6a",
    );
    let bundle = RekorBundle::new(vec![0x30, 0x45], payload);
    let text = String::from_utf8(bundle.to_bytes()).unwrap();
    assert_eq!(
        text,
        r#"{"SignedEntryTimestamp":"MEU=","Payload":{"body":"eyJraW5kIjoiaGFzaGVkcmVrb3JkIn0=","integratedTime":1700000000,"logIndex":42,"logID":"c0d23d6a"}}"#
    );
    assert_eq!(
        String::from_utf8(bundle.payload.canonical_bytes()).unwrap(),
        r#"{"body":"eyJraW5kIjoiaGFzaGVkcmVrb3JkIn0=","integratedTime":1700000000,"logID":"c0d23d6a","logIndex":42}"#
    );
    assert_eq!(RekorBundle::parse(text.as_bytes()).unwrap(), bundle);
    assert!(RekorBundle::parse(text.replace("c0d23d6a", "c0d23d6").as_bytes()).is_err());
    assert!(RekorBundle::parse(text.replace("MEU=", "!").as_bytes()).is_err());
}
