//! Property tests: every format round-trips (value → bytes → equal value), output is
//! deterministic, and no input — arbitrary bytes, arbitrary JSON, or a mutated valid document —
//! makes a parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_envelope::bundle::{
    self, Bundle, BundleVersion, Content, HashAlgorithm, InclusionProof, MessageSignature,
    RekorBundle, RekorPayload, TimestampVerificationData, TransparencyLogEntry,
    VerificationContent, VerificationMaterial,
};
use boltseal_envelope::dsse::{Envelope, Signature};
use boltseal_envelope::intoto::{ResourceDescriptor, Statement, StatementType};
use boltseal_envelope::simple_signing::SimpleSigning;
use boltseal_envelope::slsa::{Provenance, Timestamp};
use boltseal_envelope::{canonical, predicate};
use boltseal_reference::{Algorithm, Digest};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};

fn digest() -> impl Strategy<Value = Digest> {
    (
        prop_oneof![
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha384),
            Just(Algorithm::Sha512)
        ],
        any::<Vec<u8>>(),
    )
        .prop_map(|(a, data)| Digest::of(a, &data))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._:/@-]{0,24}",
        1 => any::<String>(),
        1 => prop::sample::select(vec!["<&>", "\u{2028}\u{2029}", "\"\\\n\t\u{8}\u{c}\u{0}\u{1f}", "é€😀"])
            .prop_map(str::to_owned),
    ]
}

/// JSON without floats (serde_json's default float parsing is not guaranteed to round-trip the
/// last bit; the Go float format has its own unit tests).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(text(), json(), 0..4).prop_map(|m| m.into_iter().collect())
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..48)
}

fn nonempty_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..48)
}

fn simple_signing() -> impl Strategy<Value = SimpleSigning> {
    (text(), digest(), prop::option::of(object()))
        .prop_map(|(r, d, optional)| SimpleSigning::new(r, d).with_optional(optional))
}

fn envelope(signatures: std::ops::Range<usize>) -> impl Strategy<Value = Envelope> {
    (
        text(),
        bytes(),
        prop::collection::vec((text(), bytes()), signatures),
    )
        .prop_map(|(t, p, sigs)| {
            sigs.into_iter().fold(Envelope::new(t, p), |e, (k, s)| {
                e.with_signature(Signature::new(k, s))
            })
        })
}

fn descriptor() -> impl Strategy<Value = ResourceDescriptor> {
    (
        text(),
        digest(),
        prop::option::of(text()),
        prop::option::of(bytes()),
        prop::option::of(text()),
        prop::option::of(object()),
    )
        .prop_map(|(name, d, uri, content, media_type, annotations)| {
            let mut r = ResourceDescriptor::new(name, &d).digest("gitCommit", "0123abc");
            r.uri = uri;
            r.content = content;
            r.media_type = media_type;
            r.annotations = annotations;
            r
        })
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        any::<bool>(),
        prop::collection::vec(descriptor(), 1..3),
        "[a-z]{1,8}:[a-zA-Z0-9/._-]{1,20}",
        json(),
    )
        .prop_map(|(v01, subject, pt, predicate)| {
            let s = Statement::new(subject, pt, predicate);
            if v01 {
                s.with_type(StatementType::V0_1)
            } else {
                s
            }
        })
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        1970u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(0u32..1_000_000),
        prop::option::of((any::<bool>(), 0u32..24, 0u32..60)),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, offset)| {
            let frac = frac.map(|f| format!(".{f:06}")).unwrap_or_default();
            let zone = match offset {
                None => "Z".to_owned(),
                Some((plus, oh, om)) => format!("{}{oh:02}:{om:02}", if plus { '+' } else { '-' }),
            };
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
                .parse()
                .unwrap()
        })
}

fn provenance() -> impl Strategy<Value = Provenance> {
    (
        "[a-z]{1,8}://[a-z.]{1,12}/[a-z/]{0,8}",
        "[a-z]{1,8}://[a-z.]{1,12}",
        prop::collection::vec((text(), json()), 0..3),
        prop::option::of(("[a-z:/.]{1,20}", "[0-9a-f]{40}|[a-z]{1,8}")),
        prop::collection::vec(descriptor(), 0..3),
        prop::option::of((text(), timestamp(), timestamp())),
    )
        .prop_map(|(build_type, builder, params, source, deps, run)| {
            let mut b = Provenance::builder(build_type, builder);
            for (k, v) in params {
                b = b.external_parameter(k, v);
            }
            if let Some((repo, rev)) = source {
                b = b.source(&repo, &rev);
            }
            for d in deps {
                b = b.resolved_dependency(d);
            }
            if let Some((id, start, end)) = run {
                b = b
                    .invocation_id(id)
                    .started_on(start)
                    .finished_on(end)
                    .builder_version("boltseal", "0.1.0");
            }
            b.build().unwrap()
        })
}

fn tlog_entry(version: BundleVersion) -> impl Strategy<Value = TransparencyLogEntry> {
    (
        0..i64::MAX,
        nonempty_bytes(),
        "[a-z]{1,12}",
        "[0-9.]{1,6}",
        0..i64::MAX,
        nonempty_bytes(),
        bytes(),
        (
            0..i64::MAX,
            bytes(),
            0..i64::MAX,
            prop::collection::vec(bytes(), 0..4),
            prop::option::of(text()),
        ),
        any::<bool>(),
    )
        .prop_map(
            move |(index, log, kind, kv, time, body, set, (pi, root, size, hashes, cp), extra)| {
                let mut e = TransparencyLogEntry::new(index, log, kind, kv, time, body);
                let proof = InclusionProof::new(pi, root, size, hashes, cp);
                if version == BundleVersion::V0_1 || extra {
                    e = e.with_inclusion_promise(set);
                }
                if version != BundleVersion::V0_1 || extra {
                    e = e.with_inclusion_proof(proof);
                }
                e
            },
        )
}

fn bundle() -> impl Strategy<Value = Bundle> {
    prop_oneof![
        Just(BundleVersion::V0_1),
        Just(BundleVersion::V0_2),
        Just(BundleVersion::V0_3)
    ]
    .prop_flat_map(|version| {
        let material = prop_oneof![
            text().prop_map(|hint| VerificationContent::PublicKey { hint }),
            nonempty_bytes().prop_map(|raw_bytes| VerificationContent::Certificate { raw_bytes }),
            prop::collection::vec(nonempty_bytes(), 1..3).prop_map(move |certificates| {
                if version == BundleVersion::V0_3 {
                    VerificationContent::Certificate {
                        raw_bytes: certificates[0].clone(),
                    }
                } else {
                    VerificationContent::X509CertificateChain { certificates }
                }
            }),
        ];
        let hash = prop::sample::select(vec![
            HashAlgorithm::Unspecified,
            HashAlgorithm::Sha2_256,
            HashAlgorithm::Sha2_384,
            HashAlgorithm::Sha2_512,
            HashAlgorithm::Sha3_256,
            HashAlgorithm::Sha3_384,
        ]);
        let content = prop_oneof![
            (nonempty_bytes(), prop::option::of((hash, bytes()))).prop_map(|(sig, d)| {
                let m = MessageSignature::new(sig);
                Content::MessageSignature(match d {
                    Some((a, d)) => m.with_digest(a, d),
                    None => m,
                })
            }),
            envelope(1..2).prop_map(Content::DsseEnvelope),
        ];
        (
            material,
            prop::collection::vec(tlog_entry(version), 0..3),
            prop::option::of(prop::collection::vec(bytes(), 0..3)),
            content,
            any::<bool>(),
        )
            .prop_map(
                move |(material, entries, timestamps, content, legacy_spelling)| {
                    let mut m = VerificationMaterial::new(material);
                    for e in entries {
                        m = m.with_tlog_entry(e);
                    }
                    if let Some(t) = timestamps {
                        m = m.with_timestamps(TimestampVerificationData::new(t));
                    }
                    let mut b = Bundle::new(m, content);
                    b.media_type = if version == BundleVersion::V0_3 && legacy_spelling {
                        bundle::MEDIA_TYPE_V0_3_LEGACY.to_owned()
                    } else {
                        version.media_type().to_owned()
                    };
                    b
                },
            )
    })
}

fn rekor_bundle() -> impl Strategy<Value = RekorBundle> {
    (
        bytes(),
        bytes(),
        any::<i64>(),
        any::<i64>(),
        "([0-9a-f]{2}){0,32}",
    )
        .prop_map(|(set, body, time, index, log)| {
            RekorBundle::new(set, RekorPayload::new(&body, time, index, log))
        })
}

/// Mutates a valid document: replace, insert or delete a few bytes.
fn mutated(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len().max(1);
    prop::collection::vec((0..len, any::<u8>(), 0u8..3), 1..4).prop_map(move |edits| {
        let mut out = valid.clone();
        for (at, byte, op) in edits {
            let at = at.min(out.len());
            match op {
                0 if at < out.len() => out[at] = byte,
                1 => out.insert(at, byte),
                _ if at < out.len() => {
                    out.remove(at);
                }
                _ => out.push(byte),
            }
        }
        out
    })
}

fn parse_everything(bytes: &[u8]) {
    let _ = SimpleSigning::parse(bytes).map(|p| SimpleSigning::parse(&p.to_bytes()).unwrap());
    let _ = Envelope::parse(bytes).map(|e| assert_eq!(Envelope::parse(&e.to_bytes()).unwrap(), e));
    let _ =
        Statement::parse(bytes).map(|s| assert_eq!(Statement::parse(&s.to_bytes()).unwrap(), s));
    let _ = Bundle::parse(bytes).map(|b| assert_eq!(Bundle::parse(&b.to_bytes()).unwrap(), b));
    let _ = RekorBundle::parse(bytes)
        .map(|b| assert_eq!(RekorBundle::parse(&b.to_bytes()).unwrap(), b));
    let _ =
        Provenance::parse(bytes).map(|p| assert_eq!(Provenance::parse(&p.to_bytes()).unwrap(), p));
    let _ = canonical::canonicalize(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        let _ = predicate::predicate_type_for(s);
        let _ = Timestamp::parse(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn simple_signing_round_trips(p in simple_signing()) {
        let bytes = p.to_bytes();
        prop_assert_eq!(SimpleSigning::parse(&bytes).unwrap(), p.clone());
        // Go's encoding/json output is valid JSON with the same value.
        let as_value: Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&as_value["critical"]["identity"]["docker-reference"], &Value::String(p.docker_reference));
    }

    #[test]
    fn dsse_round_trips(e in envelope(0..3)) {
        let bytes = e.to_bytes();
        prop_assert_eq!(Envelope::parse(&bytes).unwrap(), e.clone());
        let pae = e.pae();
        let head = format!("DSSEv1 {} {} {} ", e.payload_type.len(), e.payload_type, e.payload.len());
        prop_assert!(pae.starts_with(head.as_bytes()) && pae.ends_with(&e.payload));
        prop_assert_eq!(pae.len(), head.len() + e.payload.len());
    }

    #[test]
    fn statement_round_trips(s in statement()) {
        let bytes = s.to_bytes();
        let parsed = Statement::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &s);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn provenance_round_trips(p in provenance(), d in digest()) {
        prop_assert_eq!(Provenance::parse(&p.to_bytes()).unwrap(), p.clone());
        let s = Statement::for_image(&d, predicate::SLSA_PROVENANCE_V1, p.to_value());
        let parsed = Statement::parse(&s.to_bytes()).unwrap();
        prop_assert!(parsed.matches_digest(&d));
        prop_assert_eq!(Provenance::from_value(&parsed.predicate).unwrap(), p);
    }

    #[test]
    fn bundle_round_trips(b in bundle()) {
        let bytes = b.to_bytes();
        let parsed = Bundle::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &b);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn rekor_bundle_round_trips(b in rekor_bundle()) {
        prop_assert_eq!(RekorBundle::parse(&b.to_bytes()).unwrap(), b.clone());
        let canonical: Value = serde_json::from_slice(&b.payload.canonical_bytes()).unwrap();
        prop_assert_eq!(canonical["logID"].as_str().unwrap(), b.payload.log_id.as_str());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json()) {
        parse_everything(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn mutated_documents_never_panic(
        bytes in prop_oneof![
            simple_signing().prop_map(|p| p.to_bytes()),
            statement().prop_map(|s| s.to_bytes()),
            bundle().prop_map(|b| b.to_bytes()),
            rekor_bundle().prop_map(|b| b.to_bytes()),
        ].prop_flat_map(mutated)
    ) {
        parse_everything(&bytes);
    }
}
