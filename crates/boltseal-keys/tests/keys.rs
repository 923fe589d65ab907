//! Key formats: round trips for every variant, corrupt inputs named precisely, files written
//! 0600 and never overwritten without `force`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;

use base64::Engine as _;
use boltseal_keys::{
    KeyError, KeyFormat, KeyPairPaths, PrivateKey, PublicKey, ScryptCost, StoredAs,
    read_private_key, read_public_key, write_key_pair,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[test]
fn every_written_variant_reads_back() {
    let key = PrivateKey::generate().unwrap();
    for legacy_label in [false, true] {
        for cost in [ScryptCost::Legacy, ScryptCost::Standard, ScryptCost::Owasp] {
            let format = KeyFormat::default()
                .with_cost(cost)
                .with_legacy_label(legacy_label);
            for password in [&b""[..], b"correct horse"] {
                let pem = key.to_encrypted_pem(password, format).unwrap();
                let label = if legacy_label { "COSIGN" } else { "SIGSTORE" };
                assert!(
                    pem.starts_with(&format!("-----BEGIN ENCRYPTED {label} PRIVATE KEY-----\n"))
                );
                let (back, stored) =
                    PrivateKey::from_pem_with_format(pem.as_bytes(), password).unwrap();
                assert_eq!(back.public_key(), key.public_key());
                assert_eq!(stored, StoredAs::Encrypted(format));
            }
        }
    }
}

fn envelope_of(pem: &str) -> serde_json::Value {
    let block = pem::parse(pem).unwrap();
    serde_json::from_slice(block.contents()).unwrap()
}

fn with_envelope(label: &str, v: &serde_json::Value) -> Vec<u8> {
    pem::encode(&pem::Pem::new(label, serde_json::to_vec(v).unwrap())).into_bytes()
}

#[test]
fn envelope_layout_matches_cosign() {
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(b"pw", KeyFormat::default()).unwrap();
    let block = pem::parse(&pem).unwrap();
    let text = String::from_utf8(block.contents().to_vec()).unwrap();
    assert!(
        text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""#),
        "{text}"
    );
    assert!(
        text.contains(r#""cipher":{"name":"nacl/secretbox","nonce":""#),
        "{text}"
    );
    let v = envelope_of(&pem);
    assert_eq!(
        B64.decode(v["kdf"]["salt"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        B64.decode(v["cipher"]["nonce"].as_str().unwrap())
            .unwrap()
            .len(),
        24
    );
    // PKCS#8 P-256 plus the 16-byte tag.
    assert!(B64.decode(v["ciphertext"].as_str().unwrap()).unwrap().len() > 16 + 100);
}

#[test]
fn corrupt_files_say_what_is_wrong() {
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(b"pw", KeyFormat::legacy()).unwrap();
    let label = "ENCRYPTED COSIGN PRIVATE KEY";
    let base = envelope_of(&pem);
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "big N",
            Box::new(|v| v["kdf"]["params"]["N"] = 1u64.shl(20).into()),
            "scrypt N=1048576",
        ),
        (
            "r",
            Box::new(|v| v["kdf"]["params"]["r"] = 16.into()),
            "r=16",
        ),
        (
            "kdf",
            Box::new(|v| v["kdf"]["name"] = "pbkdf2".into()),
            "pbkdf2",
        ),
        (
            "cipher",
            Box::new(|v| v["cipher"]["name"] = "aes-gcm".into()),
            "aes-gcm",
        ),
        (
            "nonce len",
            Box::new(|v| v["cipher"]["nonce"] = B64.encode([0u8; 12]).into()),
            "cipher.nonce: 12 bytes",
        ),
        (
            "nonce b64",
            Box::new(|v| v["cipher"]["nonce"] = "***".into()),
            "cipher.nonce",
        ),
        (
            "salt",
            Box::new(|v| v["kdf"]["salt"] = "".into()),
            "kdf.salt",
        ),
        (
            "short",
            Box::new(|v| v["ciphertext"] = B64.encode([0u8; 4]).into()),
            "ciphertext: 4 bytes",
        ),
        (
            "missing",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("cipher");
            }),
            "JSON envelope",
        ),
    ];
    trait Shl {
        fn shl(self, n: u32) -> u64;
    }
    impl Shl for u64 {
        fn shl(self, n: u32) -> u64 {
            self << n
        }
    }
    for (name, edit, needle) in cases {
        let mut v = base.clone();
        edit(&mut v);
        let err = PrivateKey::from_pem(&with_envelope(label, &v), b"pw").unwrap_err();
        assert!(!matches!(err, KeyError::WrongPassword), "{name}: {err}");
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
    // A flipped ciphertext bit cannot be told from a wrong password: both fail authentication.
    let mut v = base.clone();
    let mut ct = B64.decode(v["ciphertext"].as_str().unwrap()).unwrap();
    ct[30] ^= 1;
    v["ciphertext"] = B64.encode(ct).into();
    assert!(matches!(
        PrivateKey::from_pem(&with_envelope(label, &v), b"pw").unwrap_err(),
        KeyError::WrongPassword
    ));
    for junk in [
        &b""[..],
        b"not pem",
        b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n",
    ] {
        let err = PrivateKey::from_pem(junk, b"pw").unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::NotPem { .. } | KeyError::UnsupportedPemLabel { .. }
            ),
            "{err}"
        );
    }
    let big = vec![b'A'; 100 * 1024];
    assert!(matches!(
        PrivateKey::from_pem(&big, b"").unwrap_err(),
        KeyError::NotPem { .. }
    ));
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cosign");
    let key = PrivateKey::generate().unwrap();
    let paths = write_key_pair(&prefix, &key, b"pw", KeyFormat::default(), false).unwrap();
    assert_eq!(paths, KeyPairPaths::for_prefix(&prefix));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&paths.private), 0o600);
    assert_eq!(mode(&paths.public), 0o644);
    assert_eq!(
        read_private_key(&paths.private, b"pw")
            .unwrap()
            .public_key(),
        key.public_key()
    );
    assert_eq!(read_public_key(&paths.public).unwrap(), key.public_key());
    let before = std::fs::read(&paths.private).unwrap();
    let other = PrivateKey::generate().unwrap();
    let err = write_key_pair(&prefix, &other, b"pw", KeyFormat::default(), false).unwrap_err();
    assert!(matches!(err, KeyError::Exists { .. }), "{err}");
    assert_eq!(std::fs::read(&paths.private).unwrap(), before);
    write_key_pair(&prefix, &other, b"pw", KeyFormat::default(), true).unwrap();
    assert_eq!(read_public_key(&paths.public).unwrap(), other.public_key());
    // No temporary files are left.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn public_keys_and_hints() {
    let key = PrivateKey::generate().unwrap();
    let public = key.public_key();
    let pem = public.to_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(PublicKey::from_pem(pem.as_bytes()).unwrap(), public);
    assert_eq!(
        PublicKey::from_spki_der(&public.to_spki_der()).unwrap(),
        public
    );
    assert_eq!(B64.decode(public.hint()).unwrap().len(), 32);
    let private_pem = key.to_encrypted_pem(b"", KeyFormat::default()).unwrap();
    assert!(matches!(
        PublicKey::from_pem(private_pem.as_bytes()).unwrap_err(),
        KeyError::UnsupportedPemLabel { .. }
    ));
    let sig = key.sign_der(b"m");
    assert!(public.verify_der(b"m", &sig).is_ok());
    assert!(public.verify_der(b"m", &sig[..sig.len() - 1]).is_err());
    assert!(public.verify_der(b"m", b"").is_err());
}
