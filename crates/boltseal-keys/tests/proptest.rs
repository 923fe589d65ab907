//! Property tests: key PEM round trips; arbitrary input never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_keys::{KeyFormat, PrivateKey, PublicKey};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn encrypted_pem_round_trips(password in proptest::collection::vec(any::<u8>(), 0..40), legacy in any::<bool>()) {
        let key = PrivateKey::generate().unwrap();
        let format = if legacy { KeyFormat::legacy() } else { KeyFormat::default() };
        let pem = key.to_encrypted_pem(&password, format).unwrap();
        prop_assert_eq!(PrivateKey::from_pem(pem.as_bytes(), &password).unwrap().public_key(), key.public_key());
    }
}

proptest! {
    #[test]
    fn public_pem_round_trips(_seed in any::<u8>()) {
        let key = PrivateKey::generate().unwrap().public_key();
        prop_assert_eq!(PublicKey::from_pem(key.to_pem().as_bytes()).unwrap(), key);
    }

    #[test]
    fn arbitrary_pem_never_panics(label in prop_oneof![Just("ENCRYPTED SIGSTORE PRIVATE KEY".to_owned()), Just("PRIVATE KEY".to_owned()), Just("EC PRIVATE KEY".to_owned()), Just("PUBLIC KEY".to_owned()), "[A-Z ]{1,20}"], body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let pem = pem::encode(&pem::Pem::new(label, body));
        let _ = PrivateKey::from_pem(pem.as_bytes(), b"x");
        let _ = PublicKey::from_pem(pem.as_bytes());
    }

    #[test]
    fn arbitrary_envelopes_never_panic(json in r#"\{"kdf":\{"name":"scrypt","params":\{"N":(32768|1|0|99999999999),"r":8,"p":1\},"salt":"[A-Za-z0-9+/=]{0,12}"\},"cipher":\{"name":"nacl/secretbox","nonce":"[A-Za-z0-9+/=]{0,40}"\},"ciphertext":"[A-Za-z0-9+/=]{0,60}"\}"#) {
        let pem = pem::encode(&pem::Pem::new("ENCRYPTED COSIGN PRIVATE KEY", json.into_bytes()));
        let _ = PrivateKey::from_pem(pem.as_bytes(), b"x");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Keys of every algorithm boltseal can generate material for: SPKI and PEM round trips,
    /// the key id is SHA-256 of the SPKI, and a signature verifies only over its message.
    #[test]
    fn every_algorithm_round_trips_and_verifies(seed in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..100)) {
        use ecdsa::signature::Signer as _;
        use p256::pkcs8::EncodePublicKey as _;
        let mut scalar = seed;
        scalar[0] = 1; // a valid scalar of both curves
        let p384 = p384::ecdsa::SigningKey::from_slice(&[[1u8; 16].as_slice(), &scalar].concat()).unwrap();
        let p384_sig: p384::ecdsa::Signature = p384.sign(&message);
        let ed = ed25519_dalek::SigningKey::from_bytes(&seed);
        let ed_spki = [&[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..], ed.verifying_key().as_bytes()].concat();
        let p521 = p521::ecdsa::SigningKey::from_slice(&[[0u8; 34].as_slice(), &scalar].concat()).unwrap();
        let p521_sig: p521::ecdsa::Signature = p521.sign(&message);
        let cases = [
            (p521::pkcs8::EncodePublicKey::to_public_key_der(p521.verifying_key()).unwrap().into_vec(), p521_sig.to_der().as_bytes().to_vec()),
            (p384::pkcs8::EncodePublicKey::to_public_key_der(p384.verifying_key()).unwrap().into_vec(), p384_sig.to_der().as_bytes().to_vec()),
            (ed_spki, ed25519_dalek::Signer::sign(&ed, &message).to_bytes().to_vec()),
            (p256::ecdsa::SigningKey::from_slice(&scalar).unwrap().verifying_key().to_public_key_der().unwrap().into_vec(), PrivateKey::from_pem(
                p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&p256::SecretKey::from_slice(&scalar).unwrap(), p256::pkcs8::LineEnding::LF).unwrap().as_bytes(), b"").unwrap().sign_der(&message)),
        ];
        for (spki, signature) in cases {
            let key = PublicKey::from_spki_der(&spki).unwrap();
            prop_assert_eq!(key.spki_der(), spki.as_slice());
            prop_assert_eq!(&PublicKey::from_pem(key.to_pem().as_bytes()).unwrap(), &key);
            prop_assert_eq!(key.key_id().to_vec(), <sha2::Sha256 as sha2::Digest>::digest(&spki).to_vec());
            prop_assert!(key.verify(&message, &signature).is_ok(), "{:?}", key.algorithm());
            let mut other = message.clone();
            other.push(0);
            prop_assert!(key.verify(&other, &signature).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// RSA keys of both schemes and sizes: arbitrary signatures (of every length, the modulus
    /// length included) never verify and never panic, whatever the digest.
    #[test]
    fn arbitrary_rsa_signatures_never_verify(signature in proptest::collection::vec(any::<u8>(), 0..520), digest_len in prop_oneof![Just(32usize), Just(48), Just(64), 0usize..80], fill in any::<u8>()) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        for file in ["rsa.pub.pem", "rsapss.pub.pem", "rsapss4096.pub.pem"] {
            let key = PublicKey::from_pem(&std::fs::read(dir.join(file)).unwrap()).unwrap();
            for key in [key.clone(), key.with_rsa_pss()] {
                let len = key.rsa_bits().unwrap() / 8;
                let mut full = signature.clone();
                full.resize(len, fill);
                prop_assert!(key.verify_prehash(&vec![fill; digest_len], &signature).is_err());
                prop_assert!(key.verify_prehash(&vec![fill; digest_len], &full).is_err());
                prop_assert!(key.verify(b"message", &full).is_err());
            }
        }
    }
}
