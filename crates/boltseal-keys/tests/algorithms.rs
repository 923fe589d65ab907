//! Every key type of `PublicKey` against an independent implementation: keys and signatures made
//! by OpenSSL (`tests/data`, see its README) read in every PEM form cosign's `--key` takes, and
//! verify; damaged signatures, other messages and wrong hashes do not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_keys::{Backend, HashAlgorithm, KeyAlgorithm, KeyError, PublicKey};
use zeroize::Zeroizing;

fn data(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn no_password() -> Result<Zeroizing<Vec<u8>>, KeyError> {
    panic!("an unencrypted key needs no password")
}

/// Every backend answers `expected`, through `verify_with` and `verify`.
fn check(key: &PublicKey, message: &[u8], signature: &[u8], expected: bool) {
    for backend in Backend::available() {
        assert_eq!(
            key.verify_with(*backend, message, signature).is_ok(),
            expected,
            "{:?} with {backend}",
            key.algorithm()
        );
    }
    assert_eq!(key.verify(message, signature).is_ok(), expected);
}

#[test]
fn openssl_keys_in_every_form_verify_openssl_signatures() {
    let payload = data("payload.txt");
    let cases: [(&str, &[&str], &str, KeyAlgorithm); 4] = [
        (
            "p256",
            &["p256.pkcs8.pem", "p256.sec1.pem"],
            "p256.sha256.sig",
            KeyAlgorithm::EcdsaP256,
        ),
        (
            "p384",
            &["p384.pkcs8.pem", "p384.sec1.pem"],
            "p384.sha384.sig",
            KeyAlgorithm::EcdsaP384,
        ),
        (
            "ed25519",
            &["ed25519.pkcs8.pem"],
            "ed25519.sig",
            KeyAlgorithm::Ed25519,
        ),
        (
            "rsa",
            &["rsa.pkcs8.pem", "rsa.pkcs1.pem", "rsa.pkcs1.pub.pem"],
            "rsa.sha256.sig",
            KeyAlgorithm::Rsa,
        ),
    ];
    for (name, other_forms, sig, algorithm) in cases {
        let public_pem = data(&format!("{name}.pub.pem"));
        let key = PublicKey::from_pem(&public_pem).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.algorithm(), algorithm, "{name}");
        // The SPKI is kept as read: the PEM written back is OpenSSL's, byte for byte.
        assert_eq!(key.to_pem().as_bytes(), public_pem.as_slice(), "{name}");
        assert_eq!(PublicKey::from_spki_der(key.spki_der()).unwrap(), key);
        for form in other_forms {
            let read = PublicKey::from_key_pem(&data(form), no_password)
                .unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(read, key, "{form}");
        }
        let signature = data(sig);
        check(&key, &payload, &signature, true);
        check(&key, b"another payload", &signature, false);
        for i in [0, signature.len() / 2, signature.len() - 1] {
            let mut damaged = signature.clone();
            damaged[i] ^= 0x01;
            check(&key, &payload, &damaged, false);
        }
        check(&key, &payload, &signature[..signature.len() - 1], false);
        check(&key, &payload, b"", false);
    }
}

#[test]
fn explicit_hashes_and_digests() {
    let payload = data("payload.txt");
    let rsa = PublicKey::from_pem(&data("rsa.pub.pem")).unwrap();
    let sha512 = data("rsa.sha512.sig");
    assert!(
        rsa.verify_hashed(HashAlgorithm::Sha512, &payload, &sha512)
            .is_ok()
    );
    assert!(
        rsa.verify_hashed(HashAlgorithm::Sha256, &payload, &sha512)
            .is_err()
    );
    assert!(
        rsa.verify(&payload, &sha512).is_err(),
        "RSA's default hash is SHA-256"
    );
    let p384 = PublicKey::from_pem(&data("p384.pub.pem")).unwrap();
    let sig = data("p384.sha384.sig");
    let digest = <sha2::Sha384 as sha2::Digest>::digest(&payload).to_vec();
    for backend in Backend::available() {
        assert!(p384.verify_prehash_with(*backend, &digest, &sig).is_ok());
        assert!(
            p384.verify_prehash_with(*backend, &digest[..32], &sig)
                .is_err()
        );
        assert!(
            p384.verify_prehash_with(*backend, &digest[..20], &sig)
                .is_err()
        );
    }
    assert!(
        p384.verify_hashed(HashAlgorithm::Sha384, &payload, &sig)
            .is_ok()
    );
    assert!(
        p384.verify_hashed(HashAlgorithm::Sha512, &payload, &sig)
            .is_err()
    );
    // Ed25519 signs messages, never digests.
    let ed = PublicKey::from_pem(&data("ed25519.pub.pem")).unwrap();
    let ed_sig = data("ed25519.sig");
    assert!(
        ed.verify_hashed(HashAlgorithm::Sha256, &payload, &ed_sig)
            .is_err()
    );
    assert_eq!(ed.ed25519_bytes().map(|b| b.len()), Some(32));
    assert_eq!(p384.ed25519_bytes(), None);
    assert_eq!(
        KeyAlgorithm::EcdsaP384.default_hash(),
        Some(HashAlgorithm::Sha384)
    );
    assert!(KeyAlgorithm::EcdsaP384.is_ecdsa() && !KeyAlgorithm::Rsa.is_ecdsa());
}

#[test]
fn sigstore_rs_encrypted_keys_of_every_type_give_their_public_key() {
    let Some(dir) = boltseal_test_support::corpus("sigstore/sigstore-rs/tests/data/keys") else {
        return;
    };
    for (file, algorithm) in [
        ("ed25519_encrypted_private.key", KeyAlgorithm::Ed25519),
        ("rsa_encrypted_private.key", KeyAlgorithm::Rsa),
        ("ecdsa_encrypted_private.key", KeyAlgorithm::EcdsaP256),
    ] {
        let key = boltseal_keys::read_verification_key(&dir.join(file), || {
            Ok(Zeroizing::new(b"123".to_vec()))
        })
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.algorithm(), algorithm, "{file}");
        let err = boltseal_keys::read_verification_key(&dir.join(file), || {
            Ok(Zeroizing::new(b"wrong".to_vec()))
        })
        .unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword), "{file}: {err}");
    }
    let rsa = boltseal_keys::read_verification_key(&dir.join("rsa_private.key"), no_password);
    assert_eq!(rsa.unwrap().algorithm(), KeyAlgorithm::Rsa);
}

#[test]
fn unsupported_and_malformed_keys_say_so() {
    // A P-521 key: a clear "unsupported key type", not a parse error.
    let p521 = "-----BEGIN PUBLIC KEY-----\n\
        MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBgc4HZz+/fBbC7lmEww0AO3NK9wVZ\n\
        PDZ0VEnsaUFLEYpTzb90nITtJUcPUbvOsdZIZ1Q8fnbquAYgxXL5UgHMoywAib47\n\
        6MkyyYgPk0BXZq3mq4zImTRNuaU9slj9TVJ3ScT3L1bXwVuPJDzpr5GOFpaj+WwM\n\
        Al8G7CqwoJOsW7Kddns=\n\
        -----END PUBLIC KEY-----\n";
    match PublicKey::from_pem(p521.as_bytes()) {
        Err(KeyError::UnsupportedKeyType { key_type }) => assert_eq!(key_type, "ECDSA P-521"),
        other => panic!("{other:?}"),
    }
    let rsa = PublicKey::from_pem(&data("rsa.pub.pem")).unwrap();
    let mut spki = rsa.to_spki_der();
    let last = spki.len() - 1;
    spki[last] ^= 0x01; // the public exponent becomes even
    assert!(matches!(
        PublicKey::from_spki_der(&spki),
        Err(KeyError::InvalidKey { .. })
    ));
    assert!(matches!(
        PublicKey::from_key_pem(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            no_password
        ),
        Err(KeyError::UnsupportedPemLabel { .. })
    ));
}
