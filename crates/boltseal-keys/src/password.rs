//! Where key passwords come from: `COSIGN_PASSWORD`, a terminal prompt, or standard input.

use std::io::{IsTerminal, Read};

use zeroize::Zeroizing;

use crate::error::KeyError;

/// The environment variable cosign reads the password from. Set but empty means "empty
/// password", not "ask".
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

/// Passwords read from standard input are bounded.
const MAX_PASSWORD_BYTES: u64 = 64 * 1024;

/// Gets a key password the way cosign does: `COSIGN_PASSWORD` if set (even to the empty
/// string); otherwise a prompt on the terminal (twice when `confirm`, e.g. for a new key);
/// otherwise all of standard input.
///
/// # Errors
/// [`KeyError::Password`] when the prompt fails or the two entries differ.
pub fn read_password(confirm: bool) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if let Some(value) = std::env::var_os(PASSWORD_ENV) {
        return Ok(Zeroizing::new(value.into_encoded_bytes()));
    }
    let bad = |reason: String| KeyError::Password { reason };
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password("Enter password for private key: ")
                .map_err(|e| bad(e.to_string()))?,
        );
        if confirm {
            let second = Zeroizing::new(
                rpassword::prompt_password("Enter password for private key again: ")
                    .map_err(|e| bad(e.to_string()))?,
            );
            if *first != *second {
                return Err(bad("the passwords do not match".to_owned()));
            }
        }
        return Ok(Zeroizing::new(first.as_bytes().to_vec()));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_PASSWORD_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| bad(format!("reading standard input: {e}")))?;
    Ok(buf)
}
