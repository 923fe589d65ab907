//! The webhook's HTTPS server: `POST /mutate`, `POST /validate`, `GET /healthz` over HTTP/1.1
//! with keep-alive, TLS by rustls; each review answered within a deadline below the API
//! server's webhook timeout, and by the policies' `failurePolicy` when the deadline passes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::review::{AdmissionRequest, AdmissionResponse, MAX_REVIEW_BYTES, decode_request};

/// Which admission webhook a review arrived on.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The mutating webhook (`/mutate`): images are verified and pinned to digests.
    Mutate,
    /// The validating webhook (`/validate`): the resource as it will be stored is checked.
    Validate,
}

impl Phase {
    /// `mutate` or `validate`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Mutate => "mutate",
            Phase::Validate => "validate",
        }
    }
}

/// What to do when a review cannot be decided in time, or a registry or verifier fails: the
/// Kubernetes / Kyverno `failurePolicy`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FailurePolicy {
    /// Refuse the request (fail closed; the default).
    #[default]
    Fail,
    /// Admit the request, with a warning.
    Ignore,
}

/// What answers reviews. The server owns HTTP, decoding, uids and deadlines; a reviewer only
/// decides.
pub trait Reviewer: Send + Sync + 'static {
    /// Decides a review. The server copies the request's uid into the response and removes any
    /// patch on [`Phase::Validate`]. The future is dropped when the deadline passes.
    fn review(
        &self,
        phase: Phase,
        request: &AdmissionRequest,
    ) -> impl Future<Output = AdmissionResponse> + Send;

    /// Decides a review that must be answered within `deadline`. The default runs
    /// [`Reviewer::review`] under the deadline and, when it passes, answers by
    /// [`Reviewer::failure_policy`]; a reviewer that can tell which of its parts finished (as
    /// [`crate::PolicyReviewer`] does per policy) answers the unfinished ones itself.
    fn review_within(
        &self,
        phase: Phase,
        request: &AdmissionRequest,
        deadline: Duration,
    ) -> impl Future<Output = AdmissionResponse> + Send {
        async move {
            match tokio::time::timeout(deadline, self.review(phase, request)).await {
                Ok(response) => response,
                Err(_) => timed_out(request, deadline, self.failure_policy(phase, request)),
            }
        }
    }

    /// The failure policy for this request when [`Reviewer::review`] does not finish in time
    /// under the default [`Reviewer::review_within`] (`Fail` refuses, `Ignore` admits with a
    /// warning).
    fn failure_policy(&self, phase: Phase, request: &AdmissionRequest) -> FailurePolicy;

    /// The webhook timeout to assume when the API server does not send `?timeout=`: the
    /// policies' `webhookTimeoutSeconds`, else 10 s.
    fn webhook_timeout(&self) -> Duration {
        DEFAULT_WEBHOOK_TIMEOUT
    }
}

/// Kubernetes' default `timeoutSeconds` (and Kyverno's).
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Server limits.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Largest review body read (default 8 MiB, the decoder's limit).
    pub max_body_bytes: usize,
    /// Connections served at once; more wait in the listen queue (default 1024).
    pub max_connections: usize,
    /// Time for a client to finish the TLS handshake (default 10 s).
    pub handshake_timeout: Duration,
    /// Time for a client to send a request's body once its headers arrived (default 10 s).
    pub read_timeout: Duration,
    /// Time a connection may stay idle between requests, or take to send a request's headers
    /// (default 120 s: longer than the API server's 90 s idle timeout, so that the client, not
    /// the server, closes idle keep-alive connections and no review races a closing connection).
    pub idle_timeout: Duration,
    /// How long open connections may finish their requests after shutdown begins (default 30 s).
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: MAX_REVIEW_BYTES,
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Parses a Go `time.Duration` string as the API server writes it in `?timeout=` (`10s`,
/// `1m30s`, `2.5s`, `500ms`). Returns `None` for anything else, including negative values.
///
/// ```
/// use std::time::Duration;
/// use boltseal_admission::server::parse_go_duration;
/// assert_eq!(parse_go_duration("10s"), Some(Duration::from_secs(10)));
/// assert_eq!(parse_go_duration("1m0.5s"), Some(Duration::from_millis(60_500)));
/// assert_eq!(parse_go_duration("10"), None);
/// ```
#[must_use]
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = tail;
    }
    if total.is_finite() && total < 1e9 {
        Some(Duration::from_secs_f64(total))
    } else {
        None
    }
}

/// The time a review may take: the webhook timeout (`?timeout=` from the API server, clamped to
/// Kubernetes' 1–30 s range, else `fallback`) minus a margin for the answer to travel back —
/// a tenth of the timeout, between 100 ms and 1 s.
///
/// ```
/// use std::time::Duration;
/// use boltseal_admission::server::review_deadline;
/// let ten = Duration::from_secs(10);
/// assert_eq!(review_deadline(Some("timeout=10s"), ten), Duration::from_secs(9));
/// assert_eq!(review_deadline(Some("timeout=2s"), ten), Duration::from_millis(1800));
/// assert_eq!(review_deadline(None, Duration::from_secs(30)), Duration::from_secs(29));
/// ```
#[must_use]
pub fn review_deadline(query: Option<&str>, fallback: Duration) -> Duration {
    let timeout = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="))
        .and_then(parse_go_duration)
        .unwrap_or(fallback)
        .clamp(Duration::from_secs(1), Duration::from_secs(30));
    let margin = (timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    timeout - margin
}

/// An HTTP answer: status, content type and body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    json: bool,
    /// Close the connection after answering (the request body was not read in full).
    close: bool,
    body: Bytes,
}

impl Answer {
    fn text(status: StatusCode, line: &str) -> Self {
        let mut body = line.replace(['\n', '\r'], " ");
        body.push('\n');
        Answer {
            status,
            json: false,
            close: false,
            body: Bytes::from(body),
        }
    }

    fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

/// The admission webhook: routes, decoding, deadlines and failure policies over a [`Reviewer`].
pub struct Webhook<R> {
    reviewer: Arc<R>,
    options: ServerOptions,
}

impl<R> std::fmt::Debug for Webhook<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<R: Reviewer> Webhook<R> {
    /// A webhook answering with `reviewer`.
    pub fn new(reviewer: R) -> Self {
        Webhook {
            reviewer: Arc::new(reviewer),
            options: ServerOptions::default(),
        }
    }

    /// Replaces the server limits.
    #[must_use]
    pub fn with_options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// The reviewer.
    pub fn reviewer(&self) -> &R {
        &self.reviewer
    }

    /// Answers one decoded review on `phase` within `deadline` ([`Reviewer::review_within`]).
    pub async fn decide(
        &self,
        phase: Phase,
        request: &AdmissionRequest,
        deadline: Duration,
    ) -> AdmissionResponse {
        let started = Instant::now();
        let mut response = self.reviewer.review_within(phase, request, deadline).await;
        response.uid.clone_from(&request.uid);
        if phase == Phase::Validate {
            response.patch = None;
            response.patch_type = None;
        }
        tracing::info!(
            uid = %request.uid,
            phase = phase.as_str(),
            resource = %request.resource_path(),
            operation = %request.operation,
            allowed = response.allowed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "review"
        );
        response
    }

    /// Answers a review body that arrived on `phase` with the request's query string: the
    /// response review, or the one-line reason it was malformed.
    ///
    /// # Errors
    /// The decoder's one-line reason when the body is not a valid `AdmissionReview` (the HTTP
    /// layer answers 400 with it).
    pub async fn answer(
        &self,
        phase: Phase,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<AdmissionResponse, crate::review::DecodeError> {
        let request = decode_request(body)?;
        let deadline = review_deadline(query, self.reviewer.webhook_timeout());
        Ok(self.decide(phase, &request, deadline).await)
    }

    async fn route(&self, request: Request<Incoming>) -> Answer {
        let path = request.uri().path();
        let phase = match path {
            "/healthz" | "/readyz" | "/livez" => {
                return if matches!(*request.method(), Method::GET | Method::HEAD) {
                    Answer::text(StatusCode::OK, "ok")
                } else {
                    self.discard(request.into_body()).await;
                    Answer::text(StatusCode::METHOD_NOT_ALLOWED, "use GET").closing()
                };
            }
            "/mutate" => Phase::Mutate,
            "/validate" => Phase::Validate,
            _ => {
                self.discard(request.into_body()).await;
                return Answer::text(StatusCode::NOT_FOUND, "not found").closing();
            }
        };
        if request.method() != Method::POST {
            self.discard(request.into_body()).await;
            return Answer::text(StatusCode::METHOD_NOT_ALLOWED, "use POST").closing();
        }
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            self.discard(request.into_body()).await;
            return Answer::text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            )
            .closing();
        }
        let limit = self.options.max_body_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            self.discard(request.into_body()).await;
            return Answer::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("review larger than the {limit}-byte limit"),
            )
            .closing();
        }
        let query = request.uri().query().map(str::to_owned);
        let expected = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit));
        let body = match self.read_body(request.into_body(), expected).await {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        match self.answer(phase, query.as_deref(), &body).await {
            Ok(response) => Answer {
                status: StatusCode::OK,
                json: true,
                close: false,
                body: Bytes::from(response.to_review_json()),
            },
            Err(e) => {
                tracing::warn!(phase = phase.as_str(), error = %e, "malformed review");
                Answer::text(StatusCode::BAD_REQUEST, &e.to_string())
            }
        }
    }

    /// Reads a review body of at most [`ServerOptions::max_body_bytes`] within the read
    /// timeout. A larger body is answered 413, after reading (and dropping) up to as much again,
    /// so that a client still sending reads the answer instead of a reset.
    async fn read_body(&self, mut body: Incoming, expected: usize) -> Result<Bytes, Answer> {
        let limit = self.options.max_body_bytes;
        let read = async {
            let mut buf = Vec::with_capacity(expected.min(limit));
            let mut total = 0usize;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    Answer::text(StatusCode::BAD_REQUEST, &format!("reading the body: {e}"))
                        .closing()
                })?;
                if let Ok(data) = frame.into_data() {
                    total = total.saturating_add(data.len());
                    if total <= limit {
                        buf.extend_from_slice(&data);
                    } else if total > limit.saturating_mul(2) {
                        break;
                    }
                }
            }
            if total > limit {
                return Err(Answer::text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("review larger than the {limit}-byte limit"),
                )
                .closing());
            }
            Ok(Bytes::from(buf))
        };
        match tokio::time::timeout(self.options.read_timeout, read).await {
            Ok(result) => result,
            Err(_) => Err(
                Answer::text(StatusCode::REQUEST_TIMEOUT, "body not received in time").closing(),
            ),
        }
    }

    /// Reads and drops up to [`ServerOptions::max_body_bytes`] of a body that will not be used,
    /// within the read timeout (the connection is closed after the answer anyway).
    async fn discard(&self, mut body: Incoming) {
        let limit = self.options.max_body_bytes;
        let drain = async {
            let mut total = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    total = total.saturating_add(data.len());
                    if total > limit {
                        break;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(self.options.read_timeout, drain).await;
    }

    async fn respond(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let head_only = request.method() == Method::HEAD;
        let answer = self.route(request).await;
        let content_type = if answer.json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        let mut response = Response::new(Full::new(if head_only {
            Bytes::new()
        } else {
            answer.body
        }));
        *response.status_mut() = answer.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type),
        );
        if answer.close {
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    }

    /// Serves HTTPS on `listener` until `shutdown` completes, then stops accepting, lets open
    /// connections finish their requests (up to [`ServerOptions::shutdown_grace`]) and returns.
    ///
    /// # Errors
    /// Only if the listener's address cannot be read; accept errors (too many open files, …)
    /// are logged and retried.
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: Arc<rustls::ServerConfig>,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let local: SocketAddr = listener.local_addr()?;
        let this = Arc::new(self);
        let acceptor = TlsAcceptor::from(tls);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(this.options.max_connections.max(1)));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(this.options.idle_timeout)
            .keep_alive(true);
        tracing::info!(addr = %local, "admission webhook listening");
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, http, this) = (acceptor.clone(), http.clone(), Arc::clone(&this));
            let watcher = graceful.watcher();
            let handshake = this.options.handshake_timeout;
            tokio::spawn(async move {
                let _permit = permit;
                let stream = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
                let service = service_fn(move |request| {
                    let this = Arc::clone(&this);
                    async move { Ok::<_, Infallible>(this.respond(request).await) }
                });
                let connection = http.serve_connection(TokioIo::new(stream), service);
                if let Err(e) = watcher.watch(connection).await {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
            });
        }
        drop(listener);
        tracing::info!("shutting down: finishing open requests");
        tokio::select! {
            () = graceful.shutdown() => {},
            () = tokio::time::sleep(this.options.shutdown_grace) => {
                tracing::warn!("shutdown grace period over; closing remaining connections");
            }
        }
        Ok(())
    }
}

/// The answer when a review did not finish before its deadline.
fn timed_out(
    request: &AdmissionRequest,
    deadline: Duration,
    policy: FailurePolicy,
) -> AdmissionResponse {
    let what = format!(
        "policy evaluation for {} did not finish within {} ms (the deadline below the webhook timeout)",
        request.resource_path(),
        deadline.as_millis()
    );
    match policy {
        FailurePolicy::Fail => AdmissionResponse::deny(
            &request.uid,
            &format!("{what}; failurePolicy Fail refuses the request"),
        ),
        FailurePolicy::Ignore => AdmissionResponse::allow(&request.uid)
            .with_warning(&format!("{what}; failurePolicy Ignore admits it")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (text, ms) in [
            ("10s", 10_000),
            ("30s", 30_000),
            ("1m30s", 90_000),
            ("2.5s", 2_500),
            ("500ms", 500),
            ("1h", 3_600_000),
            ("0", 0),
            ("+3s", 3_000),
        ] {
            assert_eq!(
                parse_go_duration(text),
                Some(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "s", "10", "-1s", "1x", ".s", "1e3s", "ten seconds"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn deadlines_stay_below_the_timeout() {
        let d = DEFAULT_WEBHOOK_TIMEOUT;
        assert_eq!(review_deadline(None, d), Duration::from_secs(9));
        assert_eq!(
            review_deadline(Some("a=b&timeout=30s"), d),
            Duration::from_secs(29)
        );
        assert_eq!(
            review_deadline(Some("timeout=100s"), d),
            Duration::from_secs(29)
        );
        assert_eq!(
            review_deadline(Some("timeout=1ms"), d),
            Duration::from_millis(900)
        );
        assert_eq!(
            review_deadline(Some("timeout=bogus"), d),
            Duration::from_secs(9)
        );
    }
}
