//! Every ECDSA verification backend gives the same answer for the same key, message and
//! signature: valid signatures, signatures over other messages, bit flips, truncations, trailing
//! bytes, non-minimal and BER encodings, out-of-range scalars and high `s`. Without the `aws-lc`
//! feature only `p256` runs (and must give the expected answers); with it (CI runs
//! `--all-features`) both run on the same inputs and must agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_keys::{Backend, PrivateKey, PublicKey};
use proptest::prelude::*;

/// Each backend's answer; panics unless they all agree, returns the common answer.
fn agreed(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    let answers: Vec<(Backend, bool)> = Backend::available()
        .iter()
        .map(|b| (*b, key.verify_der_with(*b, message, signature).is_ok()))
        .collect();
    let first = answers[0].1;
    assert!(
        answers.iter().all(|(_, ok)| *ok == first),
        "backends disagree on {} / {}: {answers:?}",
        hex(message),
        hex(signature)
    );
    assert_eq!(key.verify_der(message, signature).is_ok(), first);
    first
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// DER TLV with a short or long length.
fn tlv(tag: u8, value: &[u8], long_length: bool) -> Vec<u8> {
    let mut out = vec![tag];
    if long_length || value.len() > 127 {
        out.extend_from_slice(&[0x81, u8::try_from(value.len()).unwrap()]);
    } else {
        out.push(u8::try_from(value.len()).unwrap());
    }
    out.extend_from_slice(value);
    out
}

/// A minimal positive INTEGER body for big-endian `bytes`.
fn int_body(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut body = if trimmed.is_empty() { vec![0] } else { trimmed };
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    body
}

fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    let seq = [
        tlv(0x02, &int_body(r), false),
        tlv(0x02, &int_body(s), false),
    ]
    .concat();
    tlv(0x30, &seq, false)
}

/// `(r, s)` of a DER signature made by `PrivateKey::sign_der`.
fn scalars(signature: &[u8]) -> ([u8; 32], [u8; 32]) {
    let sig = p256::ecdsa::DerSignature::try_from(signature).unwrap();
    let sig = p256::ecdsa::Signature::try_from(sig).unwrap();
    let bytes = sig.to_bytes();
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..]);
    (r, s)
}

/// The group order of P-256.
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `N - x` for `0 < x < N`, big-endian.
fn order_minus(x: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(x[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    out
}

#[test]
fn backends_agree_on_the_edge_cases() {
    let key = PrivateKey::generate().unwrap();
    let public = key.public_key();
    let message = b"{\"critical\":{\"type\":\"cosign container image signature\"}}";
    let signature = key.sign_der(message);
    let (r, s) = scalars(&signature);

    assert!(agreed(&public, message, &signature), "a valid signature");
    assert!(!agreed(&public, b"another message", &signature));
    assert!(!agreed(
        &PrivateKey::generate().unwrap().public_key(),
        message,
        &signature
    ));
    // Our own re-encoding of the same scalars is the same strict DER and verifies.
    assert!(agreed(&public, message, &der_sig(&r, &s)));
    // High s (N - s) is the other valid signature of the pair: both accept it (neither backend
    // enforces low s; cosign does not either).
    let high = der_sig(&r, &order_minus(&s));
    assert_eq!(
        agreed(&public, message, &high),
        agreed(&public, message, &der_sig(&r, &s))
    );
    // Structural damage.
    let mut trailing = signature.clone();
    trailing.push(0);
    assert!(!agreed(&public, message, &trailing));
    assert!(!agreed(&public, message, &signature[..signature.len() - 1]));
    assert!(!agreed(&public, message, &[]));
    // A non-minimal INTEGER (an extra leading zero) and a BER long-form length.
    let padded = {
        let mut body = int_body(&r);
        body.insert(0, 0);
        let seq = [tlv(0x02, &body, false), tlv(0x02, &int_body(&s), false)].concat();
        tlv(0x30, &seq, false)
    };
    assert!(!agreed(&public, message, &padded));
    let long_form = {
        let seq = [
            tlv(0x02, &int_body(&r), true),
            tlv(0x02, &int_body(&s), false),
        ]
        .concat();
        tlv(0x30, &seq, false)
    };
    assert!(!agreed(&public, message, &long_form));
    // Out-of-range scalars.
    let zero = [0u8; 32];
    assert!(!agreed(&public, message, &der_sig(&zero, &s)));
    assert!(!agreed(&public, message, &der_sig(&r, &zero)));
    assert!(!agreed(&public, message, &der_sig(&N, &s)));
    assert!(!agreed(&public, message, &der_sig(&r, &N)));
    // A negative INTEGER (high bit set, no padding byte).
    let negative = {
        let seq = [tlv(0x02, &N, false), tlv(0x02, &int_body(&s), false)].concat();
        tlv(0x30, &seq, false)
    };
    assert!(!agreed(&public, message, &negative));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn backends_agree_on_damaged_signatures(
        message in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let key = PrivateKey::generate().unwrap();
        let public = key.public_key();
        let signature = key.sign_der(&message);
        prop_assert!(agreed(&public, &message, &signature));
        let mut flipped = signature.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= 1 << bit;
        prop_assert!(!agreed(&public, &message, &flipped));
        let cut = cut.index(signature.len());
        prop_assert!(!agreed(&public, &message, &signature[..cut]));
        // Arbitrary bytes: whatever the answer, every backend gives it.
        agreed(&public, &message, &junk);
    }
}

/// Each backend's answer on a precomputed digest; panics unless they all agree.
fn agreed_prehash(key: &PublicKey, digest: &[u8], signature: &[u8]) -> bool {
    let answers: Vec<bool> = Backend::available()
        .iter()
        .map(|b| key.verify_prehash_with(*b, digest, signature).is_ok())
        .collect();
    assert!(
        answers.iter().all(|ok| *ok == answers[0]),
        "backends disagree on {:?}: {answers:?}",
        key.algorithm()
    );
    answers[0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// P-256, P-384 and P-521 keys, SHA-256/384/512 digests: valid, damaged and foreign
    /// signatures.
    #[test]
    fn backends_agree_on_every_curve_and_every_hash(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..200),
        hash in 0usize..3,
        flip in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        use ecdsa::signature::hazmat::PrehashSigner as _;
        use p256::pkcs8::EncodePublicKey as _;
        let digest = match hash {
            0 => <sha2::Sha256 as sha2::Digest>::digest(&message).to_vec(),
            1 => <sha2::Sha384 as sha2::Digest>::digest(&message).to_vec(),
            _ => <sha2::Sha512 as sha2::Digest>::digest(&message).to_vec(),
        };
        let mut scalar = seed;
        scalar[0] = 1; // below both group orders, not zero
        let p256_key = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
        let p384_key = p384::ecdsa::SigningKey::from_slice(&[[1u8; 16].as_slice(), &scalar].concat()).unwrap();
        let p256_sig: p256::ecdsa::Signature = p256_key.sign_prehash(&digest).unwrap();
        let p384_sig: p384::ecdsa::Signature = p384_key.sign_prehash(&digest).unwrap();
        let p521_key = p521::ecdsa::SigningKey::from_slice(&[[0u8; 34].as_slice(), &scalar].concat()).unwrap();
        let p521_sig: p521::ecdsa::Signature = p521_key.sign_prehash(&digest).unwrap();
        let cases = [
            (
                PublicKey::from_spki_der(p256_key.verifying_key().to_public_key_der().unwrap().as_bytes()).unwrap(),
                p256_sig.to_der().as_bytes().to_vec(),
            ),
            (
                PublicKey::from_spki_der(p384::pkcs8::EncodePublicKey::to_public_key_der(p384_key.verifying_key()).unwrap().as_bytes()).unwrap(),
                p384_sig.to_der().as_bytes().to_vec(),
            ),
            (
                PublicKey::from_spki_der(p521::pkcs8::EncodePublicKey::to_public_key_der(p521_key.verifying_key()).unwrap().as_bytes()).unwrap(),
                p521_sig.to_der().as_bytes().to_vec(),
            ),
        ];
        for (key, signature) in cases {
            prop_assert!(agreed_prehash(&key, &digest, &signature));
            let mut damaged = signature.clone();
            let i = flip.index(damaged.len());
            damaged[i] ^= 0x01;
            prop_assert!(!agreed_prehash(&key, &digest, &damaged));
            let mut other = digest.clone();
            other[0] ^= 0x80;
            prop_assert!(!agreed_prehash(&key, &other, &signature));
            prop_assert!(!agreed_prehash(&key, &digest[..20], &signature));
            agreed_prehash(&key, &digest, &junk);
        }
    }
}
