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
    let cases: [(&str, &[&str], &str, KeyAlgorithm); 7] = [
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
            "p521",
            &["p521.pkcs8.pem", "p521.sec1.pem"],
            "p521.sha512.sig",
            KeyAlgorithm::EcdsaP521,
        ),
        // id-RSASSA-PSS keys: 3072 bits bound to SHA-256 by their parameters, 4096 bits free.
        ("rsapss", &[], "rsapss.sha256.sig", KeyAlgorithm::RsaPss),
        (
            "rsapss4096",
            &[],
            "rsapss4096.sha512.sig",
            KeyAlgorithm::RsaPss,
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
        if name == "rsapss4096" {
            // No parameters: any hash; `verify` means SHA-256, this one is SHA-512.
            check(&key, &payload, &signature, false);
            let sha512 = <sha2::Sha512 as sha2::Digest>::digest(&payload);
            let mut damaged = signature.clone();
            damaged[10] ^= 0x01;
            for backend in Backend::available() {
                assert!(
                    key.verify_prehash_with(*backend, &sha512, &signature)
                        .is_ok()
                );
                assert!(
                    key.verify_prehash_with(*backend, &sha512, &damaged)
                        .is_err()
                );
            }
            continue;
        }
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
    // A secp256k1 key (no cosign key type): a clear "unsupported key type", not a parse error.
    let k1 = "-----BEGIN PUBLIC KEY-----\n\
        MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEeOdK+9NvHR8SIzE2OO1GNY4HlE+BW/hL\n\
        rN0qOifFYT3t5erL0d1Q7ipLFjgYMKRZC6nkucHAFsWrJ4qqT2J41Q==\n\
        -----END PUBLIC KEY-----\n";
    match PublicKey::from_pem(k1.as_bytes()) {
        Err(KeyError::UnsupportedKeyType { key_type }) => {
            assert_eq!(key_type, "ECDSA on curve 1.3.132.0.10");
        }
        other => panic!("{other:?}"),
    }
    // The P-521 key that used to be refused there now reads.
    let p521 = "-----BEGIN PUBLIC KEY-----\n\
        MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBgc4HZz+/fBbC7lmEww0AO3NK9wVZ\n\
        PDZ0VEnsaUFLEYpTzb90nITtJUcPUbvOsdZIZ1Q8fnbquAYgxXL5UgHMoywAib47\n\
        6MkyyYgPk0BXZq3mq4zImTRNuaU9slj9TVJ3ScT3L1bXwVuPJDzpr5GOFpaj+WwM\n\
        Al8G7CqwoJOsW7Kddns=\n\
        -----END PUBLIC KEY-----\n";
    let p521 = PublicKey::from_pem(p521.as_bytes()).unwrap();
    assert_eq!(p521.algorithm(), KeyAlgorithm::EcdsaP521);
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

/// RSA-PSS with an `rsaEncryption` key: PKCS #1 v1.5 by default (cosign's `--key`), PSS once
/// asked for (a trusted root's `PKIX_RSA_PSS_*`), never both; OpenSSL's salt lengths (the
/// digest length and the maximum) are read from the encoding.
#[test]
fn rsa_encryption_keys_verify_pss_only_when_asked() {
    let payload = data("payload.txt");
    let pkcs1 = PublicKey::from_pem(&data("rsa.pub.pem")).unwrap();
    let pss = pkcs1.clone().with_rsa_pss();
    assert_eq!(
        (pss.algorithm(), pss.key_id(), pss.rsa_bits()),
        (KeyAlgorithm::RsaPss, pkcs1.key_id(), Some(2048))
    );
    let v15 = data("rsa.sha256.sig");
    let pss256 = data("rsa.pss.sha256.sig");
    let pss384max = data("rsa.pss-max.sha384.sig");
    check(&pkcs1, &payload, &v15, true);
    check(&pkcs1, &payload, &pss256, false);
    check(&pss, &payload, &pss256, true);
    check(&pss, &payload, &v15, false);
    check(&pss, b"another payload", &pss256, false);
    assert!(
        pss.verify_hashed(HashAlgorithm::Sha384, &payload, &pss384max)
            .is_ok()
    );
    assert!(
        pss.verify_hashed(HashAlgorithm::Sha512, &payload, &pss384max)
            .is_err()
    );
    assert!(
        pkcs1
            .verify_hashed(HashAlgorithm::Sha384, &payload, &pss384max)
            .is_err()
    );
    // A key bound to SHA-256 by its parameters refuses every other hash.
    let bound = PublicKey::from_pem(&data("rsapss.pub.pem")).unwrap();
    assert_eq!(bound.rsa_bits(), Some(3072));
    let sha384 = <sha2::Sha384 as sha2::Digest>::digest(&payload);
    assert!(
        bound
            .verify_prehash(&sha384, &data("rsapss.sha256.sig"))
            .is_err()
    );
    assert_eq!(bound.clone().with_rsa_pss(), bound);
    assert!(KeyAlgorithm::RsaPss.is_rsa() && !KeyAlgorithm::EcdsaP521.is_rsa());
    assert_eq!(
        KeyAlgorithm::EcdsaP521.default_hash(),
        Some(HashAlgorithm::Sha512)
    );
}

/// P-521 with the hashes certificates name (`ecdsa-with-SHA256/384/512`): every backend
/// agrees; OpenSSL's SHA-256 signature over a P-521 key verifies as SHA-256 only.
#[test]
fn p521_verifies_every_hash_on_every_backend() {
    let payload = data("payload.txt");
    let key = PublicKey::from_key_pem(&data("p521.pkcs8.pem"), no_password).unwrap();
    let sig = data("p521.sha512.sig");
    for backend in Backend::available() {
        let sha512 = <sha2::Sha512 as sha2::Digest>::digest(&payload);
        assert!(
            key.verify_prehash_with(*backend, &sha512, &sig).is_ok(),
            "{backend}"
        );
        assert!(
            key.verify_prehash_with(*backend, &sha512[..48], &sig)
                .is_err(),
            "{backend}"
        );
    }
    let sha256_sig = data("p521.sha256.sig");
    assert!(
        key.verify_hashed(HashAlgorithm::Sha256, &payload, &sha256_sig)
            .is_ok()
    );
    assert!(
        key.verify(&payload, &sha256_sig).is_err(),
        "P-521's default hash is SHA-512"
    );
    for backend in Backend::available() {
        let sha256 = <sha2::Sha256 as sha2::Digest>::digest(&payload);
        assert!(
            key.verify_prehash_with(*backend, &sha256, &sha256_sig)
                .is_ok(),
            "{backend}"
        );
    }
}
