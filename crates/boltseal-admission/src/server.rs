//! The webhook's HTTPS server: `POST /mutate`, `POST /validate`, `GET /healthz` over HTTP/1.1
//! with keep-alive, TLS by rustls; each review answered within a deadline below the API
//! server's webhook timeout, and by the policies' `failurePolicy` when the deadline passes.
//!
//! Whatever clients send, the server's memory stays bounded ([`ServerOptions`]): bodies over
//! the size limit are refused from their `Content-Length`; a body's nesting and decoded memory
//! are bounded by [`crate::scan::shape`] before it is decoded; the reviews in flight, and the
//! memory they reserve for their bodies and decoded values, are bounded, a review waiting for
//! room within its deadline and then answered 503; a connection must send its first request's
//! headers within a few seconds.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

pub use crate::options::{
    DEFAULT_WEBHOOK_TIMEOUT, ServerOptions, parse_go_duration, review_deadline,
};
use crate::review::{
    AdmissionRequest, AdmissionResponse, DecodeError, DecodeLimits, decode_request_within,
};

pub use boltseal_policy::admission::{FailurePolicy, Phase};

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

    /// The reviewer's own metrics in the Prometheus text format, appended to the server's on
    /// `GET /metrics` (default: none).
    fn metrics(&self) -> String {
        String::new()
    }
}

/// An HTTP answer: status, content type and body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    json: bool,
    /// Close the connection after answering (the request body was not read in full).
    close: bool,
    /// Ask the client to retry after a second (`Retry-After: 1`).
    retry: bool,
    /// The body is Prometheus text (`GET /metrics`).
    prometheus: bool,
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
            retry: false,
            prometheus: false,
            body: Bytes::from(body),
        }
    }

    fn metrics(text: String) -> Self {
        Answer {
            status: StatusCode::OK,
            json: false,
            close: false,
            retry: false,
            prometheus: true,
            body: Bytes::from(text),
        }
    }

    fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

/// Reviews in flight and the memory they hold.
#[derive(Debug)]
struct Capacity {
    reviews: Arc<Semaphore>,
    /// Permits are KiB.
    memory: Arc<Semaphore>,
    memory_kib: u32,
}

impl Capacity {
    fn new(options: &ServerOptions) -> Self {
        let memory_kib = u32::try_from(options.review_memory.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        Capacity {
            reviews: Arc::new(Semaphore::new(options.max_reviews_in_flight.max(1))),
            memory: Arc::new(Semaphore::new(memory_kib as usize)),
            memory_kib,
        }
    }

    /// `bytes` as KiB permits, at most the whole budget.
    fn kib(&self, bytes: usize) -> u32 {
        u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(self.memory_kib)
    }
}

/// How long a review waited for capacity, and its deadline.
struct Clock {
    started: Instant,
    deadline: Duration,
    waited: Duration,
}

impl Clock {
    /// `n` permits of `semaphore`, waiting for them until the deadline; `None` when it passed.
    /// Time spent waiting is taken from the review's deadline.
    async fn acquire(
        &mut self,
        semaphore: &Arc<Semaphore>,
        n: u32,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(semaphore).try_acquire_many_owned(n) {
            return Some(permit);
        }
        let before = Instant::now();
        let left = self.deadline.saturating_sub(self.started.elapsed());
        let result = tokio::time::timeout(left, Arc::clone(semaphore).acquire_many_owned(n)).await;
        self.waited += before.elapsed();
        result.ok().and_then(Result::ok)
    }
}

/// The admission webhook: routes, decoding, deadlines and failure policies over a [`Reviewer`].
pub struct Webhook<R> {
    reviewer: Arc<R>,
    options: ServerOptions,
    capacity: Capacity,
    metrics: crate::metrics::Metrics,
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
        let options = ServerOptions::default();
        Webhook {
            reviewer: Arc::new(reviewer),
            capacity: Capacity::new(&options),
            options,
            metrics: crate::metrics::Metrics::default(),
        }
    }

    /// Replaces the server limits.
    #[must_use]
    pub fn with_options(mut self, options: ServerOptions) -> Self {
        self.capacity = Capacity::new(&options);
        self.options = options;
        self
    }

    /// The decoder's limits from the options.
    fn limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_bytes: self.options.max_body_bytes,
            max_depth: self.options.max_depth,
            max_decoded_bytes: self.options.max_decoded_bytes,
        }
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
        let (mut response, registry_requests) =
            boltseal_oci::count_requests(self.reviewer.review_within(phase, request, deadline))
                .await;
        self.metrics
            .review(phase, response.allowed, started.elapsed());
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
            registry_requests,
            "review"
        );
        response
    }

    /// Answers a review body that arrived on `phase` with the request's query string: the
    /// response review, or the one-line reason it was malformed.
    ///
    /// # Errors
    /// The decoder's one-line reason when the body is over the options' limits (the HTTP layer
    /// answers 413 with it) or is not a valid `AdmissionReview` (400).
    pub async fn answer(
        &self,
        phase: Phase,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<AdmissionResponse, DecodeError> {
        let request = decode_request_within(body, &self.limits())?;
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
                    self.discard(request.into_body(), self.options.max_body_bytes)
                        .await;
                    Answer::text(StatusCode::METHOD_NOT_ALLOWED, "use GET").closing()
                };
            }
            "/metrics" => {
                return if matches!(*request.method(), Method::GET | Method::HEAD) {
                    Answer::metrics(self.metrics.render(&self.reviewer.metrics()))
                } else {
                    self.discard(request.into_body(), self.options.max_body_bytes)
                        .await;
                    Answer::text(StatusCode::METHOD_NOT_ALLOWED, "use GET").closing()
                };
            }
            "/mutate" => Phase::Mutate,
            "/validate" => Phase::Validate,
            _ => {
                self.discard(request.into_body(), self.options.max_body_bytes)
                    .await;
                return Answer::text(StatusCode::NOT_FOUND, "not found").closing();
            }
        };
        if request.method() != Method::POST {
            self.discard(request.into_body(), self.options.max_body_bytes)
                .await;
            return Answer::text(StatusCode::METHOD_NOT_ALLOWED, "use POST").closing();
        }
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            self.discard(request.into_body(), self.options.max_body_bytes)
                .await;
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
            .and_then(|v| v.parse::<u64>().ok())
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        if let Some(size) = declared.filter(|&n| n > limit) {
            // Read (and drop) what the client sends, up to a few times the limit, so that it
            // reads the answer rather than a reset.
            self.discard(request.into_body(), size.min(limit.saturating_mul(4)))
                .await;
            tracing::warn!(phase = phase.as_str(), size, limit, "review too large");
            return Answer::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("review is {size} bytes, larger than the {limit}-byte limit"),
            )
            .closing();
        }
        let query = request.uri().query().map(str::to_owned);
        let mut clock = Clock {
            started: Instant::now(),
            deadline: review_deadline(query.as_deref(), self.reviewer.webhook_timeout()),
            waited: Duration::ZERO,
        };
        let capacity = &self.capacity;
        // A slot among the reviews in flight, then the body's memory, before reading it.
        let Some(_slot) = clock.acquire(&capacity.reviews, 1).await else {
            let limit = self.options.max_reviews_in_flight;
            let in_flight = limit.saturating_sub(capacity.reviews.available_permits());
            return self
                .busy(
                    request.into_body(),
                    &clock,
                    &format!("{in_flight} reviews in flight, the limit is {limit}"),
                )
                .await;
        };
        let reserved = capacity.kib(declared.unwrap_or(limit));
        let Some(body_memory) = self.reserve(&mut clock, reserved).await else {
            let message = self.memory_message(reserved);
            return self.busy(request.into_body(), &clock, &message).await;
        };
        let body = match self
            .read_body(request.into_body(), declared.unwrap_or(0))
            .await
        {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let limits = self.limits();
        let shape = match limits.check(&body) {
            Ok(shape) => shape,
            Err(e) => {
                tracing::warn!(phase = phase.as_str(), error = %e, "review over a limit");
                return Answer::text(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string());
            }
        };
        // The decoded request and the policy engine's copy of its objects.
        // At most what the body's reservation leaves of the budget, so that a review never
        // waits for memory it holds itself.
        let needed = capacity
            .kib(shape.decoded_bytes.saturating_mul(2))
            .min(capacity.memory_kib.saturating_sub(reserved));
        let Some(_decoded_memory) = self.reserve(&mut clock, needed).await else {
            let message = self.memory_message(needed);
            tracing::warn!(phase = phase.as_str(), "{message}");
            let mut answer = Answer::text(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "{message}; not freed within {} ms",
                    clock.deadline.as_millis()
                ),
            );
            answer.retry = true;
            return answer;
        };
        // Decoding a large review takes milliseconds of CPU: off the reactor, so that other
        // reviews' deadlines and health checks are served meanwhile.
        let decoded =
            match tokio::task::spawn_blocking(move || crate::review::decode_request_checked(&body))
                .await
            {
                Ok(decoded) => decoded,
                Err(_) => {
                    return Answer::text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "decoding the review did not finish",
                    );
                }
            };
        drop(body_memory);
        match decoded {
            Ok(request) => {
                let deadline = clock.deadline.saturating_sub(clock.waited);
                let response = self.decide(phase, &request, deadline).await;
                Answer {
                    status: StatusCode::OK,
                    json: true,
                    close: false,
                    retry: false,
                    prometheus: false,
                    body: Bytes::from(response.to_review_json()),
                }
            }
            Err(e) => {
                tracing::warn!(phase = phase.as_str(), error = %e, "malformed review");
                Answer::text(StatusCode::BAD_REQUEST, &e.to_string())
            }
        }
    }

    /// Reserves `kib` KiB of the review memory within the deadline (nothing to reserve: `None`
    /// only when the deadline passed).
    async fn reserve(&self, clock: &mut Clock, kib: u32) -> Option<Option<OwnedSemaphorePermit>> {
        if kib == 0 {
            return Some(None);
        }
        clock.acquire(&self.capacity.memory, kib).await.map(Some)
    }

    fn memory_message(&self, kib: u32) -> String {
        let capacity = &self.capacity;
        let held = capacity
            .memory_kib
            .saturating_sub(u32::try_from(capacity.memory.available_permits()).unwrap_or(0));
        format!(
            "reviews in flight hold {held} KiB of the {} KiB review memory; this review needs {kib} KiB",
            capacity.memory_kib
        )
    }

    /// The answer when a review found no capacity within its deadline: 503, after draining the
    /// body it did not read.
    async fn busy(&self, body: Incoming, clock: &Clock, what: &str) -> Answer {
        self.discard(body, self.options.max_body_bytes).await;
        tracing::warn!("{what}");
        let mut answer = Answer::text(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "{what}; none freed within {} ms",
                clock.deadline.as_millis()
            ),
        )
        .closing();
        answer.retry = true;
        answer
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

    /// Reads and drops up to `limit` bytes of a body that will not be used, within the read
    /// timeout (the connection is closed after the answer anyway).
    async fn discard(&self, mut body: Incoming, limit: usize) {
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
        let review = matches!(request.uri().path(), "/mutate" | "/validate");
        let answer = self.route(request).await;
        if review && answer.status != StatusCode::OK {
            self.metrics.refused();
        }
        let content_type = if answer.json {
            "application/json"
        } else if answer.prometheus {
            "text/plain; version=0.0.4; charset=utf-8"
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
        if answer.retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
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
            let (handshake, first_headers) = (
                this.options.handshake_timeout,
                this.options.header_read_timeout,
            );
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
                let requested = Arc::new(AtomicBool::new(false));
                let service = service_fn({
                    let requested = Arc::clone(&requested);
                    move |request| {
                        requested.store(true, Ordering::Relaxed);
                        let this = Arc::clone(&this);
                        async move { Ok::<_, Infallible>(this.respond(request).await) }
                    }
                });
                let connection =
                    watcher.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::pin!(connection);
                // The first request's headers must arrive soon; later ones may follow an idle
                // keep-alive period (hyper's header timer, `idle_timeout`).
                let result = tokio::select! {
                    result = &mut connection => result,
                    () = tokio::time::sleep(first_headers) => {
                        if !requested.load(Ordering::Relaxed) {
                            tracing::debug!(%peer, "no request headers in time; closing");
                            return;
                        }
                        connection.await
                    }
                };
                if let Err(e) = result {
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
