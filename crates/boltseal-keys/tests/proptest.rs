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
