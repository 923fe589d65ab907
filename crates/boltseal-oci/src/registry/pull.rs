//! Reading: manifests (HEAD for a descriptor, GET checked against the digest asked for or
//! announced) and blobs (streamed at no less than the minimum rate).

use boltseal_reference::{Digest, media_type};
use futures_util::TryStreamExt;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, StatusCode};

use super::transport::{RateFloor, header_digest, manifest_accept, read_bounded};
use super::{Op, RegistryStore};
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, MAX_MANIFEST_BYTES, RawManifest};
use crate::store::{BlobReader, ManifestRef, Store};

impl RegistryStore {
    pub(super) async fn head_manifest(&self, reference: &ManifestRef) -> Result<Descriptor> {
        self.within(
            || format!("HEAD manifest {reference} in {}", self.name()),
            async {
                let url = self.manifest_url(reference)?;
                let resp = self
                    .send(Method::HEAD, &url, Op::Pull, |r| {
                        r.header(ACCEPT, manifest_accept())
                    })
                    .await?;
                if !resp.status().is_success() {
                    return Err(self.fail("HEAD", &url, resp, &reference.to_string()).await);
                }
                let digest = header_digest(&resp)?;
                let media = resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned());
                // A HEAD response has no body: read the announced length from the header itself.
                let size = resp
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                match (digest, media, size) {
                    (Some(d), Some(m), Some(size))
                        if (media_type::is_manifest(&m) || media_type::is_index(&m))
                            && reference.as_digest().is_none_or(|want| *want == d) =>
                    {
                        if size > MAX_MANIFEST_BYTES {
                            return Err(Error::TooLarge {
                                what: format!("manifest {d} in {}", self.name()),
                                limit: MAX_MANIFEST_BYTES,
                            });
                        }
                        Ok(Descriptor::new(m, d, size))
                    }
                    // Headers missing or unhelpful: fetch and compute.
                    _ => Ok(self.get_manifest(reference).await?.descriptor()),
                }
            },
        )
        .await
    }

    pub(super) async fn fetch_manifest(&self, reference: &ManifestRef) -> Result<RawManifest> {
        self.within(
            || format!("GET manifest {reference} in {}", self.name()),
            async {
                let url = self.manifest_url(reference)?;
                let mut resp = self
                    .send(Method::GET, &url, Op::Pull, |r| {
                        r.header(ACCEPT, manifest_accept())
                    })
                    .await?;
                if !resp.status().is_success() {
                    return Err(self.fail("GET", &url, resp, &reference.to_string()).await);
                }
                let announced = resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let header = header_digest(&resp)?;
                let what = format!("manifest {reference} in {}", self.name());
                let body = read_bounded(&mut resp, MAX_MANIFEST_BYTES, &what).await?;
                // By digest: the bytes must hash to it. By tag: to the digest the registry announced.
                let expected = reference.as_digest().copied().or(header);
                RawManifest::from_untrusted(&what, body, announced.as_deref(), expected.as_ref())
            },
        )
        .await
    }

    pub(super) async fn head_blob(&self, digest: &Digest) -> Result<bool> {
        self.within(|| format!("HEAD blob {digest} in {}", self.name()), async {
            let url = self.url(&format!("blobs/{digest}"))?;
            let resp = self.send(Method::HEAD, &url, Op::Pull, |r| r).await?;
            match resp.status() {
                s if s.is_success() => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                _ => Err(self.fail("HEAD", &url, resp, digest.as_str()).await),
            }
        })
        .await
    }

    pub(super) async fn fetch_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        let url = self.url(&format!("blobs/{}", descriptor.digest))?;
        let what = format!("blob {} from {}", descriptor.digest, self.name());
        // The answer's head (or its error body) within the request deadline; the content then
        // at no less than the minimum rate.
        let resp = self
            .within(|| format!("GET {what}"), async {
                let resp = self.send(Method::GET, &url, Op::Pull, |r| r).await?;
                if !resp.status().is_success() {
                    return Err(self
                        .fail("GET", &url, resp, &format!("blob {}", descriptor.digest))
                        .await);
                }
                Ok(resp)
            })
            .await?;
        if let Some(len) = resp.content_length()
            && len != descriptor.size
        {
            return Err(Error::SizeMismatch {
                what,
                expected: descriptor.size,
                actual: len,
            });
        }
        // A body cut short is a transfer failure, not a local I/O error. Name the registry URL,
        // not a redirect target's (which may carry a signature in its query).
        let stream = resp.bytes_stream().map_err(move |e| {
            std::io::Error::other(Error::Http {
                url: url.to_string(),
                source: e.without_url(),
            })
        });
        let stream = RateFloor::new(
            Box::pin(stream),
            what.clone(),
            self.limits.min_blob_rate,
            self.limits.blob_rate_window,
        );
        let reader = tokio_util::io::StreamReader::new(stream);
        Ok(BlobReader::new(what, descriptor, Box::pin(reader)))
    }
}
