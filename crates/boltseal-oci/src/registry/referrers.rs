//! Referrers: the OCI referrers API where the registry serves it, else the referrers tag
//! schema (`sha256-<hex>`), which [`RegistryStore`] also maintains when it pushes a manifest
//! with a `subject` to a registry that does not index it. What a registry was found to
//! support is shared by the stores of one pool.

#[cfg(test)]
use std::sync::Arc;
#[cfg(test)]
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering;

use boltseal_reference::{Digest, media_type};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};

use super::transport::{drain, read_bounded};
use super::{Op, REFERRERS_ABSENT, REFERRERS_SUPPORTED, RegistryStore};
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, ImageIndex, MAX_MANIFEST_BYTES, Manifest};
use crate::store::{ManifestRef, Store, referrers_tag};

impl RegistryStore {
    #[cfg(test)]
    pub(crate) fn referrers_flag(&self) -> Arc<AtomicU8> {
        Arc::clone(&self.referrers_api)
    }

    /// Whether the registry is known to serve the referrers API: `None` until a referrers
    /// lookup told; `Some(false)` once it answered "no such API", after which referrers are
    /// read from the tag schema directly.
    #[must_use]
    pub fn referrers_api(&self) -> Option<bool> {
        match self.referrers_api.load(Ordering::Relaxed) {
            REFERRERS_SUPPORTED => Some(true),
            REFERRERS_ABSENT => Some(false),
            _ => None,
        }
    }

    /// The referrers API's answer: `None` when the registry has none (or does not route it).
    async fn referrers_from_api(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Vec<Descriptor>>> {
        let mut url = self.url(&format!("referrers/{subject}"))?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        let mut resp = self
            .send(Method::GET, &url, Op::Pull, |r| {
                r.header(ACCEPT, media_type::OCI_INDEX)
            })
            .await?;
        // Only "no referrers API" (404, or an endpoint the registry does not route: 400,
        // 405) falls back to the tag schema; a server error, a refusal or throttling is an
        // error, so that a registry fault is never reported as "no signatures".
        let status = resp.status();
        if status.is_server_error()
            || matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
            )
        {
            return Err(self.fail("GET", &url, resp, subject.as_str()).await);
        }
        let is_index = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with(media_type::OCI_INDEX));
        if status == StatusCode::OK && is_index {
            self.referrers_api
                .store(REFERRERS_SUPPORTED, Ordering::Relaxed);
            let what = format!("referrers of {subject} in {}", self.name());
            let body = read_bounded(&mut resp, MAX_MANIFEST_BYTES, &what).await?;
            let index: ImageIndex =
                serde_json::from_slice(&body).map_err(|e| Error::InvalidManifest {
                    what,
                    reason: e.to_string(),
                })?;
            Ok(Some(index.manifests))
        } else {
            // No referrers API (distribution 2.8 answers 404): the referrers tag schema.
            if matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST | StatusCode::METHOD_NOT_ALLOWED
            ) {
                self.referrers_api
                    .store(REFERRERS_ABSENT, Ordering::Relaxed);
            }
            drain(resp).await;
            Ok(None)
        }
    }

    /// The referrers of `subject` from the referrers tag schema (`sha256-<hex>`).
    async fn referrers_from_tag(&self, subject: &Digest) -> Result<Vec<Descriptor>> {
        match self
            .get_manifest(&ManifestRef::Tag(referrers_tag(subject)))
            .await
        {
            Ok(raw) => match raw.parse()? {
                Manifest::Index(i) => Ok(i.manifests),
                Manifest::Image(_) => Ok(Vec::new()),
            },
            Err(Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn find_referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        self.within(
            || format!("referrers of {subject} in {}", self.name()),
            async {
                // A registry that answered "no referrers API" once is not asked again: its referrers
                // are read from the tag schema directly (one request instead of two).
                // Until the registry has said whether it serves the referrers API, the API and the
                // tag schema are asked at the same time (one round trip either way); once known, only
                // the one that applies (one request).
                let found = match self.referrers_api.load(Ordering::Relaxed) {
                    REFERRERS_ABSENT => self.referrers_from_tag(subject).await?,
                    REFERRERS_SUPPORTED => {
                        match self.referrers_from_api(subject, artifact_type).await? {
                            Some(found) => found,
                            None => self.referrers_from_tag(subject).await?,
                        }
                    }
                    _ => {
                        let (api, tag) = futures_util::future::join(
                            self.referrers_from_api(subject, artifact_type),
                            self.referrers_from_tag(subject),
                        )
                        .await;
                        match api? {
                            Some(found) => found,
                            None => tag?,
                        }
                    }
                };
                Ok(crate::store::select_referrers(found, artifact_type))
            },
        )
        .await
    }

    /// Adds `descriptor` to the referrers tag-schema index of `subject`.
    pub(super) async fn add_to_referrers_tag(
        &self,
        subject: &Digest,
        descriptor: Descriptor,
    ) -> Result<()> {
        let tag = referrers_tag(subject);
        let mut index = match self.get_manifest(&ManifestRef::Tag(tag.clone())).await {
            Ok(raw) => match raw.parse()? {
                Manifest::Index(i) => i,
                Manifest::Image(_) => {
                    return Err(Error::InvalidManifest {
                        what: format!("{}:{tag}", self.name()),
                        reason: "referrers tag does not hold an index".to_owned(),
                    });
                }
            },
            Err(Error::NotFound { .. }) => ImageIndex::new(Vec::new()),
            Err(e) => return Err(e),
        };
        if index
            .manifests
            .iter()
            .any(|d| d.digest == descriptor.digest)
        {
            return Ok(());
        }
        index.manifests.push(descriptor);
        let raw = index.to_raw()?;
        self.put_manifest_bytes(&raw, &ManifestRef::Tag(tag))
            .await?;
        Ok(())
    }
}
