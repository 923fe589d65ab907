//! Keys made by skopeo, cosign-format generators and sigstore-rs (in `../shared/corpus`) read
//! with the right public keys, every PEM label and scrypt N; the failure cases say what failed.
//! Skipped loudly when the corpus is absent (it always is present in CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use boltseal_keys::{KeyError, KeyFormat, PrivateKey, PublicKey, ScryptCost, StoredAs};
use boltseal_test_support::shared_corpus as corpus;

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn fixtures_from_peer_tools() {
    let Some(c) = corpus() else { return };
    let f = c.join("fixtures");
    let password = read(f.join("test-keys.password"));
    let cases = [
        (
            "test-cosign-pemtype-cosign",
            true,
            ScryptCost::Legacy,
            Some("test-cosign-pemtype-cosign.pub"),
        ),
        (
            "test-cosign-pemtype-sigstore",
            false,
            ScryptCost::Legacy,
            Some("test-cosign-pemtype-sigstore.pub"),
        ),
        (
            "test-cosign-scrypt-n65536",
            true,
            ScryptCost::Standard,
            Some("test-cosign-scrypt-n65536.pub"),
        ),
        ("test-cosign-scrypt-n131072", true, ScryptCost::Owasp, None),
        (
            "skopeo1112-generated",
            true,
            ScryptCost::Legacy,
            Some("skopeo1112-generated.pub"),
        ),
    ];
    for (name, legacy_label, cost, public) in cases {
        let pem = read(f.join(format!("{name}.key")));
        let (key, stored) = PrivateKey::from_pem_with_format(&pem, &password)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            stored,
            StoredAs::Encrypted(
                KeyFormat::default()
                    .with_cost(cost)
                    .with_legacy_label(legacy_label)
            ),
            "{name}"
        );
        if let Some(public) = public {
            let expected = PublicKey::from_pem(&read(f.join(public))).unwrap();
            assert_eq!(key.public_key(), expected, "{name}");
        }
        // A wrong password is reported as such.
        let err = PrivateKey::from_pem(&pem, b"not the password").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword), "{name}: {err}");
    }
}

#[test]
fn skopeo_signature_verifies_with_the_fixture_key() {
    let Some(c) = corpus() else { return };
    let f = c.join("fixtures");
    // The skopeo 1.9.3 `.sig` manifest: the layer's annotation signs the payload bytes.
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(f.join("skopeo193-sig-manifest.json"))).unwrap();
    let sig_b64 = manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .unwrap();
    let payload = read(f.join("skopeo193-sig-payload.json"));
    let public = PublicKey::from_pem(&read(f.join("test-cosign-pemtype-cosign.pub"))).unwrap();
    public.verify_der(&payload, &sig).unwrap();
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    assert!(public.verify_der(&tampered, &sig).is_err());
    let other = PublicKey::from_pem(&read(f.join("test-cosign-scrypt-n65536.pub"))).unwrap();
    assert!(other.verify_der(&payload, &sig).is_err());
}

#[test]
fn sigstore_rs_keys() {
    let Some(c) = corpus() else { return };
    let k = c.join("sigstore/sigstore-rs/tests/data/keys");
    let empty = PrivateKey::from_pem(
        &read(k.join("cosign_generated_encrypted_empty_private.key")),
        b"",
    )
    .unwrap();
    let encrypted =
        PrivateKey::from_pem(&read(k.join("ecdsa_encrypted_private.key")), b"123").unwrap();
    let plain = PrivateKey::from_pem(&read(k.join("ecdsa_private.key")), b"").unwrap();
    assert_ne!(empty.public_key(), encrypted.public_key());
    // The unencrypted PKCS#8 key round-trips through the encrypted format.
    let pem = plain.to_encrypted_pem(b"pw", KeyFormat::default()).unwrap();
    assert_eq!(
        PrivateKey::from_pem(pem.as_bytes(), b"pw")
            .unwrap()
            .public_key(),
        plain.public_key()
    );
    // Other key types: a clear "unsupported key type", never "wrong password".
    for (file, password, kind) in [
        ("ed25519_encrypted_private.key", &b"123"[..], "Ed25519"),
        ("rsa_encrypted_private.key", b"123", "RSA"),
        ("ed25519_private.key", b"", "Ed25519"),
    ] {
        let err = PrivateKey::from_pem(&read(k.join(file)), password).unwrap_err();
        match err {
            KeyError::UnsupportedKeyType { key_type } => assert_eq!(key_type, kind, "{file}"),
            other => panic!("{file}: {other}"),
        }
    }
    let err = PrivateKey::from_pem(&read(k.join("rsa_private.key")), b"").unwrap_err();
    assert!(matches!(err, KeyError::UnsupportedPemLabel { .. }), "{err}");
}
