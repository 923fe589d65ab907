//! The encrypted private key envelope cosign, skopeo and sigstore-rs share: scrypt for the key,
//! NaCl secretbox for the cipher, JSON for the container.
//!
//! `{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"…"},
//!   "cipher":{"name":"nacl/secretbox","nonce":"…"},"ciphertext":"…"}`
//! with byte fields in standard base64 with padding, in exactly this field order.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::secretbox;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SALT_LEN: usize = 32;

/// The scrypt cost of an encrypted key. Only the three settings in use are accepted on read: a
/// larger `N` would let a key file make a reader spend unbounded memory and time.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScryptCost {
    /// N = 2^15: what cosign ≤ 2.1, sigstore-rs and skopeo write; the only value skopeo ≤ 1.13
    /// reads.
    Legacy,
    /// N = 2^16: what cosign ≥ 2.2 writes; boltseal's default.
    #[default]
    Standard,
    /// N = 2^17: accepted by cosign ≥ 2.2 and skopeo ≥ 1.14 only.
    Owasp,
}

impl ScryptCost {
    /// `log2(N)`.
    #[must_use]
    pub fn log_n(self) -> u8 {
        match self {
            ScryptCost::Legacy => 15,
            ScryptCost::Standard => 16,
            ScryptCost::Owasp => 17,
        }
    }

    /// `N`.
    #[must_use]
    pub fn n(self) -> u64 {
        1 << self.log_n()
    }

    fn from_n(n: u64) -> Option<Self> {
        [ScryptCost::Legacy, ScryptCost::Standard, ScryptCost::Owasp]
            .into_iter()
            .find(|c| c.n() == n)
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Params {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn derive(password: &[u8], salt: &[u8], cost: ScryptCost) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let params =
        scrypt::Params::new(cost.log_n(), 8, 1).map_err(|e| KeyError::UnsupportedEncryption {
            reason: e.to_string(),
        })?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut_slice()).map_err(|e| {
        KeyError::UnsupportedEncryption {
            reason: e.to_string(),
        }
    })?;
    Ok(key)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| KeyError::Random {
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// Encrypts `plaintext` (a PKCS#8 DER key) into the JSON envelope.
pub(crate) fn encrypt(
    plaintext: &[u8],
    password: &[u8],
    cost: ScryptCost,
) -> Result<Vec<u8>, KeyError> {
    let salt: [u8; SALT_LEN] = random_bytes()?;
    let nonce: [u8; secretbox::NONCE_LEN] = random_bytes()?;
    let key = derive(password, &salt, cost)?;
    let sealed = secretbox::seal(&key, &nonce, plaintext);
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".to_owned(),
            params: Params {
                n: cost.n(),
                r: 8,
                p: 1,
            },
            salt: B64.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".to_owned(),
            nonce: B64.encode(nonce),
        },
        ciphertext: B64.encode(sealed),
    };
    serde_json::to_vec(&envelope).map_err(|e| KeyError::Corrupt {
        what: "envelope",
        reason: e.to_string(),
    })
}

/// Decrypts the JSON envelope, returning the plaintext and the cost it was encrypted with.
pub(crate) fn decrypt(
    envelope: &[u8],
    password: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, ScryptCost), KeyError> {
    let env: Envelope = serde_json::from_slice(envelope).map_err(|e| KeyError::Corrupt {
        what: "JSON envelope",
        reason: e.to_string(),
    })?;
    if env.kdf.name != "scrypt" {
        return Err(KeyError::UnsupportedEncryption {
            reason: format!("key derivation {:?} (expected scrypt)", env.kdf.name),
        });
    }
    if env.cipher.name != "nacl/secretbox" {
        return Err(KeyError::UnsupportedEncryption {
            reason: format!("cipher {:?} (expected nacl/secretbox)", env.cipher.name),
        });
    }
    let cost = match (
        ScryptCost::from_n(env.kdf.params.n),
        env.kdf.params.r,
        env.kdf.params.p,
    ) {
        (Some(c), 8, 1) => c,
        _ => {
            return Err(KeyError::UnsupportedEncryption {
                reason: format!(
                    "scrypt N={} r={} p={} (expected N of 32768, 65536 or 131072 with r=8, p=1)",
                    env.kdf.params.n, env.kdf.params.r, env.kdf.params.p
                ),
            });
        }
    };
    let salt = B64.decode(&env.kdf.salt).map_err(|e| KeyError::Corrupt {
        what: "kdf.salt",
        reason: e.to_string(),
    })?;
    if salt.is_empty() {
        return Err(KeyError::Corrupt {
            what: "kdf.salt",
            reason: "empty".to_owned(),
        });
    }
    let nonce: [u8; secretbox::NONCE_LEN] = B64
        .decode(&env.cipher.nonce)
        .map_err(|e| KeyError::Corrupt {
            what: "cipher.nonce",
            reason: e.to_string(),
        })?
        .try_into()
        .map_err(|v: Vec<u8>| KeyError::Corrupt {
            what: "cipher.nonce",
            reason: format!("{} bytes, expected 24", v.len()),
        })?;
    let sealed = B64.decode(&env.ciphertext).map_err(|e| KeyError::Corrupt {
        what: "ciphertext",
        reason: e.to_string(),
    })?;
    if sealed.len() < secretbox::TAG_LEN {
        return Err(KeyError::Corrupt {
            what: "ciphertext",
            reason: format!("{} bytes, shorter than the 16-byte tag", sealed.len()),
        });
    }
    let key = derive(password, &salt, cost)?;
    let plain = secretbox::open(&key, &nonce, &sealed).ok_or(KeyError::WrongPassword)?;
    Ok((plain, cost))
}
