//! The HTTP side of a registry store: the client, request deadlines, authenticated sends,
//! bounded body reads, error bodies as one line, and the blob download rate floor.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use boltseal_reference::{Digest, Reference};
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};

use super::{Op, RegistryStore};
use crate::error::{Error, Result, untrusted_text};
use crate::store::Store;

pub(super) const MAX_ERROR_BYTES: u64 = 64 * 1024;
const MAX_REDIRECTS: usize = 5;

/// The `Accept` header for manifests: every manifest and index type boltseal reads.
/// Distribution answers 404 (not 406) for an OCI manifest when this lacks the OCI types.
pub(super) fn manifest_accept() -> HeaderValue {
    HeaderValue::from_static(
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
         application/vnd.docker.distribution.manifest.v2+json, \
         application/vnd.docker.distribution.manifest.list.v2+json",
    )
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

impl RegistryStore {
    /// Runs `request` (the requests for one small document, bodies read) within
    /// [`RegistryOptions::request_timeout`].
    pub(super) async fn within<T>(
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
    pub(super) fn upload_deadline(&self, size: u64) -> Option<Duration> {
        (self.limits.min_blob_rate > 0).then(|| {
            self.limits
                .request_timeout
                .saturating_add(Duration::from_secs(size / self.limits.min_blob_rate))
        })
    }

    /// Sends a request built by `build`, authenticating and retrying once on 401.
    pub(super) async fn send(
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

    pub(super) async fn fail(
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
}

/// Reads a response body, refusing more than `limit` bytes (announced or actual).
pub(super) async fn read_bounded(
    resp: &mut reqwest::Response,
    limit: u64,
    what: &str,
) -> Result<Bytes> {
    read_capped(resp, limit)
        .await?
        .map_err(|_| Error::TooLarge {
            what: format!("{what} from {}", resp.url()),
            limit,
        })
}

/// The first `limit` bytes of a response body (an error body), or what arrived of them
/// before the transfer failed.
pub(super) async fn read_prefix(resp: &mut reqwest::Response, limit: u64) -> Bytes {
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
pub(super) async fn read_capped(
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

/// A blob download that fails with [`Error::TooSlow`] when, over `window` of waiting for the
/// server, fewer than `min_rate × window` bytes arrive. Only time spent waiting for the server
/// counts: a slow reader (a slow destination) is not the source's fault.
pub(super) struct RateFloor {
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
    pub(super) fn new(
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

pub(super) async fn drain(mut resp: reqwest::Response) {
    let _ = read_bounded(&mut resp, MAX_ERROR_BYTES, "body").await;
}

/// The registry's error message: `CODE: message` from the distribution error JSON, else the
/// body; one line, control characters escaped, cut after a few hundred characters.
pub(super) fn error_message(body: &[u8]) -> String {
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

pub(super) fn header_digest(resp: &reqwest::Response) -> Result<Option<Digest>> {
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
