//! [`RegistryStore`]: one repository of a registry speaking the OCI distribution API.
//!
//! Every response body is read with a bound: manifests and indexes up to
//! [`MAX_MANIFEST_BYTES`], tag lists, tokens and error bodies up to small fixed limits, blobs up
//! to their descriptor's size. Credentials are only ever attached to requests for the registry's
//! own host and port (and to its token service), never to a redirect target elsewhere.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use boltseal_reference::{Digest, Reference, media_type};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, TryStreamExt};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};
use tokio::sync::Mutex;

use crate::auth::{Credential, parse_challenge};
use crate::error::{Error, Result, untrusted_text};
use crate::manifest::{Descriptor, ImageIndex, MAX_MANIFEST_BYTES, Manifest, RawManifest};
use crate::store::{BlobReader, ManifestRef, MountSource, Store, referrers_tag};

const MAX_TOKEN_BYTES: u64 = 1024 * 1024;
const MAX_ERROR_BYTES: u64 = 64 * 1024;
const MAX_REDIRECTS: usize = 5;
/// Blob uploads are streamed in chunks of this size.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// The `Accept` header for manifests: every manifest and index type boltseal reads.
/// Distribution answers 404 (not 406) for an OCI manifest when this lacks the OCI types.
fn manifest_accept() -> HeaderValue {
    HeaderValue::from_static(
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
         application/vnd.docker.distribution.manifest.v2+json, \
         application/vnd.docker.distribution.manifest.list.v2+json",
    )
}

/// Options for connecting to a registry.
///
/// A registry is untrusted: besides the size limits on every body, the options bound how long
/// it can hold a request ([`request_timeout`](Self::request_timeout),
/// [`min_blob_rate`](Self::min_blob_rate)) and how large a tag list it can make the client
/// collect ([`max_tags`](Self::max_tags), [`max_tag_list_bytes`](Self::max_tag_list_bytes),
/// [`max_tag_pages`](Self::max_tag_pages)). The defaults are sized for real registries.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Allow plain HTTP to hosts that are not loopback addresses.
    pub allow_http: bool,
    /// Credentials; `None` looks them up in the docker/podman credential files.
    pub credential: Option<Credential>,
    /// The deadline of each request for a small document — manifest, token, tag list page,
    /// referrers, error body, existence check — from sending it to the end of its body,
    /// token round trip included. Default [`Self::DEFAULT_REQUEST_TIMEOUT`] (60 s).
    pub request_timeout: Duration,
    /// The lowest transfer rate, in bytes per second, a blob download may fall to: a
    /// transfer that waits [`blob_rate_window`](Self::blob_rate_window) for the server while
    /// receiving fewer than `min_blob_rate × window` bytes fails with [`Error::TooSlow`]. An
    /// upload must finish within [`request_timeout`](Self::request_timeout) plus its size at
    /// this rate. `0` disables both. Default [`Self::DEFAULT_MIN_BLOB_RATE`] (10 KiB/s).
    pub min_blob_rate: u64,
    /// The window over which [`min_blob_rate`](Self::min_blob_rate) is measured. Default
    /// [`Self::DEFAULT_BLOB_RATE_WINDOW`] (60 s).
    pub blob_rate_window: Duration,
    /// The most tags a tag list may hold, over all its pages. Default
    /// [`Self::DEFAULT_MAX_TAGS`] (100,000).
    pub max_tags: usize,
    /// The most bytes of tag list read, over all its pages. Default
    /// [`Self::DEFAULT_MAX_TAG_LIST_BYTES`] (16 MiB).
    pub max_tag_list_bytes: u64,
    /// The most pages of a tag list followed. Default [`Self::DEFAULT_MAX_TAG_PAGES`] (1000).
    pub max_tag_pages: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            allow_http: false,
            credential: None,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            min_blob_rate: Self::DEFAULT_MIN_BLOB_RATE,
            blob_rate_window: Self::DEFAULT_BLOB_RATE_WINDOW,
            max_tags: Self::DEFAULT_MAX_TAGS,
            max_tag_list_bytes: Self::DEFAULT_MAX_TAG_LIST_BYTES,
            max_tag_pages: Self::DEFAULT_MAX_TAG_PAGES,
        }
    }
}

impl RegistryOptions {
    /// The default of [`request_timeout`](Self::request_timeout): 60 s.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default of [`min_blob_rate`](Self::min_blob_rate): 10 KiB/s.
    pub const DEFAULT_MIN_BLOB_RATE: u64 = 10 * 1024;
    /// The default of [`blob_rate_window`](Self::blob_rate_window): 60 s.
    pub const DEFAULT_BLOB_RATE_WINDOW: Duration = Duration::from_secs(60);
    /// The default of [`max_tags`](Self::max_tags): 100,000.
    pub const DEFAULT_MAX_TAGS: usize = 100_000;
    /// The default of [`max_tag_list_bytes`](Self::max_tag_list_bytes): 16 MiB.
    pub const DEFAULT_MAX_TAG_LIST_BYTES: u64 = 16 * 1024 * 1024;
    /// The default of [`max_tag_pages`](Self::max_tag_pages): 1000.
    pub const DEFAULT_MAX_TAG_PAGES: usize = 1000;

    /// Default options: HTTPS except for loopback hosts, credentials from the usual files,
    /// the default limits.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`min_blob_rate`](Self::min_blob_rate) (bytes per second, `0` for none) and
    /// [`blob_rate_window`](Self::blob_rate_window).
    #[must_use]
    pub fn min_blob_rate(mut self, bytes_per_second: u64, window: Duration) -> Self {
        self.min_blob_rate = bytes_per_second;
        self.blob_rate_window = window;
        self
    }

    /// Sets [`max_tags`](Self::max_tags), [`max_tag_list_bytes`](Self::max_tag_list_bytes)
    /// and [`max_tag_pages`](Self::max_tag_pages).
    #[must_use]
    pub fn tag_list_limits(mut self, tags: usize, bytes: u64, pages: usize) -> Self {
        self.max_tags = tags;
        self.max_tag_list_bytes = bytes;
        self.max_tag_pages = pages;
        self
    }

    /// Allows plain HTTP to non-loopback hosts.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Uses `credential` instead of looking one up.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }
}

/// The HTTP client every registry store uses: bounded connect and read timeouts, at most
/// [`MAX_REDIRECTS`] redirects, never from HTTPS down to plain HTTP, and plain HTTP elsewhere
/// than loopback only when `allow_http`.
pub(crate) fn http_client(allow_http: bool, reference: &Reference) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("boltseal/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            let to = attempt.url();
            let downgrade =
                to.scheme() == "http" && attempt.previous().iter().any(|u| u.scheme() == "https");
            let plain_elsewhere = to.scheme() == "http"
                && !allow_http
                && !to
                    .host_str()
                    .is_some_and(|h| is_loopback(h) || is_loopback(&format!("[{h}]")));
            if downgrade || plain_elsewhere {
                return attempt.error("refusing a redirect to plain HTTP");
            }
            // reqwest drops Authorization on a redirect to another host, port or scheme.
            attempt.follow()
        }))
        .build()
        .map_err(|e| Error::Http {
            url: reference.registry().to_owned(),
            source: e,
        })
}

/// Whether `registry` (`host[:port]`) is a loopback host: `localhost`, `127.0.0.0/8`, `[::1]`.
#[must_use]
pub fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        registry.split(':').next().unwrap_or(registry)
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The limits of [`RegistryOptions`] a store applies.
#[derive(Clone, Debug)]
struct Limits {
    request_timeout: Duration,
    min_blob_rate: u64,
    blob_rate_window: Duration,
    max_tags: usize,
    max_tag_list_bytes: u64,
    max_tag_pages: usize,
}

#[derive(Default)]
struct AuthState {
    header: Option<HeaderValue>,
    push: bool,
}

/// One repository of a registry, e.g. `127.0.0.1:5000/team/app`.
///
/// Loopback registries use plain HTTP, as docker does; other hosts use HTTPS unless
/// [`RegistryOptions::allow_http`] is set. Authentication follows the distribution token flow
/// (anonymous or with Basic credentials), or Basic auth when the registry asks for it.
pub struct RegistryStore {
    registry: String,
    repository: String,
    base: Url,
    origin: (String, Option<u16>),
    allow_http: bool,
    http: reqwest::Client,
    credential: Credential,
    auth: Mutex<AuthState>,
    limits: Limits,
    /// Whether the registry answers the referrers API, shared by the stores of one
    /// [`RegistryPool`] for the same registry.
    referrers_api: Arc<AtomicU8>,
}

/// [`RegistryStore::referrers_api`] states.
const REFERRERS_UNKNOWN: u8 = 0;
const REFERRERS_SUPPORTED: u8 = 1;
const REFERRERS_ABSENT: u8 = 2;

impl std::fmt::Debug for RegistryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryStore")
            .field("registry", &self.registry)
            .field("repository", &self.repository)
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

enum Op {
    Pull,
    Push { mount_from: Option<String> },
}

impl RegistryStore {
    /// Opens the repository named by `reference` (its tag and digest are ignored).
    ///
    /// # Errors
    /// [`Error::InsecureRegistry`] when plain HTTP would be needed but is not allowed;
    /// [`Error::Credentials`] when a credential file is unusable.
    pub fn new(reference: &Reference, options: RegistryOptions) -> Result<Self> {
        let http = http_client(options.allow_http, reference)?;
        Self::with_client(
            reference,
            options,
            http,
            Arc::new(AtomicU8::new(REFERRERS_UNKNOWN)),
        )
    }

    /// A store on an existing HTTP client (connections are pooled per client).
    pub(crate) fn with_client(
        reference: &Reference,
        options: RegistryOptions,
        http: reqwest::Client,
        referrers_api: Arc<AtomicU8>,
    ) -> Result<Self> {
        let registry = reference.registry().to_owned();
        // Docker Hub's API host.
        let api_host = if registry == "docker.io" {
            "registry-1.docker.io".to_owned()
        } else {
            registry.clone()
        };
        let plain = is_loopback(&registry) || options.allow_http;
        let scheme = if plain { "http" } else { "https" };
        let base = Url::parse(&format!(
            "{scheme}://{api_host}/v2/{}/",
            reference.repository()
        ))
        .map_err(|e| Error::InvalidLocation {
            input: reference.to_string(),
            reason: e.to_string(),
        })?;
        let origin = (
            base.host_str().unwrap_or_default().to_owned(),
            base.port_or_known_default(),
        );
        let limits = Limits {
            request_timeout: options.request_timeout,
            min_blob_rate: options.min_blob_rate,
            blob_rate_window: options.blob_rate_window,
            max_tags: options.max_tags,
            max_tag_list_bytes: options.max_tag_list_bytes,
            max_tag_pages: options.max_tag_pages,
        };
        let credential = match options.credential {
            Some(c) => c,
            None => crate::auth::credential_for(&registry, reference.repository())?,
        };
        Ok(RegistryStore {
            registry,
            repository: reference.repository().to_owned(),
            base,
            origin,
            allow_http: options.allow_http,
            http,
            credential,
            auth: Mutex::new(AuthState::default()),
            limits,
            referrers_api,
        })
    }

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

    /// The registry host and port as written in the reference.
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path.
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// Runs `request` (the requests for one small document, bodies read) within
    /// [`RegistryOptions::request_timeout`].
    async fn within<T>(
        &self,
        what: impl FnOnce() -> String,
        request: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let limit = self.limits.request_timeout;
        tokio::time::timeout(limit, request)
            .await
            .unwrap_or_else(|_| {
                Err(Error::TimedOut {
                    what: what(),
                    limit,
                    option: "RegistryOptions::request_timeout",
                })
            })
    }

    /// How long an upload of `size` bytes may take: the request deadline plus the size at the
    /// minimum blob rate; `None` without a minimum rate.
    fn upload_deadline(&self, size: u64) -> Option<Duration> {
        (self.limits.min_blob_rate > 0).then(|| {
            self.limits
                .request_timeout
                .saturating_add(Duration::from_secs(size / self.limits.min_blob_rate))
        })
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base.join(path).map_err(|e| Error::InvalidLocation {
            input: path.to_owned(),
            reason: e.to_string(),
        })
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.host_str() == Some(self.origin.0.as_str())
            && url.port_or_known_default() == self.origin.1
    }

    /// Sends a request built by `build`, authenticating and retrying once on 401.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        op: Op,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let need_push = matches!(op, Op::Push { .. });
        for attempt in 0..2 {
            let mut req = build(self.http.request(method.clone(), url.clone()));
            if self.same_origin(url) {
                let state = self.auth.lock().await;
                if let Some(h) = &state.header
                    && (state.push || !need_push || attempt > 0)
                {
                    req = req.header(AUTHORIZATION, h.clone());
                }
            }
            crate::counting::record();
            let resp = req.send().await.map_err(|e| Error::Http {
                url: url.to_string(),
                source: e,
            })?;
            // Only the registry itself may ask for credentials: a 401 from a redirect target
            // (another host) could name its own token realm and collect them.
            if resp.status() != StatusCode::UNAUTHORIZED
                || attempt > 0
                || !self.same_origin(url)
                || !self.same_origin(resp.url())
            {
                return Ok(resp);
            }
            let challenge = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned);
            drain(resp).await;
            let Some(challenge) = challenge else {
                return Err(Error::Unauthorized {
                    registry: self.registry.clone(),
                    reason: "401 without a WWW-Authenticate challenge".to_owned(),
                });
            };
            self.authenticate(&challenge, &op).await?;
        }
        Err(Error::Unauthorized {
            registry: self.registry.clone(),
            reason: format!("{method} {url} still unauthorized after authenticating"),
        })
    }

    async fn authenticate(&self, challenge: &str, op: &Op) -> Result<()> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let parsed = parse_challenge(challenge).ok_or_else(|| {
            unauthorized(format!(
                "unparseable challenge \"{}\"",
                untrusted_text(challenge)
            ))
        })?;
        let header = match parsed.scheme.as_str() {
            "basic" => match &self.credential {
                Credential::Basic { username, password } => basic_header(username, password)?,
                _ => {
                    return Err(unauthorized(
                        "the registry wants a user name and password; none configured".to_owned(),
                    ));
                }
            },
            "bearer" => {
                if let Credential::Bearer(token) = &self.credential {
                    bearer_header(token)?
                } else {
                    let token = self.fetch_token(&parsed.params, op).await?;
                    bearer_header(&token)?
                }
            }
            other => {
                return Err(unauthorized(format!(
                    "unsupported auth scheme \"{}\"",
                    untrusted_text(other)
                )));
            }
        };
        let mut state = self.auth.lock().await;
        state.header = Some(header);
        state.push = matches!(op, Op::Push { .. });
        Ok(())
    }

    async fn fetch_token(
        &self,
        params: &std::collections::BTreeMap<String, String>,
        op: &Op,
    ) -> Result<String> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let realm = params
            .get("realm")
            .ok_or_else(|| unauthorized("bearer challenge without realm".to_owned()))?;
        let mut url = Url::parse(realm)
            .map_err(|e| unauthorized(format!("bad realm \"{}\": {e}", untrusted_text(realm))))?;
        let realm_host = url.host_str().unwrap_or_default().to_owned();
        let plain_ok =
            self.allow_http || is_loopback(&realm_host) || is_loopback(&format!("[{realm_host}]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && plain_ok) {
            return Err(unauthorized(format!(
                "refusing to send credentials to token service \"{}\" over {}",
                untrusted_text(realm),
                url.scheme()
            )));
        }
        let mut scopes = vec![match op {
            Op::Pull => format!("repository:{}:pull", self.repository),
            Op::Push { .. } => format!("repository:{}:pull,push", self.repository),
        }];
        if let Op::Push {
            mount_from: Some(from),
        } = op
        {
            scopes.push(format!("repository:{from}:pull"));
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                q.append_pair("service", service);
            }
            for s in &scopes {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.http.get(url.clone());
        if let Credential::Basic { username, password } = &self.credential {
            req = req.header(AUTHORIZATION, basic_header(username, password)?);
        }
        crate::counting::record();
        let mut resp = req.send().await.map_err(|e| Error::Http {
            url: url.to_string(),
            source: e,
        })?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_prefix(&mut resp, MAX_ERROR_BYTES).await;
            return Err(unauthorized(format!(
                "token service answered {status}: {}",
                error_message(&body)
            )));
        }
        let body = read_bounded(&mut resp, MAX_TOKEN_BYTES, "token response").await?;
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            unauthorized(format!(
                "token response is not JSON: {}",
                untrusted_text(&e.to_string())
            ))
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("token response has no token".to_owned()))
    }

    async fn fail(
        &self,
        method: &str,
        url: &Url,
        mut resp: reqwest::Response,
        what: &str,
    ) -> Error {
        let status = resp.status();
        let body = read_prefix(&mut resp, MAX_ERROR_BYTES).await;
        if status == StatusCode::NOT_FOUND {
            return Error::NotFound {
                store: self.name(),
                what: what.to_owned(),
            };
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Error::Unauthorized {
                registry: self.registry.clone(),
                reason: format!("{status} for {method} {url}: {}", error_message(&body)),
            };
        }
        Error::Registry {
            method: method.to_owned(),
            url: url.to_string(),
            status: status.as_u16(),
            message: error_message(&body),
        }
    }

    fn manifest_url(&self, reference: &ManifestRef) -> Result<Url> {
        match reference {
            ManifestRef::Tag(t) => {
                if !crate::layout::valid_tag(t) {
                    return Err(Error::InvalidLocation {
                        input: t.clone(),
                        reason: "not a valid tag".to_owned(),
                    });
                }
                self.url(&format!("manifests/{t}"))
            }
            ManifestRef::Digest(d) => self.url(&format!("manifests/{d}")),
        }
    }

    async fn put_manifest_bytes(
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

    /// Adds `descriptor` to the referrers tag-schema index of `subject`.
    async fn add_to_referrers_tag(&self, subject: &Digest, descriptor: Descriptor) -> Result<()> {
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

fn basic_header(username: &str, password: &str) -> Result<HeaderValue> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut h =
        HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| Error::Credentials {
            source_name: "credentials".to_owned(),
            reason: "user name or password cannot be sent in a header".to_owned(),
        })?;
    h.set_sensitive(true);
    Ok(h)
}

fn bearer_header(token: &str) -> Result<HeaderValue> {
    let mut h =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::Credentials {
            source_name: "token".to_owned(),
            reason: "token cannot be sent in a header".to_owned(),
        })?;
    h.set_sensitive(true);
    Ok(h)
}

/// Reads a response body, refusing more than `limit` bytes (announced or actual).
async fn read_bounded(resp: &mut reqwest::Response, limit: u64, what: &str) -> Result<Bytes> {
    read_capped(resp, limit)
        .await?
        .map_err(|_| Error::TooLarge {
            what: format!("{what} from {}", resp.url()),
            limit,
        })
}

/// The first `limit` bytes of a response body (an error body), or what arrived of them
/// before the transfer failed.
async fn read_prefix(resp: &mut reqwest::Response, limit: u64) -> Bytes {
    let mut out = BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = usize::try_from(limit).unwrap_or(usize::MAX) - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() as u64 >= limit {
            break;
        }
    }
    out.freeze()
}

/// Reads a response body of at most `limit` bytes; `Ok(Err(seen))` when it announced or
/// brought more (`seen` bytes, a lower bound), unread beyond that.
async fn read_capped(
    resp: &mut reqwest::Response,
    limit: u64,
) -> Result<std::result::Result<Bytes, u64>> {
    if let Some(announced) = resp.content_length().filter(|l| *l > limit) {
        return Ok(Err(announced));
    }
    let mut out = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| Error::Http {
        url: resp.url().to_string(),
        source: e,
    })? {
        let seen = (out.len() + chunk.len()) as u64;
        if seen > limit {
            return Ok(Err(seen));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Ok(out.freeze()))
}

/// The target of the `rel="next"` link of a `Link` header (RFC 8288), as the distribution
/// API paginates tag lists: `</v2/app/tags/list?last=b&n=2>; rel="next"`. A link without a
/// `rel` parameter counts as the next page; a header with no such link, or one that does
/// not parse (a target with white space, controls or `<`), has none.
pub(crate) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let after_open = rest.strip_prefix('<')?;
        let close = after_open.find('>')?;
        let target = &after_open[..close];
        // A URI reference has no white space, controls or angle brackets.
        if target
            .chars()
            .any(|c| c == '<' || c.is_whitespace() || c.is_control())
        {
            return None;
        }
        rest = &after_open[close + 1..];
        // The parameters run to the next link: a comma outside quotes.
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_quotes => escaped = true,
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &rest[..end];
        rest = &rest[end..];
        let mut rel = None;
        for param in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            if key.trim().eq_ignore_ascii_case("rel") {
                rel = Some(value.trim().trim_matches('"'));
            }
        }
        let is_next = rel.is_none_or(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
    }
}

/// A blob download that fails with [`Error::TooSlow`] when, over `window` of waiting for the
/// server, fewer than `min_rate × window` bytes arrive. Only time spent waiting for the server
/// counts: a slow reader (a slow destination) is not the source's fault.
struct RateFloor {
    inner: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
    what: String,
    min_rate: u64,
    window: Duration,
    /// Bytes needed per window.
    needed: u64,
    /// Bytes received in the current window.
    got: u64,
    /// Time waited for the server in the current window, before `waiting_since`.
    waited: Duration,
    waiting_since: Option<tokio::time::Instant>,
    timer: Pin<Box<tokio::time::Sleep>>,
    failed: bool,
}

impl RateFloor {
    fn new(
        inner: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
        what: String,
        min_rate: u64,
        window: Duration,
    ) -> Self {
        // Timers are set at most a year ahead (a longer window disables the floor in practice).
        let window = window.min(Duration::from_secs(365 * 24 * 3600));
        let needed =
            u64::try_from(u128::from(min_rate) * window.as_millis() / 1000).unwrap_or(u64::MAX);
        RateFloor {
            inner,
            what,
            min_rate,
            window,
            needed,
            got: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            timer: Box::pin(tokio::time::sleep(window)),
            failed: false,
        }
    }
}

impl Stream for RateFloor {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(item) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited += since.elapsed();
                }
                if let Some(Ok(chunk)) = &item {
                    this.got += chunk.len() as u64;
                    if this.got >= this.needed {
                        this.got = 0;
                        this.waited = Duration::ZERO;
                    }
                }
                Poll::Ready(item)
            }
            Poll::Pending if this.needed == 0 => Poll::Pending,
            Poll::Pending => {
                if this.waiting_since.is_none() {
                    let now = tokio::time::Instant::now();
                    this.waiting_since = Some(now);
                    let left = this.window.saturating_sub(this.waited);
                    this.timer.as_mut().reset(now + left);
                }
                if this.timer.as_mut().poll(cx).is_ready() {
                    this.failed = true;
                    return Poll::Ready(Some(Err(std::io::Error::other(Error::TooSlow {
                        what: this.what.clone(),
                        received: this.got,
                        window: this.window,
                        min_rate: this.min_rate,
                    }))));
                }
                Poll::Pending
            }
        }
    }
}

async fn drain(mut resp: reqwest::Response) {
    let _ = read_bounded(&mut resp, MAX_ERROR_BYTES, "body").await;
}

/// The registry's error message: `CODE: message` from the distribution error JSON, else the
/// body; one line, control characters escaped, cut after a few hundred characters.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        code: Option<String>,
        message: Option<String>,
    }
    let text = match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e
            .errors
            .iter()
            // The message is cut after a few hundred characters anyway.
            .take(crate::error::MAX_UNTRUSTED_CHARS)
            .map(|e| {
                format!(
                    "{}: {}",
                    e.code.as_deref().unwrap_or("ERROR"),
                    e.message.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    let line = untrusted_text(&text);
    if line.is_empty() {
        "(empty body)".to_owned()
    } else {
        line
    }
}

fn header_digest(resp: &reqwest::Response) -> Result<Option<Digest>> {
    match resp.headers().get("docker-content-digest") {
        None => Ok(None),
        Some(v) => {
            let s = v.to_str().map_err(|_| Error::InvalidManifest {
                what: resp.url().to_string(),
                reason: "Docker-Content-Digest header is not text".to_owned(),
            })?;
            Digest::parse(s.trim())
                .map(Some)
                .map_err(|e| Error::InvalidManifest {
                    what: resp.url().to_string(),
                    reason: format!("bad Docker-Content-Digest header: {e}"),
                })
        }
    }
}

impl Store for RegistryStore {
    fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    async fn resolve(&self, reference: &ManifestRef) -> Result<Descriptor> {
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

    async fn get_manifest(&self, reference: &ManifestRef) -> Result<RawManifest> {
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

    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<()> {
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

    async fn blob_exists(&self, digest: &Digest) -> Result<bool> {
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

    async fn get_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
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

    async fn put_blob(&self, descriptor: &Descriptor, data: BlobReader) -> Result<()> {
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

    async fn list_tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct TagList {
            tags: Option<Vec<String>>,
        }
        let limits = &self.limits;
        let what = format!("tag list of {}", self.name());
        let over = |unit, limit: u64, seen: u64, option| Error::LimitExceeded {
            what: what.clone(),
            unit,
            limit,
            seen,
            option,
        };
        let mut tags = Vec::new();
        let mut bytes = 0u64;
        let mut url = self.url("tags/list")?;
        for page in 1.. {
            if page > limits.max_tag_pages {
                return Err(over(
                    "pages",
                    limits.max_tag_pages as u64,
                    page as u64,
                    "RegistryOptions::max_tag_pages",
                ));
            }
            let fetched = self
                .within(|| format!("GET {what}, page {page}"), async {
                    let mut resp = self.send(Method::GET, &url, Op::Pull, |r| r).await?;
                    if !resp.status().is_success() {
                        // A repository nothing was pushed to yet has no tags
                        // (distribution: NAME_UNKNOWN).
                        if resp.status() == StatusCode::NOT_FOUND && page == 1 {
                            drain(resp).await;
                            return Ok(None);
                        }
                        return Err(self.fail("GET", &url, resp, "tag list").await);
                    }
                    let next = resp
                        .headers()
                        .get("link")
                        .and_then(|v| v.to_str().ok())
                        .and_then(next_link)
                        .map(str::to_owned);
                    let budget = limits.max_tag_list_bytes.saturating_sub(bytes);
                    match read_capped(&mut resp, budget).await? {
                        Ok(body) => Ok(Some((body, next))),
                        Err(seen) => Err(over(
                            "bytes",
                            limits.max_tag_list_bytes,
                            bytes + seen,
                            "RegistryOptions::max_tag_list_bytes",
                        )),
                    }
                })
                .await?;
            let Some((body, next)) = fetched else {
                return Ok(Vec::new());
            };
            bytes += body.len() as u64;
            let list: TagList = serde_json::from_slice(&body).map_err(|e| Error::Registry {
                method: "GET".into(),
                url: url.to_string(),
                status: 200,
                message: format!("tag list is not JSON: {}", untrusted_text(&e.to_string())),
            })?;
            let page_tags = list.tags.unwrap_or_default();
            if tags.len() + page_tags.len() > limits.max_tags {
                return Err(over(
                    "tags",
                    limits.max_tags as u64,
                    (tags.len() + page_tags.len()) as u64,
                    "RegistryOptions::max_tags",
                ));
            }
            tags.extend(page_tags);
            let Some(n) = next else { break };
            let n = url.join(&n).map_err(|e| Error::InvalidLocation {
                input: untrusted_text(&n),
                reason: e.to_string(),
            })?;
            if !self.same_origin(&n) {
                break;
            }
            url = n;
        }
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    async fn referrers(
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
                let mut found = match self.referrers_api.load(Ordering::Relaxed) {
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
                let mut seen = std::collections::HashSet::new();
                found.retain(|d| seen.insert(d.digest));
                if let Some(t) = artifact_type {
                    found.retain(|d| d.artifact_type.as_deref() == Some(t));
                }
                Ok(found)
            },
        )
        .await
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
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

    fn mount_source(&self) -> Option<MountSource> {
        Some(MountSource {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
        })
    }

    async fn try_mount(&self, descriptor: &Descriptor, source: &MountSource) -> Result<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        for yes in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:5000",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "docker.io",
            "10.0.0.1:5000",
            "[::2]:1",
            "localhost.example.com",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(error_message(b"404 page not found\n"), "404 page not found");
        assert_eq!(error_message(b"a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(error_message(b"one\ntwo\r\n"), "one\\u{a}two");
        let long = error_message(
            format!(
                "{{\"errors\":[{{\"code\":\"X\",\"message\":\"{}\"}}]}}",
                "a\\n".repeat(40_000)
            )
            .as_bytes(),
        );
        assert!(
            long.chars().count() < 320 && long.ends_with("… (cut)"),
            "{long}"
        );
        assert!(!long.contains('\n'));
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn refuses_plain_http_elsewhere() {
        let r: Reference = "registry.example.com/app:v1".parse().unwrap();
        let s = RegistryStore::new(&r, RegistryOptions::new().credential(Credential::Anonymous))
            .unwrap();
        assert_eq!(s.base.scheme(), "https");
        let r: Reference = "127.0.0.1:5000/app:v1".parse().unwrap();
        let s = RegistryStore::new(&r, RegistryOptions::new().credential(Credential::Anonymous))
            .unwrap();
        assert_eq!(s.base.as_str(), "http://127.0.0.1:5000/v2/app/");
    }
}
