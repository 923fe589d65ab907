//! Signing and attesting images in a store.

use std::collections::BTreeMap;

use base64::Engine as _;
use boltseal_core::Timestamp;
use boltseal_envelope::bundle::{Bundle, Content, VerificationMaterial};
use boltseal_envelope::dsse;
use boltseal_envelope::intoto::Statement;
use boltseal_envelope::predicate;
use boltseal_envelope::simple_signing::SimpleSigning;
use boltseal_keys::Signer;
use boltseal_oci::{BlobReader, Descriptor, ImageManifest, Manifest, ManifestRef, Store};
use boltseal_reference::{Digest, Reference, media_type};
use serde_json::{Value, json};

use crate::error::Error;
use crate::tlog::{Log, rekor_bundle_annotation};

/// The layer annotation that carries a legacy signature (standard base64 of the DER signature).
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// The layer annotation naming an attestation's predicate type in `.att` manifests.
pub const ANNOTATION_PREDICATE_TYPE: &str = "predicateType";
/// The layer annotation carrying the Rekor bundle (SET and entry) of a logged legacy signature.
pub const ANNOTATION_REKOR_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// The manifest annotation saying what a bundle referrer contains (`dsse-envelope`).
pub const ANNOTATION_BUNDLE_CONTENT: &str = "dev.sigstore.bundle.content";
/// The manifest annotation naming the predicate type of a bundle referrer.
pub const ANNOTATION_BUNDLE_PREDICATE_TYPE: &str = "dev.sigstore.bundle.predicateType";
/// Signature manifests never grow beyond this many layers (cosign reads at most 1000).
pub const MAX_SIGNATURE_LAYERS: usize = 1000;

/// A signature config blob is small; an existing one larger than this is refused.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// go-containerregistry's zero time, used in the configs of signature images.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Where signatures and attestations are written.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignatureFormat {
    /// `sha256-<hex>.sig` / `.att` tags (cosign 2, skopeo/podman, Kyverno `type: Cosign`).
    #[default]
    Legacy,
    /// A Sigstore bundle v0.3 pushed as an OCI 1.1 referrer (cosign 3's default).
    Bundle,
}

impl std::str::FromStr for SignatureFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s {
            "legacy" => Ok(SignatureFormat::Legacy),
            "bundle" => Ok(SignatureFormat::Bundle),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// A signature format name other than `legacy` and `bundle`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signature format {0:?} (legacy or bundle)")]
pub struct UnknownFormat(pub String);

impl boltseal_core::Classify for UnknownFormat {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

/// The builder methods [`SignOptions`] and [`AttestOptions`] share (`identity`'s documentation
/// differs).
macro_rules! shared_builders {
    ($identity_doc:literal) => {
        /// Chooses the layout: `.sig`/`.att` tag or bundle referrer.
        #[must_use]
        pub fn format(mut self, format: SignatureFormat) -> Self {
            self.format = format;
            self
        }

        /// Sets the `org.opencontainers.image.created` time of bundle referrers (instead of
        /// now).
        #[must_use]
        pub fn created(mut self, at: Timestamp) -> Self {
            self.created = Some(at);
            self
        }

        /// Uploads the signature to `log` and stores the verified entry with it: the
        /// `dev.sigstore.cosign/bundle` annotation (legacy; needs a Rekor v1 log) or the
        /// bundle's `tlogEntries`. Without it nothing is logged.
        #[must_use]
        pub fn transparency_log(mut self, log: Log) -> Self {
            self.transparency_log = Some(log);
            self
        }

        #[doc = $identity_doc]
        #[must_use]
        pub fn identity(mut self, identity: &str) -> Self {
            self.identity = Some(identity.to_owned());
            self
        }
    };
}

/// Options for [`sign_image`].
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct SignOptions {
    /// The layout to write.
    pub format: SignatureFormat,
    /// `-a key=value` annotations: the payload's `optional` section (legacy) or the statement
    /// subject's annotations (bundle).
    pub annotations: BTreeMap<String, String>,
    /// The `org.opencontainers.image.created` value of bundle referrers; now when unset.
    pub created: Option<Timestamp>,
    /// The signing identity of [`crate::sign_image_at`] and [`crate::blocking::sign_image`]
    /// (`docker-reference`); [`crate::signing_identity`] of the location when unset.
    pub identity: Option<String>,
    /// The transparency log the signature is written to; none when unset.
    pub transparency_log: Option<Log>,
}

impl SignOptions {
    /// Legacy layout, no annotations.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an annotation (a later value for the same key replaces the earlier one).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    shared_builders!("Signs as `identity` (`registry/repository[:tag]`) when signing a location.");
}

/// Options for [`attest_image`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AttestOptions {
    /// The layout to write.
    pub format: SignatureFormat,
    /// The predicate type URI.
    pub predicate_type: String,
    /// The predicate.
    pub predicate: Value,
    /// The `org.opencontainers.image.created` value of bundle referrers; now when unset.
    pub created: Option<Timestamp>,
    /// The statement's subject name when attesting a location ([`crate::attest_image_at`]);
    /// [`crate::signing_identity`] of the location when unset.
    pub identity: Option<String>,
    /// The transparency log the attestation is written to; none when unset.
    pub transparency_log: Option<Log>,
}

impl AttestOptions {
    /// An attestation of `predicate` with `predicate_type`, in the legacy layout.
    #[must_use]
    pub fn new(predicate_type: &str, predicate: Value) -> Self {
        AttestOptions {
            format: SignatureFormat::Legacy,
            predicate_type: predicate_type.to_owned(),
            predicate,
            created: None,
            identity: None,
            transparency_log: None,
        }
    }

    /// An attestation whose predicate is a JSON file's content and whose type is a cosign
    /// `--type` name (`spdxjson`, `cyclonedx`, `slsaprovenance1`, …) or a URI.
    ///
    /// # Errors
    /// [`Error::Predicate`] for an unknown type or a file that is not JSON.
    pub fn from_file_content(type_arg: &str, content: &[u8]) -> Result<Self, Error> {
        let predicate_type =
            predicate::predicate_type_for(type_arg).map_err(|e| Error::Predicate {
                reason: e.to_string(),
            })?;
        let predicate = if type_arg == "spdx" {
            // cosign embeds SPDX tag-value documents as a JSON string.
            Value::String(String::from_utf8_lossy(content).into_owned())
        } else {
            serde_json::from_slice(content).map_err(|e| Error::Predicate {
                reason: format!("not JSON: {e}"),
            })?
        };
        Ok(Self::new(&predicate_type, predicate))
    }

    shared_builders!("Names the subject `identity` (a repository) when attesting a location.");
}

/// What a signing or attesting operation wrote.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Signed {
    /// The digest that was signed (the tag resolved once).
    pub digest: Digest,
    /// Where the signature is: the `.sig`/`.att` tag, or the referrer manifest's digest.
    pub location: String,
    /// The descriptor of the signature manifest written.
    pub manifest: Descriptor,
    /// The signed payload (simple-signing JSON, or the in-toto statement).
    pub payload: Vec<u8>,
    /// The DER signature.
    pub signature: Vec<u8>,
    /// `false` when an identical signature was already present and nothing was written.
    pub appended: bool,
}

/// The cosign tag for `digest` with `suffix` (`sig`, `att`, `sbom`): `sha256-<hex>.<suffix>`.
#[must_use]
pub fn signature_tag(digest: &Digest, suffix: &str) -> String {
    format!("{}.{suffix}", boltseal_oci::referrers_tag(digest))
}

fn check_identity(identity: &str) -> Result<Reference, Error> {
    Reference::parse(identity).map_err(|e| Error::Identity {
        identity: identity.to_owned(),
        reason: e.to_string(),
    })
}

/// Signs the image `reference` names in `store` as `identity` (the `docker-reference` of the
/// payload: `registry/repository[:tag]`).
///
/// # Errors
/// Store errors, signer errors, an invalid identity, or an existing signature manifest that
/// cannot be extended.
pub async fn sign_image<S: Store>(
    store: &S,
    reference: &ManifestRef,
    identity: &str,
    signer: &dyn Signer,
    options: &SignOptions,
) -> Result<Signed, Error> {
    check_identity(identity)?;
    let image = store.resolve(reference).await?;
    match options.format {
        SignatureFormat::Legacy => {
            let mut payload = SimpleSigning::new(identity, image.digest);
            for (k, v) in &options.annotations {
                payload = payload.with_annotation(k, v);
            }
            let payload = payload.to_bytes();
            let signature = signer.sign(&payload)?;
            let mut layer = Descriptor::of_bytes(media_type::COSIGN_SIMPLE_SIGNING, &payload)
                .with_annotation(ANNOTATION_SIGNATURE, b64(&signature));
            if let Some(log) = &options.transparency_log {
                let key = signer.public_key();
                let entry = log
                    .log_message(&Digest::sha256_of(&payload), &signature, &key)
                    .await?;
                layer = layer.with_annotation(
                    ANNOTATION_REKOR_BUNDLE,
                    rekor_bundle_annotation(&entry, log)?,
                );
            }
            let tag = signature_tag(&image.digest, "sig");
            let (manifest, appended) = append_layer(store, &tag, layer, &payload).await?;
            Ok(Signed {
                digest: image.digest,
                location: tag,
                manifest,
                payload,
                signature,
                appended,
            })
        }
        SignatureFormat::Bundle => {
            let mut statement =
                Statement::for_image(&image.digest, predicate::COSIGN_SIGN_V1, json!({}));
            if let Some(subject) = statement.subject.first_mut() {
                for (k, v) in &options.annotations {
                    *subject = subject.clone().annotation(k.clone(), v.clone());
                }
            }
            let log = options.transparency_log.as_ref();
            bundle_referrer(store, &image, statement, signer, options.created, log).await
        }
    }
}

/// Attests the image `reference` names: an in-toto Statement v1 whose subject is the image
/// digest (named `identity` without tag or digest), wrapped in a DSSE envelope.
///
/// # Errors
/// As [`sign_image`].
pub async fn attest_image<S: Store>(
    store: &S,
    reference: &ManifestRef,
    identity: &str,
    signer: &dyn Signer,
    options: &AttestOptions,
) -> Result<Signed, Error> {
    let name = check_identity(identity)?.repository_name();
    let image = store.resolve(reference).await?;
    let statement = Statement::for_image(
        &image.digest,
        options.predicate_type.clone(),
        options.predicate.clone(),
    )
    .with_subject_name(&name);
    match options.format {
        SignatureFormat::Legacy => {
            let payload = statement.to_bytes();
            let envelope = dsse::Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, payload.clone());
            let signature = signer.sign(&envelope.pae())?;
            let envelope = envelope.with_signature(dsse::Signature::new("", signature.clone()));
            let bytes = envelope.to_bytes();
            let mut layer = Descriptor::of_bytes(media_type::DSSE_ENVELOPE, &bytes)
                .with_annotation(ANNOTATION_SIGNATURE, "")
                .with_annotation(ANNOTATION_PREDICATE_TYPE, options.predicate_type.clone());
            if let Some(log) = &options.transparency_log {
                let entry = log
                    .log_envelope(&envelope, &image.digest, &signer.public_key())
                    .await?;
                layer = layer.with_annotation(
                    ANNOTATION_REKOR_BUNDLE,
                    rekor_bundle_annotation(&entry, log)?,
                );
            }
            let tag = signature_tag(&image.digest, "att");
            let (manifest, appended) = append_layer(store, &tag, layer, &bytes).await?;
            Ok(Signed {
                digest: image.digest,
                location: tag,
                manifest,
                payload,
                signature,
                appended,
            })
        }
        SignatureFormat::Bundle => {
            let log = options.transparency_log.as_ref();
            bundle_referrer(store, &image, statement, signer, options.created, log).await
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn put_bytes<S: Store>(store: &S, desc: &Descriptor, bytes: &[u8]) -> Result<(), Error> {
    let reader = BlobReader::new(
        format!("blob {}", desc.digest),
        desc,
        Box::pin(std::io::Cursor::new(bytes.to_vec())),
    );
    store.put_blob(desc, reader).await?;
    Ok(())
}

/// Appends `layer` to the signature manifest under `tag`, keeping the layers already there.
async fn append_layer<S: Store>(
    store: &S,
    tag: &str,
    layer: Descriptor,
    layer_bytes: &[u8],
) -> Result<(Descriptor, bool), Error> {
    let existing_err = |reason: String| Error::ExistingSignatures {
        tag: tag.to_owned(),
        reason,
    };
    let (mut manifest, mut config) =
        match store.get_manifest(&ManifestRef::Tag(tag.to_owned())).await {
            Ok(raw) => {
                let Manifest::Image(m) = raw.parse()? else {
                    return Err(existing_err("it is an index, not an image manifest".into()));
                };
                if m.layers.contains(&layer) {
                    // The very same signature is already there (same payload, same signature).
                    return Ok((raw.descriptor(), false));
                }
                if m.layers.len() >= MAX_SIGNATURE_LAYERS {
                    return Err(existing_err(format!(
                        "it already has {} layers, the most a verifier reads",
                        m.layers.len()
                    )));
                }
                let config = store
                    .get_blob(&m.config)
                    .await?
                    .read_to_vec(MAX_CONFIG_BYTES)
                    .await?;
                let config: Value = serde_json::from_slice(&config)
                    .map_err(|e| existing_err(format!("config is not JSON: {e}")))?;
                if !config.is_object() {
                    return Err(existing_err("config is not a JSON object".into()));
                }
                (m, config)
            }
            Err(boltseal_oci::Error::NotFound { .. }) => {
                let empty = Descriptor::of_bytes(media_type::OCI_CONFIG, b"{}");
                (
                    ImageManifest::new(empty, Vec::new()),
                    json!({"architecture": "", "created": ZERO_TIME, "os": "", "config": {}}),
                )
            }
            Err(e) => return Err(e.into()),
        };
    manifest.layers.push(layer.clone());
    // The config lists every layer: `rootfs.diff_ids` (the payloads are uncompressed, so diff
    // id = digest) and one history entry each.
    let diff_ids: Vec<Value> = manifest
        .layers
        .iter()
        .map(|l| Value::String(l.digest.to_string()))
        .collect();
    let history: Vec<Value> = manifest
        .layers
        .iter()
        .map(|_| json!({"created": ZERO_TIME}))
        .collect();
    config["rootfs"] = json!({"type": "layers", "diff_ids": diff_ids});
    config["history"] = Value::Array(history);
    let config_bytes = serde_json::to_vec(&config)
        .map_err(|e| existing_err(format!("config cannot be written: {e}")))?;
    let config_media_type = manifest.config.media_type.clone();
    manifest.config = Descriptor::of_bytes(config_media_type, &config_bytes);
    put_bytes(store, &layer, layer_bytes).await?;
    put_bytes(store, &manifest.config, &config_bytes).await?;
    let raw = manifest.to_raw()?;
    store.put_manifest(&raw, Some(tag)).await?;
    Ok((raw.descriptor(), true))
}

/// Signs `statement` into a DSSE envelope inside a Sigstore bundle v0.3 and pushes it as an OCI
/// 1.1 referrer of `image`.
async fn bundle_referrer<S: Store>(
    store: &S,
    image: &Descriptor,
    statement: Statement,
    signer: &dyn Signer,
    created: Option<Timestamp>,
    log: Option<&Log>,
) -> Result<Signed, Error> {
    let payload = statement.to_bytes();
    let envelope = dsse::Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, payload.clone());
    let signature = signer.sign(&envelope.pae())?;
    let envelope = envelope.with_signature(dsse::Signature::new("", signature.clone()));
    let key = signer.public_key();
    let mut material = VerificationMaterial::public_key(key.hint());
    if let Some(log) = log {
        material =
            material.with_tlog_entry(log.log_envelope(&envelope, &image.digest, &key).await?);
    }
    let bundle = Bundle::new(material, Content::DsseEnvelope(envelope));
    let manifest = attach_bundle(
        store,
        image,
        &bundle.to_bytes(),
        &statement.predicate_type,
        created,
    )
    .await?;
    Ok(Signed {
        digest: image.digest,
        location: manifest.digest.to_string(),
        manifest,
        payload,
        signature,
        appended: true,
    })
}

/// Pushes `bundle` (the JSON of a Sigstore bundle v0.3 holding a DSSE envelope) as an OCI 1.1
/// referrer of `image`, the way cosign 3 stores it: an empty config, the bundle as the one
/// layer, `artifactType` and the `dev.sigstore.bundle.*` annotations, `created` (now when
/// `None`) in `org.opencontainers.image.created`. Returns the referrer manifest's descriptor.
/// The bundle is stored as given, not checked.
///
/// # Errors
/// Store errors.
pub async fn attach_bundle<S: Store>(
    store: &S,
    image: &Descriptor,
    bundle: &[u8],
    predicate_type: &str,
    created: Option<Timestamp>,
) -> Result<Descriptor, Error> {
    let empty = Descriptor::of_bytes(media_type::OCI_EMPTY, b"{}");
    put_bytes(store, &empty, b"{}").await?;
    let layer = Descriptor::of_bytes(media_type::SIGSTORE_BUNDLE_V03, bundle);
    put_bytes(store, &layer, bundle).await?;
    let mut manifest = ImageManifest::new(empty, vec![layer]);
    manifest.artifact_type = Some(media_type::SIGSTORE_BUNDLE_V03.to_owned());
    manifest.subject = Some(Descriptor::new(
        image.media_type.clone(),
        image.digest,
        image.size,
    ));
    let created = created.map_or_else(now_rfc3339, Timestamp::to_rfc3339);
    for (key, value) in [
        ("org.opencontainers.image.created", created.as_str()),
        (ANNOTATION_BUNDLE_CONTENT, "dsse-envelope"),
        (ANNOTATION_BUNDLE_PREDICATE_TYPE, predicate_type),
    ] {
        manifest
            .annotations
            .insert(key.to_owned(), value.to_owned());
    }
    let raw = manifest.to_raw()?;
    store.put_manifest(&raw, None).await?;
    Ok(raw.descriptor())
}

/// The current time as RFC 3339 UTC with whole seconds (`2026-11-27T07:09:56Z`): what
/// `created` annotations hold when no time is given. The same as
/// `boltseal_core::Timestamp::now().to_rfc3339_seconds()`.
#[must_use]
pub fn now_rfc3339() -> String {
    Timestamp::now().to_rfc3339_seconds()
}
