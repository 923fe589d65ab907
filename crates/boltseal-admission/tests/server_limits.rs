//! The server's own limits over real TLS connections (raw HTTP/1.1, so that every byte sent is
//! the test's): a connection that sends no request headers is closed after the header timeout
//! while an idle keep-alive connection is not; reviews beyond the in-flight bound, or beyond
//! the review memory, wait within their deadline and are then answered 503 naming the limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use boltseal_admission::review::{AdmissionRequest, AdmissionResponse};
use boltseal_admission::server::{FailurePolicy, Phase, Reviewer, ServerOptions, Webhook};
use boltseal_admission::tls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Admits everything after `delay`.
struct Slow {
    delay: Duration,
}

impl Reviewer for Slow {
    async fn review(&self, _phase: Phase, request: &AdmissionRequest) -> AdmissionResponse {
        tokio::time::sleep(self.delay).await;
        AdmissionResponse::allow(&request.uid)
    }

    fn failure_policy(&self, _phase: Phase, _request: &AdmissionRequest) -> FailurePolicy {
        FailurePolicy::Fail
    }
}

struct Harness {
    addr: std::net::SocketAddr,
    connector: TlsConnector,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Harness {
    async fn start(delay: Duration, options: ServerOptions) -> Harness {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let config = tls::server_config(&cert_path, &key_path).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let webhook = Webhook::new(Slow { delay }).with_options(options);
        tokio::spawn(webhook.serve(listener, Arc::new(config), async move {
            let _ = stopped.await;
        }));
        Harness {
            addr,
            connector: TlsConnector::from(Arc::new(client)),
            _dir: dir,
            _stop: stop,
        }
    }

    async fn connect(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        self.connector.connect(name, tcp).await.unwrap()
    }

    /// POSTs `body` to `/validate?query` on a new connection; the status and body.
    async fn post(&self, query: &str, body: &[u8]) -> (u16, String) {
        let mut tls = self.connect().await;
        let head = format!(
            "POST /validate?{query} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(body).await.unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out).await;
        parse(&out)
    }
}

fn parse(response: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

fn review(uid: &str, padding: usize) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"{uid}","operation":"CREATE","kind":{{"group":"","version":"v1","kind":"Pod"}},"resource":{{"group":"","version":"v1","resource":"pods"}},"namespace":"default","object":{{"metadata":{{"name":"web"}},"padding":[{}0]}}}}}}"#,
        "0,".repeat(padding)
    )
    .into_bytes()
}

/// Reads until the server closes the connection (EOF or an error); `None` if it is still open
/// after `within`.
async fn closed_within(tls: &mut TlsStream<TcpStream>, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(within, tls.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_request_headers_are_closed_but_idle_keep_alive_is_not() {
    let mut options = ServerOptions::default();
    options.header_read_timeout = Duration::from_millis(300);
    let h = Harness::start(Duration::ZERO, options).await;

    // Silent after the handshake, and a request line with headers that never end.
    let mut silent = h.connect().await;
    let mut partial = h.connect().await;
    partial
        .write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    for tls in [&mut silent, &mut partial] {
        let after = closed_within(tls, Duration::from_secs(30)).await;
        assert!(
            after.is_some(),
            "still open 30 s after a 300 ms header timeout"
        );
    }

    // A connection that made a request stays open between requests for the idle timeout.
    let mut kept = h.connect().await;
    for _ in 0..2 {
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 512];
        let n = kept.read(&mut buf).await.unwrap();
        let (status, body) = parse(&buf[..n]);
        assert_eq!((status, body.as_str()), (200, "ok\n"));
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_beyond_the_in_flight_bound_wait_within_their_deadline_then_get_503() {
    let mut options = ServerOptions::default();
    options.max_reviews_in_flight = 1;
    let h = Arc::new(Harness::start(Duration::from_secs(3), options).await);
    let first = tokio::spawn({
        let h = Arc::clone(&h);
        async move { h.post("timeout=10s", &review("u-first", 0)).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = h.post("timeout=1s", &review("u-second", 0)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        "1 reviews in flight, the limit is 1; none freed within 900 ms\n"
    );
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"uid\":\"u-first\""), "{body}");
    // Once the slot is free, the next review is served.
    let (status, _) = h.post("timeout=10s", &review("u-third", 0)).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_beyond_the_review_memory_wait_within_their_deadline_then_get_503() {
    let mut options = ServerOptions::default();
    options.review_memory = 256 << 10;
    let h = Arc::new(Harness::start(Duration::from_secs(3), options).await);
    // 20,000 elements: 1 MiB of values once decoded, more than the whole budget; it holds what
    // its body's reservation leaves (a review never waits for memory it holds itself).
    let first = tokio::spawn({
        let h = Arc::clone(&h);
        async move { h.post("timeout=10s", &review("u-big", 20_000)).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // 5,000 elements: 10 kB, a quarter of a MiB once decoded; waits, then 503.
    let (status, body) = h.post("timeout=1s", &review("u-second", 5_000)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("reviews in flight hold ")
            && body.contains(" KiB of the 256 KiB review memory; this review needs ")
            && body.ends_with(" KiB; not freed within 900 ms\n"),
        "{body}"
    );
    let small = review("u-small", 0);
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = h.post("timeout=10s", &small).await;
    assert_eq!(status, 200);
}
