//! NaCl `crypto_secretbox` (XSalsa20-Poly1305), composed from the `salsa20` and `poly1305`
//! primitives. The sealed form is Go's `secretbox.Seal` output: the 16-byte Poly1305 tag
//! followed by the ciphertext (no nonce in front).

use poly1305::Poly1305;
use poly1305::universal_hash::KeyInit;
use salsa20::XSalsa20;
use salsa20::cipher::{KeyIvInit, StreamCipher};
use zeroize::Zeroizing;

pub(crate) const KEY_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;

/// The one-time Poly1305 key is the first 32 bytes of the keystream; the message is encrypted
/// with the keystream from byte 32 on.
fn start(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN]) -> (XSalsa20, Poly1305) {
    let mut cipher = XSalsa20::new(key.into(), nonce.into());
    let mut otk = Zeroizing::new([0u8; 32]);
    cipher.apply_keystream(otk.as_mut_slice());
    let mac = Poly1305::new((&*otk).into());
    (cipher, mac)
}

/// Encrypts and authenticates `plaintext`.
pub(crate) fn seal(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Vec<u8> {
    let (mut cipher, mac) = start(key, nonce);
    let mut body = plaintext.to_vec();
    cipher.apply_keystream(&mut body);
    let tag = mac.compute_unpadded(&body);
    let mut out = Vec::with_capacity(TAG_LEN + body.len());
    out.extend_from_slice(&tag);
    out.extend_from_slice(&body);
    out
}

/// Verifies and decrypts; `None` when authentication fails (wrong key or tampered box).
pub(crate) fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    sealed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < TAG_LEN {
        return None;
    }
    let (tag, body) = sealed.split_at(TAG_LEN);
    let (mut cipher, mac) = start(key, nonce);
    let expected = mac.compute_unpadded(body);
    // Constant-time comparison of the tags.
    let diff = expected
        .iter()
        .zip(tag)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return None;
    }
    let mut plain = Zeroizing::new(body.to_vec());
    cipher.apply_keystream(plain.as_mut_slice());
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The test vector of the NaCl paper "Cryptography in NaCl" (§10), as used by Go's
    /// `secretbox` tests: the first 16 bytes of the output are the authenticator.
    #[test]
    fn nacl_vector() {
        let key: [u8; 32] = hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
            .try_into()
            .unwrap();
        let nonce: [u8; 24] = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
            .try_into()
            .unwrap();
        let msg = hex(concat!(
            "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a",
            "1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057",
            "e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040",
            "e082f937763848645e0705"
        ));
        let expected = hex(concat!(
            "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4",
            "476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738",
            "b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de",
            "56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5"
        ));
        let sealed = seal(&key, &nonce, &msg);
        assert_eq!(sealed, expected);
        assert_eq!(
            open(&key, &nonce, &sealed).unwrap().as_slice(),
            msg.as_slice()
        );
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert!(open(&key, &nonce, &bad).is_none());
        assert!(open(&key, &nonce, &sealed[..10]).is_none());
        let mut other = key;
        other[0] ^= 1;
        assert!(open(&other, &nonce, &sealed).is_none());
    }
}
