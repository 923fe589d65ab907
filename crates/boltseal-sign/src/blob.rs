//! Signing blobs into Sigstore bundles.

use boltseal_envelope::bundle::{
    Bundle, Content, HashAlgorithm, MessageSignature, VerificationMaterial,
};
use boltseal_keys::Signer;
use sha2::Digest as _;

use crate::error::Error;
use crate::tlog::Log;

/// Signs `data` into a Sigstore bundle v0.3 with a message signature (ECDSA P-256 over SHA-256
/// of the data), the SHA-256 message digest, and the signer's public-key hint, as
/// `cosign sign-blob --key --bundle` writes without a transparency log.
///
/// # Errors
/// [`Error::Sign`] when the signer fails.
pub fn sign_blob_bytes(data: &[u8], signer: &dyn Signer) -> Result<Bundle, Error> {
    let signature = signer.sign(data)?;
    let digest = sha2::Sha256::digest(data).to_vec();
    Ok(Bundle::new(
        VerificationMaterial::public_key(signer.public_key().hint()),
        Content::MessageSignature(
            MessageSignature::new(signature).with_digest(HashAlgorithm::Sha2_256, digest),
        ),
    ))
}

/// Like [`sign_blob_bytes`], returning the bundle's JSON bytes.
///
/// # Errors
/// [`Error::Sign`] when the signer fails.
pub fn sign_blob(data: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, Error> {
    Ok(sign_blob_bytes(data, signer)?.to_bytes())
}

/// Like [`sign_blob_bytes`], and writes the signature to `log` (a `hashedrekord` entry): the
/// bundle's `tlogEntries` holds the entry, verified against the log's trusted root, as
/// `cosign sign-blob --key --bundle` writes with a log.
///
/// # Errors
/// [`Error::Sign`] when the signer fails; [`Error::TransparencyLog`] when the log cannot be
/// reached or its answer does not verify.
pub async fn sign_blob_logged(
    data: &[u8],
    signer: &dyn Signer,
    log: &Log,
) -> Result<Bundle, Error> {
    let mut bundle = sign_blob_bytes(data, signer)?;
    let Some(message) = bundle.message_signature() else {
        return Err(Error::Predicate {
            reason: "internal: a blob bundle without a message signature".to_owned(),
        });
    };
    let entry = log
        .log_message(
            &boltseal_reference::Digest::sha256_of(data),
            &message.signature.clone(),
            &signer.public_key(),
        )
        .await?;
    bundle.verification_material = bundle.verification_material.with_tlog_entry(entry);
    Ok(bundle)
}
