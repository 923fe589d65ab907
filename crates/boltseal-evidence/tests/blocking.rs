//! The blocking wrappers run the async verification on a runtime of their own.
#![cfg(feature = "blocking")]

use boltseal_core::{Classify, ErrorKind};
use boltseal_evidence::blocking;
use boltseal_keys::PrivateKey;
use boltseal_oci::{LayoutStore, ManifestRef};
use boltseal_reference::Digest;
use boltseal_verify::{Check, Claim, KeyPolicy};

#[test]
fn an_unsigned_image_is_refused_without_an_async_runtime() {
    let dir = std::env::temp_dir().join(format!("evidence-blocking-{}", std::process::id()));
    let layout = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(LayoutStore::create(&dir))
        .unwrap();
    let key = PrivateKey::generate().unwrap().public_key();
    let image = ManifestRef::Digest(Digest::sha256_of(b"a manifest nobody signed"));
    let err = blocking::verify(
        &layout,
        &image,
        &KeyPolicy::new(key).into(),
        &Claim::Signature,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused, "{err}");
    assert_eq!(err.check(), Check::Signatures, "{err}");
    assert!(err.reason().starts_with("no valid signatures"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
