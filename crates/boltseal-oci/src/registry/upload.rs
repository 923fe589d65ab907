//! Writing: manifests (and the referrers tag schema they may need), blob uploads (monolithic,
//! streamed, within a deadline that grows with the size), cross-repository mounts, deletes.

use boltseal_reference::Digest;
use futures_util::TryStreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};

use super::transport::{drain, header_digest};
use super::{Op, RegistryStore};
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, RawManifest};
use crate::store::{BlobReader, ManifestRef, MountSource, Store};

/// Blob uploads are streamed in chunks of this size.
const UPLOAD_CHUNK: usize = 256 * 1024;

impl RegistryStore {
    pub(super) async fn put_manifest_bytes(
        &self,
        manifest: &RawManifest,
        reference: &ManifestRef,
    ) -> Result<reqwest::Response> {
        let url = self.manifest_url(reference)?;
        let content_type = HeaderValue::from_str(manifest.media_type()).map_err(|_| {
            Error::UnsupportedMediaType {
                what: manifest.digest().to_string(),
                media_type: manifest.media_type().to_owned(),
            }
        })?;
        let body = manifest.bytes().clone();
        let resp = self
            .send(Method::PUT, &url, Op::Push { mount_from: None }, |r| {
                r.header(CONTENT_TYPE, content_type.clone())
                    .body(body.clone())
            })
            .await?;
        if resp.status() != StatusCode::CREATED && !resp.status().is_success() {
            return Err(self
                .fail(
                    "PUT",
                    &url,
                    resp,
                    &format!("manifest {}", manifest.digest()),
                )
                .await);
        }
        if let Some(d) = header_digest(&resp)?
            && d != *manifest.digest()
        {
            return Err(Error::DigestMismatch {
                what: format!("manifest pushed to {}", self.name()),
                expected: Box::new(*manifest.digest()),
                actual: Box::new(d),
            });
        }
        Ok(resp)
    }

    pub(super) async fn push_manifest(
        &self,
        manifest: &RawManifest,
        tag: Option<&str>,
    ) -> Result<()> {
        self.within(
            || format!("PUT manifest {} in {}", manifest.digest(), self.name()),
            async {
                let parsed = manifest.parse()?;
                let reference = match tag {
                    Some(t) => ManifestRef::Tag(t.to_owned()),
                    None => ManifestRef::Digest(*manifest.digest()),
                };
                let resp = self.put_manifest_bytes(manifest, &reference).await?;
                let registry_indexed = resp.headers().contains_key("oci-subject");
                drain(resp).await;
                if let Some(subject) = parsed.subject()
                    && !registry_indexed
                {
                    let mut d = manifest.descriptor();
                    d.artifact_type = parsed.artifact_type().map(str::to_owned);
                    d.annotations = parsed.annotations().clone();
                    self.add_to_referrers_tag(&subject.digest, d).await?;
                }
                Ok(())
            },
        )
        .await
    }

    pub(super) async fn upload_blob(
        &self,
        descriptor: &Descriptor,
        data: BlobReader,
    ) -> Result<()> {
        if data.digest() != &descriptor.digest || data.size() != descriptor.size {
            return Err(Error::DigestMismatch {
                what: format!("blob {}", descriptor.digest),
                expected: Box::new(descriptor.digest),
                actual: Box::new(*data.digest()),
            });
        }
        if self.blob_exists(&descriptor.digest).await? {
            return Ok(());
        }
        let start = self.url("blobs/uploads/")?;
        let resp = self
            .send(Method::POST, &start, Op::Push { mount_from: None }, |r| {
                r.header(CONTENT_LENGTH, 0)
            })
            .await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.fail("POST", &start, resp, "blob upload").await);
        }
        let mut location = upload_location(&start, &resp)?;
        drain(resp).await;
        location
            .query_pairs_mut()
            .append_pair("digest", descriptor.digest.as_str());
        let size = descriptor.size;
        // Keep the source's own verification error, should the stream fail mid-upload.
        let failure: std::sync::Arc<std::sync::Mutex<Option<Error>>> = Default::default();
        let slot = failure.clone();
        let what = format!("blob {}", descriptor.digest);
        let stream =
            tokio_util::io::ReaderStream::with_capacity(data, UPLOAD_CHUNK).map_err(move |e| {
                let err = BlobReader::into_store_error(e, &what);
                let msg = err.to_string();
                if let Ok(mut s) = slot.lock() {
                    *s = Some(err);
                }
                std::io::Error::other(msg)
            });
        let body = reqwest::Body::wrap_stream(stream);
        let mut req = self
            .http
            .put(location.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, size)
            .body(body);
        if self.same_origin(&location)
            && let Some(h) = &self.auth.lock().await.header
        {
            req = req.header(AUTHORIZATION, h.clone());
        }
        // The upload, at the minimum rate, within the request deadline plus its size's worth.
        crate::counting::record();
        let sent = match self.upload_deadline(size) {
            Some(limit) => match tokio::time::timeout(limit, req.send()).await {
                Ok(sent) => sent,
                Err(_) => {
                    return Err(Error::TimedOut {
                        what: format!("upload of blob {} to {}", descriptor.digest, self.name()),
                        limit,
                        option: "RegistryOptions::request_timeout and min_blob_rate",
                    });
                }
            },
            None => req.send().await,
        };
        if let Some(err) = failure.lock().ok().and_then(|mut s| s.take()) {
            return Err(err);
        }
        let resp = sent.map_err(|e| Error::Http {
            url: location.to_string(),
            source: e,
        })?;
        if resp.status() != StatusCode::CREATED && !resp.status().is_success() {
            return Err(self
                .within(
                    || format!("error body of the upload of blob {}", descriptor.digest),
                    async { Ok(self.fail("PUT", &location, resp, "blob upload").await) },
                )
                .await
                .unwrap_or_else(|e| e));
        }
        let _ = tokio::time::timeout(self.limits.request_timeout, drain(resp)).await;
        Ok(())
    }

    pub(super) async fn delete_manifest(&self, digest: &Digest) -> Result<()> {
        self.within(
            || format!("DELETE manifest {digest} in {}", self.name()),
            async {
                let url = self.url(&format!("manifests/{digest}"))?;
                let resp = self
                    .send(Method::DELETE, &url, Op::Push { mount_from: None }, |r| r)
                    .await?;
                if !resp.status().is_success() {
                    return Err(self.fail("DELETE", &url, resp, digest.as_str()).await);
                }
                drain(resp).await;
                Ok(())
            },
        )
        .await
    }

    pub(super) async fn mount_blob(
        &self,
        descriptor: &Descriptor,
        source: &MountSource,
    ) -> Result<bool> {
        self.within(
            || format!("mount of blob {} in {}", descriptor.digest, self.name()),
            async {
                if source.registry != self.registry || source.repository == self.repository {
                    return Ok(false);
                }
                let mut url = self.url("blobs/uploads/")?;
                url.query_pairs_mut()
                    .append_pair("mount", descriptor.digest.as_str())
                    .append_pair("from", &source.repository);
                let op = Op::Push {
                    mount_from: Some(source.repository.clone()),
                };
                let resp = self
                    .send(Method::POST, &url, op, |r| r.header(CONTENT_LENGTH, 0))
                    .await?;
                match resp.status() {
                    StatusCode::CREATED => {
                        drain(resp).await;
                        Ok(true)
                    }
                    StatusCode::ACCEPTED => {
                        // The registry opened an ordinary upload instead; cancel it.
                        if let Ok(location) = upload_location(&url, &resp) {
                            drain(resp).await;
                            if let Ok(r) = self
                                .send(
                                    Method::DELETE,
                                    &location,
                                    Op::Push { mount_from: None },
                                    |r| r,
                                )
                                .await
                            {
                                drain(r).await;
                            }
                        }
                        Ok(false)
                    }
                    _ => Err(self.fail("POST", &url, resp, "blob mount").await),
                }
            },
        )
        .await
    }
}

fn upload_location(base: &Url, resp: &reqwest::Response) -> Result<Url> {
    let loc = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Registry {
            method: "POST".into(),
            url: base.to_string(),
            status: resp.status().as_u16(),
            message: "upload started without a Location header".into(),
        })?;
    base.join(loc).map_err(|e| Error::InvalidLocation {
        input: loc.to_owned(),
        reason: e.to_string(),
    })
}
