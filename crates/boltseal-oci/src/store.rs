//! The [`Store`] trait and the verified blob reader every backend hands out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use boltseal_reference::{Digest, Digester};
use tokio::io::{AsyncRead, ReadBuf};

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, RawManifest};

/// A tag or a digest: how a manifest is named inside one repository.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ManifestRef {
    /// A tag, such as `v1` (may move; resolve it once, then use the digest).
    Tag(String),
    /// A digest (immutable).
    Digest(Digest),
}

impl ManifestRef {
    /// What `reference` names inside its repository: its digest when it has one (a digest wins
    /// over a tag), else its tag, else `latest`.
    #[must_use]
    pub fn of(reference: &boltseal_reference::Reference) -> Self {
        match (reference.digest(), reference.tag()) {
            (Some(d), _) => ManifestRef::Digest(*d),
            (None, Some(t)) => ManifestRef::Tag(t.to_owned()),
            (None, None) => ManifestRef::Tag("latest".to_owned()),
        }
    }

    /// The digest, when this names one.
    #[must_use]
    pub fn as_digest(&self) -> Option<&Digest> {
        match self {
            ManifestRef::Digest(d) => Some(d),
            ManifestRef::Tag(_) => None,
        }
    }
}

impl fmt::Display for ManifestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestRef::Tag(t) => write!(f, "tag {t}"),
            ManifestRef::Digest(d) => write!(f, "{d}"),
        }
    }
}

impl From<Digest> for ManifestRef {
    fn from(d: Digest) -> Self {
        ManifestRef::Digest(d)
    }
}

/// The tag under which the referrers tag schema (OCI 1.1 distribution spec) keeps the referrers
/// index of `subject`: `<alg>-<hex>`.
#[must_use]
pub fn referrers_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm(), subject.encoded())
}

/// The referrers found, each listed once (first seen wins), of `artifact_type` when given.
pub(crate) fn select_referrers(
    mut found: Vec<crate::Descriptor>,
    artifact_type: Option<&str>,
) -> Vec<crate::Descriptor> {
    let mut seen = std::collections::HashSet::new();
    found.retain(|d| {
        seen.insert(d.digest) && artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t))
    });
    found
}

/// A streamed blob whose bytes are counted and hashed while they are read.
///
/// Reading fails with [`Error::TooLarge`]-style I/O errors as soon as more bytes arrive than the
/// descriptor announced, and at end of stream when the size or the digest differ. A caller that
/// reads to the end has therefore read exactly the content the descriptor names. A reader that
/// failed keeps failing, so a caller that retries never sees a clean end. The error inside
/// the `std::io::Error` is a [`crate::Error`] (use [`BlobReader::into_store_error`]).
pub struct BlobReader {
    inner: Pin<Box<dyn AsyncRead + Send>>,
    what: String,
    expected: Digest,
    size: u64,
    digester: Option<Digester>,
    seen: u64,
    done: bool,
    failed: Option<Error>,
}

impl fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobReader")
            .field("what", &self.what)
            .field("expected", &self.expected)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    /// Wraps `inner`, which must yield exactly the content of `descriptor`.
    pub fn new(
        what: impl Into<String>,
        descriptor: &Descriptor,
        inner: Pin<Box<dyn AsyncRead + Send>>,
    ) -> Self {
        BlobReader {
            inner,
            what: what.into(),
            expected: descriptor.digest,
            size: descriptor.size,
            digester: Some(descriptor.digest.digester()),
            seen: 0,
            done: false,
            failed: None,
        }
    }

    /// The size announced by the descriptor.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest the content must have.
    #[must_use]
    pub fn digest(&self) -> &Digest {
        &self.expected
    }

    /// Reads the whole blob into memory, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// [`Error::TooLarge`] when the descriptor announces more than `limit`; any verification error.
    pub async fn read_to_vec(mut self, limit: u64) -> Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        if self.size > limit {
            return Err(Error::TooLarge {
                what: self.what.clone(),
                limit,
            });
        }
        let mut out = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        match self.read_to_end(&mut out).await {
            Ok(_) => Ok(out),
            Err(e) => Err(Self::into_store_error(e, &self.what)),
        }
    }

    /// Turns an I/O error produced by a `BlobReader` back into the store error it carries.
    #[must_use]
    pub fn into_store_error(e: std::io::Error, what: &str) -> Error {
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            match e.into_inner().map(|b| b.downcast::<Error>()) {
                Some(Ok(err)) => *err,
                Some(Err(other)) => Error::io(what, std::io::Error::other(other)),
                None => Error::io(what, std::io::Error::other("blob read failed")),
            }
        } else {
            Error::io(what, e)
        }
    }

    fn fail(&mut self, err: Error) -> Poll<std::io::Result<()>> {
        self.done = true;
        self.failed = Some(again(&err));
        Poll::Ready(Err(std::io::Error::other(err)))
    }
}

impl BlobReader {
    /// Compares the finished digest; called exactly when `size` bytes have been seen.
    fn verify_complete(&mut self) -> Result<()> {
        let Some(digester) = self.digester.take() else {
            return Ok(());
        };
        let actual = digester.finalize();
        if actual != self.expected {
            return Err(Error::DigestMismatch {
                what: self.what.clone(),
                expected: Box::new(self.expected),
                actual: Box::new(actual),
            });
        }
        Ok(())
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(err) = &self.failed {
            return Poll::Ready(Err(std::io::Error::other(again(err))));
        }
        // An empty buffer reads nothing; it must not be taken for the end of the stream.
        if self.done || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(self.inner.as_mut().poll_read(cx, buf))?;
        let this = &mut *self;
        let new_len = (buf.filled().len() - before) as u64;
        let seen = this.seen;
        if new_len == 0 {
            // End of stream. The digest was checked when the last announced byte arrived;
            // reaching the end before that means the content is short (or empty).
            if seen == this.size
                && let Err(e) = this.verify_complete()
            {
                return this.fail(e);
            }
            if this.digester.is_some() || seen != this.size {
                let err = Error::SizeMismatch {
                    what: this.what.clone(),
                    expected: this.size,
                    actual: seen,
                };
                return this.fail(err);
            }
            this.done = true;
            return Poll::Ready(Ok(()));
        }
        if seen + new_len > this.size {
            let err = Error::SizeMismatch {
                what: this.what.clone(),
                expected: this.size,
                actual: seen + new_len,
            };
            // Do not hand out bytes beyond the announced size.
            buf.set_filled(before);
            return this.fail(err);
        }
        if let Some(d) = this.digester.as_mut() {
            d.update(&buf.filled()[before..]);
        }
        this.seen = seen + new_len;
        // Check the digest as soon as the last byte arrives, before handing it out, so that a
        // consumer (an upload, a file) never receives complete but wrong content.
        if this.seen == this.size
            && let Err(e) = this.verify_complete()
        {
            buf.set_filled(before);
            return this.fail(e);
        }
        Poll::Ready(Ok(()))
    }
}

/// The same integrity error once more, for every read after a failure.
fn again(err: &Error) -> Error {
    match err {
        Error::SizeMismatch {
            what,
            expected,
            actual,
        } => Error::SizeMismatch {
            what: what.clone(),
            expected: *expected,
            actual: *actual,
        },
        Error::DigestMismatch {
            what,
            expected,
            actual,
        } => Error::DigestMismatch {
            what: what.clone(),
            expected: expected.clone(),
            actual: actual.clone(),
        },
        other => Error::io(
            other.to_string(),
            std::io::Error::other("blob read failed before"),
        ),
    }
}

/// Where a blob can be mounted from without transferring it (same registry, other repository).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSource {
    /// The registry host (and port).
    pub registry: String,
    /// The repository holding the blob.
    pub repository: String,
}

/// An artifact store: one repository of a registry, or one OCI image layout directory.
///
/// Every method checks what it reads: manifests against their digest, media type and the
/// [`MAX_MANIFEST_BYTES`](crate::MAX_MANIFEST_BYTES) limit; blobs against their descriptor's
/// size and digest (see [`BlobReader`]). Writes are verified before they become visible.
pub trait Store: Send + Sync {
    /// A human-readable name of the store for messages (`oci:DIR` or `host/repo`).
    fn name(&self) -> String;

    /// Resolves a tag or digest to the descriptor of a manifest or index.
    fn resolve(&self, reference: &ManifestRef) -> impl Future<Output = Result<Descriptor>> + Send;

    /// Fetches a manifest or index. When `reference` is a digest the bytes are checked against it.
    fn get_manifest(
        &self,
        reference: &ManifestRef,
    ) -> impl Future<Output = Result<RawManifest>> + Send;

    /// Stores a manifest or index (its blobs must already be present), optionally tagging it.
    /// A manifest with a `subject` is also made findable through [`Store::referrers`].
    fn put_manifest(
        &self,
        manifest: &RawManifest,
        tag: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Whether the blob is present.
    fn blob_exists(&self, digest: &Digest) -> impl Future<Output = Result<bool>> + Send;

    /// Streams a blob, verified against `descriptor` while it is read.
    fn get_blob(&self, descriptor: &Descriptor) -> impl Future<Output = Result<BlobReader>> + Send;

    /// Stores a blob from `data`, which must yield exactly the content of `descriptor`.
    fn put_blob(
        &self,
        descriptor: &Descriptor,
        data: BlobReader,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Lists the tags.
    fn list_tags(&self) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Lists manifests whose `subject` is `subject`, optionally only of one artifact type.
    fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Descriptor>>> + Send;

    /// Deletes a manifest by digest (and every tag pointing at it).
    fn delete(&self, digest: &Digest) -> impl Future<Output = Result<()>> + Send;

    /// Where blobs of this store can be mounted from, when the backend supports it.
    fn mount_source(&self) -> Option<MountSource> {
        None
    }

    /// Makes a blob present by mounting it from `source` without a transfer. Returns `false` when
    /// the backend or the registry cannot, in which case the caller copies the blob.
    fn try_mount(
        &self,
        _descriptor: &Descriptor,
        _source: &MountSource,
    ) -> impl Future<Output = Result<bool>> + Send {
        std::future::ready(Ok(false))
    }
}
