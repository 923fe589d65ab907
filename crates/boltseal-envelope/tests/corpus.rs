//! The formats against what real tools wrote: skopeo, sigstore-rs, cosign and containers/image
//! signature payloads, Rekor bundle annotations (SETs verified), and every Sigstore bundle of the
//! shared corpus (sigstore-conformance, sigstore-go, sigstore-rs, cosign, a private instance).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use base64::Engine as _;
use boltseal_envelope::bundle::{Bundle, Error, RekorBundle, TlogEntryProblem};
use boltseal_envelope::dsse;
use boltseal_envelope::intoto::{Statement, StatementType};
use boltseal_envelope::simple_signing::SimpleSigning;
use boltseal_envelope::slsa::Provenance;
use boltseal_reference::Digest;
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey as _;
use support::{files_under, read, shared_corpus};

const TINY: &str = "sha256:247ea4c63ff7b7feb545ec5895b368e5737235c6542c1cfa7b5b6800587e2149";

#[test]
fn captured_simple_signing_payloads_parse_and_reserialize_byte_for_byte() {
    let Some(corpus) = shared_corpus("captured simple-signing payloads") else {
        return;
    };
    let cases = [
        (
            "skopeo193-sig-payload.json",
            "127.0.0.1:5000/boltseal/tiny:signed",
            TINY,
            Some("containers/image 5.22.1"),
        ),
        (
            "skopeo1112-sig-payload.json",
            "127.0.0.1:5000/boltseal/tiny:signed",
            TINY,
            Some("containers/image 5.24.1"),
        ),
        (
            "sigstore-rs-sig-payload.json",
            "127.0.0.1:5000/boltseal/tiny:rs-signed",
            "sha256:fa1da09d07ebb90a116e077917846bfc82f47f0259ec92504cfdc30c3fca32cf",
            None,
        ),
    ];
    for (file, reference, digest, creator) in cases {
        let bytes = read(&corpus.join("fixtures").join(file));
        let payload = SimpleSigning::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(payload.docker_reference, reference, "{file}");
        assert_eq!(payload.manifest_digest.as_str(), digest, "{file}");
        assert_eq!(payload.annotation("creator"), creator, "{file}");
        if creator.is_some() {
            let optional = payload.optional.as_ref().unwrap();
            assert!(
                optional["timestamp"].is_i64(),
                "{file}: timestamp stays an integer"
            );
        }
        // containers/image and sigstore-rs write cosign's layout, so boltseal's bytes are theirs.
        assert_eq!(
            String::from_utf8_lossy(&payload.to_bytes()),
            String::from_utf8_lossy(&bytes),
            "{file}"
        );
        assert!(payload.reference().is_ok(), "{file}");
    }
}

fn rekor_key(path: &Path) -> p256::ecdsa::VerifyingKey {
    let pem = String::from_utf8(read(path)).unwrap();
    p256::ecdsa::VerifyingKey::from_public_key_pem(&pem)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_set_verifies(bundle: &RekorBundle, key: &p256::ecdsa::VerifyingKey, what: &str) {
    let signature = p256::ecdsa::DerSignature::from_bytes(&bundle.signed_entry_timestamp).unwrap();
    key.verify(&bundle.payload.canonical_bytes(), &signature)
        .unwrap_or_else(|e| panic!("{what}: SET does not verify over the canonical payload: {e}"));
    let body: serde_json::Value =
        serde_json::from_slice(&bundle.payload.body_bytes().unwrap()).unwrap();
    assert_eq!(body["kind"], "hashedrekord", "{what}");
    assert_eq!(bundle.payload.log_id_bytes().unwrap().len(), 32, "{what}");
    // The annotation re-serializes to an equal value.
    assert_eq!(
        RekorBundle::parse(&bundle.to_bytes()).unwrap(),
        *bundle,
        "{what}"
    );
}

#[test]
fn containers_image_signature_layers_and_rekor_sets() {
    let Some(corpus) = shared_corpus("containers/image signature layers") else {
        return;
    };
    let base = corpus.join("sigstore/containers-image/signature");
    let rekor = rekor_key(&base.join("fixtures/rekor.pub"));
    let (mut payloads, mut sets) = (0, 0);
    for path in files_under(&base.join("fixtures")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("signature-") && !name.ends_with(".signature") {
            continue;
        }
        let bytes = read(&path);
        let json = bytes
            .strip_prefix(b"\x00sigstore-json\n")
            .unwrap_or_else(|| panic!("{}: no sigstore-json header", path.display()));
        let layer: serde_json::Value = serde_json::from_slice(json).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(layer["payload"].as_str().unwrap())
            .unwrap();
        if layer["mimeType"] != "application/vnd.dev.cosign.simplesigning.v1+json" {
            continue; // dir-img-cosign-other-attachment: not a signature
        }
        let parsed =
            SimpleSigning::parse(&payload).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            parsed.to_bytes(),
            payload,
            "{}: cosign's bytes",
            path.display()
        );
        payloads += 1;
        if let Some(set) = layer["annotations"]["dev.sigstore.cosign/bundle"].as_str() {
            let bundle = RekorBundle::parse(set.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_set_verifies(&bundle, &rekor, &path.display().to_string());
            sets += 1;
        }
    }
    for dir in ["fixtures", "internal/testdata"] {
        let bundle = RekorBundle::parse(&read(&base.join(dir).join("rekor-set"))).unwrap();
        assert_set_verifies(&bundle, &rekor_key(&base.join(dir).join("rekor.pub")), dir);
        sets += 1;
    }
    eprintln!("containers/image: {payloads} simple-signing payloads, {sets} Rekor SETs verified");
    assert!(
        payloads >= 10 && sets >= 4,
        "{payloads} payloads, {sets} SETs"
    );
}

/// Bundles whose defect is in the format itself, with the error boltseal must report. Every
/// other bundle in the corpus is well-formed (its `_fail`, if any, is cryptographic or a trust
/// policy matter for a verifier).
type Check = fn(&Error) -> bool;

fn expected_format_error(path: &str) -> Option<Check> {
    let table: [(&str, Check); 8] = [
        ("bundle-empty-certificate-chain_fail/", |e| {
            matches!(e, Error::EmptyCertificateChain)
        }),
        ("bundle-invalid-base64-signature_fail/", |e| {
            matches!(e, Error::Json { .. })
        }),
        ("bundle-malformed-json_fail/", |e| {
            matches!(e, Error::Json { .. })
        }),
        ("bundle-negative-log-index_fail/", |e| {
            matches!(
                e,
                Error::InvalidTlogEntry {
                    index: 0,
                    problem: TlogEntryProblem::Negative {
                        field: "logIndex",
                        value: -1
                    }
                }
            )
        }),
        ("bundle-unknown-version_fail/", |e| {
            matches!(e, Error::UnsupportedMediaType { .. })
        }),
        ("intoto-missing-inclusion-proof_fail/", |e| {
            matches!(e, Error::MissingInclusionProof { index: 0, .. })
        }),
        ("rekor2-no-inclusion-proof_fail/", |e| {
            matches!(e, Error::MissingInclusionProof { index: 0, .. })
        }),
        ("dsse-2sigs.sigstore.json", |e| {
            matches!(e, Error::DsseSignatureCount { count: 2 })
        }),
    ];
    table
        .into_iter()
        .find(|(needle, _)| path.contains(needle))
        .map(|(_, check)| check)
}

#[test]
fn every_corpus_bundle_parses_or_is_rejected_for_its_format_defect() {
    let Some(corpus) = shared_corpus("Sigstore bundles") else {
        return;
    };
    let mut files: Vec<_> = files_under(&corpus.join("sigstore"))
        .into_iter()
        .chain(files_under(&corpus.join("fixtures/private-sigstore")))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".sigstore.json")
                || name == "bundle_v03.json"
                || name.starts_with("bundle-")
        })
        .collect();
    files.sort();
    let (mut parsed, mut rejected, mut statements) = (0, 0, 0);
    for path in &files {
        let shown = path.to_string_lossy().replace('\\', "/");
        let bytes = read(path);
        match (Bundle::parse(&bytes), expected_format_error(&shown)) {
            (Ok(bundle), None) => {
                parsed += 1;
                let again = Bundle::parse(&bundle.to_bytes())
                    .unwrap_or_else(|e| panic!("{shown}: re-serialized: {e}"));
                assert_eq!(again, bundle, "{shown}: re-serialized bundle differs");
                assert_eq!(
                    again.to_bytes(),
                    bundle.to_bytes(),
                    "{shown}: output not deterministic"
                );
                if let Some(envelope) = bundle
                    .dsse_envelope()
                    .filter(|e| e.payload_type == dsse::PAYLOAD_TYPE_IN_TOTO)
                {
                    let statement = Statement::parse(&envelope.payload)
                        .unwrap_or_else(|e| panic!("{shown}: DSSE payload: {e}"));
                    assert_eq!(
                        Statement::parse(&statement.to_bytes()).unwrap(),
                        statement,
                        "{shown}"
                    );
                    statements += 1;
                }
            }
            (Err(e), Some(check)) => {
                assert!(check(&e), "{shown}: rejected for another reason: {e:?}");
                rejected += 1;
            }
            (Ok(_), Some(_)) => panic!("{shown}: accepted a bundle with a format defect"),
            (Err(e), None) => panic!("{shown}: well-formed bundle rejected: {e}"),
        }
    }
    eprintln!(
        "bundles: {} files, {parsed} parsed and round-tripped ({statements} in-toto statements), {rejected} rejected for format defects",
        files.len()
    );
    assert_eq!(rejected, 8, "every format-defect case was found");
    assert!(parsed >= 70, "only {parsed} bundles parsed");
}

#[test]
fn conformance_statement_carries_a_slsa_v1_predicate() {
    let Some(corpus) = shared_corpus("conformance statement") else {
        return;
    };
    let bytes = read(&corpus.join("sigstore/sigstore-conformance/test/assets/statement.json"));
    let statement = Statement::parse(&bytes).unwrap();
    assert_eq!(statement.statement_type, StatementType::V1);
    assert_eq!(statement.subject[0].name, "a.txt");
    let a_txt = read(&corpus.join("sigstore/sigstore-conformance/test/assets/bundle-verify/a.txt"));
    assert!(statement.matches_digest(&Digest::sha256_of(&a_txt)));
    let provenance = Provenance::from_value(&statement.predicate).unwrap();
    assert_eq!(
        provenance.build_definition.build_type,
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    assert_eq!(
        provenance.build_definition.resolved_dependencies[0].digest["gitCommit"].len(),
        40
    );
    assert_eq!(
        Provenance::from_value(&provenance.to_value()).unwrap(),
        provenance
    );
}
