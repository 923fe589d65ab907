#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `RegistryStore` against a deliberately malicious registry.
//!
//! The server below is a small hand-written HTTP/1.1 server on a tokio `TcpListener`. Each test
//! gives it a handler that answers the way an attacker would (oversized or endless bodies, lying
//! `Content-Length` and `Docker-Content-Digest` headers, wrong content, redirects to another host,
//! hostile auth challenges) and checks that the client refuses with the precise error, leaks no
//! credential, and never hangs. Endless bodies are bounded on the server side
//! ([`STREAM_CAP`], a per-write stall limit) and every test runs under [`guard`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use boltseal_oci::reference::{Digest, Reference, media_type};
use boltseal_oci::{
    BlobReader, CopyOptions, Credential, Descriptor, Error, ErrorKind, ImageIndex, ImageManifest,
    LayoutStore, MAX_MANIFEST_BYTES, ManifestRef, RegistryOptions, RegistryStore, Store,
    copy_image, referrers_tag,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const MIB: u64 = 1024 * 1024;
/// The most an endless body ever sends. Far above what loopback socket buffers can absorb
/// (receive buffers autotune up to 32 MiB here), so reaching it means the client kept reading.
const STREAM_CAP: u64 = 128 * MIB;
/// The token size limit of `RegistryStore`.
const MAX_TOKEN_BYTES: u64 = MIB;
const REPO: &str = "evil/app";
const USER: &str = "alice";
const PASSWORD: &str = "hunter2";
const TOKEN: &str = "secret-token";

// ------------------------------------------------------------------------------------------
// The malicious server
// ------------------------------------------------------------------------------------------

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or(&self.target)
    }

    fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// How the body of a reply is framed.
enum Body {
    /// Honest `Content-Length`, connection kept alive.
    Fixed(Vec<u8>),
    /// Announces `length`, sends `bytes` (more or fewer), then closes.
    LyingLength { length: u64, bytes: Vec<u8> },
    /// No length at all: the body ends when the server closes the connection.
    CloseDelimited(Vec<u8>),
    /// `Transfer-Encoding: chunked`, properly terminated.
    Chunked(Vec<u8>),
    /// Filler bytes until the client goes away, `content_length`, [`STREAM_CAP`] or a stalled
    /// write; chunked when `content_length` is `None`. How it ended is reported on [`Evil::streams`].
    Endless { content_length: Option<u64> },
    /// Announces the length of `bytes`, then sends them one byte every `every` (a server
    /// that holds a request open without ever stalling a read for long), then closes.
    Drip { bytes: Vec<u8>, every: Duration },
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Reply {
    fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Fixed(Vec::new()),
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    fn bytes(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body(Body::Fixed(bytes.into()))
    }

    fn not_found() -> Self {
        Reply::new(404)
            .header("Content-Type", "application/json")
            .bytes(br#"{"errors":[{"code":"NAME_UNKNOWN","message":"not here"}]}"#.to_vec())
    }
}

/// How an endless body ended.
#[derive(Debug, PartialEq, Eq)]
enum StreamEnd {
    /// A write failed: the client closed the connection after `sent` bytes.
    ClientClosed { sent: u64 },
    /// [`STREAM_CAP`] bytes were sent: the client kept reading.
    CapReached,
    /// A write made no progress for 20 s: the client stopped reading but kept the connection.
    Stalled { sent: u64 },
    /// The whole announced `Content-Length` (below the cap) was sent.
    Finished,
}

type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

/// A running malicious server.
struct Evil {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Req>>>,
    streams: mpsc::UnboundedReceiver<StreamEnd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Evil {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Evil {
    /// Binds `ip:0` and serves with the handler `make` builds from the bound address.
    async fn start<H>(ip: &str, make: impl FnOnce(SocketAddr) -> H) -> Evil
    where
        H: Fn(&Req) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(make(addr));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (tx, streams) = mpsc::unbounded_channel();
        let log = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve_connection(
                    sock,
                    handler.clone(),
                    log.clone(),
                    tx.clone(),
                ));
            }
        });
        Evil {
            addr,
            requests,
            streams,
            task,
        }
    }

    fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits for the next endless body to end.
    async fn stream_end(&mut self) -> StreamEnd {
        self.streams.recv().await.unwrap()
    }

    /// Waits until an endless body ended because the client closed the connection.
    async fn assert_client_closed(&mut self) {
        match self.stream_end().await {
            StreamEnd::ClientClosed { sent } => assert!(sent < STREAM_CAP),
            other => panic!("the client did not close the connection: {other:?}"),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn serve_connection(
    mut sock: TcpStream,
    handler: Handler,
    log: Arc<Mutex<Vec<Req>>>,
    streams: mpsc::UnboundedSender<StreamEnd>,
) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            if buf.len() > 64 * 1024 {
                return;
            }
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let req = Req {
            method,
            target,
            headers,
        };
        // The client sends no bodies in these tests except with an honest Content-Length.
        let len: usize = req
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..len);
        log.lock().unwrap().push(req.clone());
        let reply = handler(&req);
        if !write_reply(&mut sock, &req, reply, &streams).await {
            let _ = sock.shutdown().await;
            return;
        }
    }
}

/// Writes `reply`; returns whether the connection can be kept alive.
async fn write_reply(
    sock: &mut TcpStream,
    req: &Req,
    reply: Reply,
    streams: &mpsc::UnboundedSender<StreamEnd>,
) -> bool {
    let reason = match reply.status {
        200 => "OK",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Whatever",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let head_only = req.method == "HEAD";
    let (framing, body, keep_alive): (String, Vec<u8>, bool) = match reply.body {
        Body::Fixed(b) => (format!("Content-Length: {}\r\n", b.len()), b, true),
        Body::LyingLength { length, bytes } => (
            format!("Content-Length: {length}\r\nConnection: close\r\n"),
            bytes,
            false,
        ),
        Body::CloseDelimited(b) => ("Connection: close\r\n".to_owned(), b, false),
        Body::Chunked(b) => {
            let mut framed = Vec::new();
            if !b.is_empty() {
                framed.extend_from_slice(format!("{:x}\r\n", b.len()).as_bytes());
                framed.extend_from_slice(&b);
                framed.extend_from_slice(b"\r\n");
            }
            framed.extend_from_slice(b"0\r\n\r\n");
            ("Transfer-Encoding: chunked\r\n".to_owned(), framed, true)
        }
        Body::Drip { bytes, every } => {
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            ));
            if sock.write_all(head.as_bytes()).await.is_err() || head_only {
                return false;
            }
            for b in bytes {
                tokio::time::sleep(every).await;
                if sock.write_all(&[b]).await.is_err() {
                    break;
                }
            }
            return false;
        }
        Body::Endless { content_length } => {
            let framing = match content_length {
                Some(l) => format!("Content-Length: {l}\r\nConnection: close\r\n"),
                None => "Transfer-Encoding: chunked\r\nConnection: close\r\n".to_owned(),
            };
            head.push_str(&framing);
            head.push_str("\r\n");
            if sock.write_all(head.as_bytes()).await.is_err() || head_only {
                return false;
            }
            let end = write_endless(sock, content_length).await;
            let _ = streams.send(end);
            return false;
        }
    };
    head.push_str(&framing);
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&body);
    }
    sock.write_all(&out).await.is_ok() && keep_alive
}

async fn write_endless(sock: &mut TcpStream, content_length: Option<u64>) -> StreamEnd {
    const BLOCK: u64 = 64 * 1024;
    let limit = content_length.unwrap_or(u64::MAX).min(STREAM_CAP);
    let mut sent = 0u64;
    while sent < limit {
        let n = BLOCK.min(limit - sent);
        let mut block = Vec::with_capacity(BLOCK as usize + 16);
        if content_length.is_none() {
            block.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        }
        // Starts like a manifest, a token response or an index; never ends.
        block.extend(std::iter::repeat_n(b'a', n as usize));
        if content_length.is_none() {
            block.extend_from_slice(b"\r\n");
        }
        match tokio::time::timeout(Duration::from_secs(20), sock.write_all(&block)).await {
            Ok(Ok(())) => sent += n,
            Ok(Err(_)) => return StreamEnd::ClientClosed { sent },
            Err(_) => return StreamEnd::Stalled { sent },
        }
    }
    if sent == STREAM_CAP {
        StreamEnd::CapReached
    } else {
        StreamEnd::Finished
    }
}

// ------------------------------------------------------------------------------------------
// Fixtures and helpers
// ------------------------------------------------------------------------------------------

/// Fails the test instead of hanging.
async fn guard<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("the test did not finish within 30 s: the client hangs")
}

fn store(addr: SocketAddr, credential: Credential) -> RegistryStore {
    store_with(addr, RegistryOptions::new().credential(credential))
}

fn store_with(addr: SocketAddr, options: RegistryOptions) -> RegistryStore {
    let reference: Reference = format!("{addr}/{REPO}").parse().unwrap();
    RegistryStore::new(&reference, options).unwrap()
}

fn basic() -> Credential {
    Credential::Basic {
        username: USER.to_owned(),
        password: PASSWORD.to_owned(),
    }
}

fn basic_header() -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    format!("Basic {encoded}")
}

fn manifest_path(reference: &str) -> String {
    format!("/v2/{REPO}/manifests/{reference}")
}

fn blob_path(digest: &Digest) -> String {
    format!("/v2/{REPO}/blobs/{digest}")
}

/// A small image: config, one layer, manifest.
struct Image {
    config: Vec<u8>,
    config_desc: Descriptor,
    layer: Vec<u8>,
    layer_desc: Descriptor,
    manifest: Vec<u8>,
    manifest_digest: Digest,
}

fn image() -> Image {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let config_desc = Descriptor::of_bytes(media_type::OCI_CONFIG, &config);
    let layer_desc = Descriptor::of_bytes(media_type::OCI_LAYER_TAR_GZIP, &layer);
    let raw = ImageManifest::new(config_desc.clone(), vec![layer_desc.clone()])
        .to_raw()
        .unwrap();
    Image {
        config,
        config_desc,
        layer,
        layer_desc,
        manifest: raw.bytes().to_vec(),
        manifest_digest: *raw.digest(),
    }
}

/// The layer with one byte changed: same size, other digest.
fn tampered(bytes: &[u8]) -> Vec<u8> {
    let mut evil = bytes.to_vec();
    evil[0] ^= 0xff;
    evil
}

fn manifest_reply(body: &[u8], content_type: &str, digest: &Digest) -> Reply {
    Reply::new(200)
        .header("Content-Type", content_type)
        .header("Docker-Content-Digest", digest.to_string())
        .bytes(body.to_vec())
}

/// A registry answering `reply` to requests for `paths` and 404 to the rest, and an anonymous
/// store on it.
async fn serve_at(
    paths: Vec<String>,
    reply: impl Fn(&Req) -> Reply + Send + Sync + 'static,
) -> (Evil, RegistryStore) {
    let evil = Evil::start("127.0.0.1", move |_| {
        move |req: &Req| {
            if paths.iter().any(|p| p == req.path()) {
                reply(req)
            } else {
                Reply::not_found()
            }
        }
    })
    .await;
    let s = store(evil.addr, Credential::Anonymous);
    (evil, s)
}

/// A registry that serves only one blob, framed by `body`.
async fn blob_server(digest: Digest, body: impl Fn() -> Body + Send + Sync + 'static) -> Evil {
    let octets = move |_: &Req| {
        Reply::new(200)
            .header("Content-Type", "application/octet-stream")
            .body(body())
    };
    serve_at(vec![blob_path(&digest)], octets).await.0
}

async fn read_blob(store: &RegistryStore, desc: &Descriptor) -> Result<Vec<u8>, Error> {
    store.get_blob(desc).await?.read_to_vec(64 * MIB).await
}

// ------------------------------------------------------------------------------------------
// 1. Oversized manifests
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_manifest_announced_by_content_length_is_refused_unread() {
    guard(async {
        let img = image();
        let d = img.manifest_digest;
        let paths = vec![manifest_path(d.as_str()), manifest_path("big")];
        let (mut evil, s) = serve_at(paths, move |_: &Req| {
            Reply::new(200)
                .header("Content-Type", media_type::OCI_MANIFEST)
                .header("Docker-Content-Digest", d.to_string())
                // One GiB announced: the client must not even start downloading it.
                .body(Body::Endless {
                    content_length: Some(1024 * MIB),
                })
        })
        .await;

        let err = s.get_manifest(&ManifestRef::Digest(d)).await.unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit, .. } if limit == MAX_MANIFEST_BYTES),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Integrity);
        evil.assert_client_closed().await;

        // resolve() by HEAD sees the announced size and refuses as well.
        let err = s
            .resolve(&ManifestRef::Tag("big".into()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit, .. } if limit == MAX_MANIFEST_BYTES),
            "{err:?}"
        );
        assert!(evil.requests().iter().any(|r| r.method == "HEAD"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_chunked_manifest_is_cut_off_at_the_limit() {
    guard(async {
        let img = image();
        let d = img.manifest_digest;
        let (mut evil, s) = serve_at(
            vec![manifest_path(d.as_str()), manifest_path("v1")],
            move |_: &Req| {
                // No length, no digest header: the body just keeps going.
                Reply::new(200)
                    .header("Content-Type", media_type::OCI_MANIFEST)
                    .body(Body::Endless {
                        content_length: None,
                    })
            },
        )
        .await;

        for reference in [ManifestRef::Digest(d), ManifestRef::Tag("v1".into())] {
            let err = s.get_manifest(&reference).await.unwrap_err();
            assert!(
                matches!(err, Error::TooLarge { limit, .. } if limit == MAX_MANIFEST_BYTES),
                "{reference}: {err:?}"
            );
            // The client stopped reading and closed the connection long before the cap.
            evil.assert_client_closed().await;
        }

        // resolve() has no size from HEAD here, falls back to GET, and is bounded the same way.
        let err = s.resolve(&ManifestRef::Tag("v1".into())).await.unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
        // HEAD of an endless body sends headers only; the GET fallback streams.
        evil.assert_client_closed().await;
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 2. Manifest digests
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_by_digest_must_hash_to_that_digest() {
    guard(async {
        let img = image();
        let wanted = img.manifest_digest;
        // A valid manifest, but another one (annotations differ), with a lying digest header.
        let mut other = ImageManifest::new(img.config_desc.clone(), vec![img.layer_desc.clone()]);
        other.annotations.insert("evil".into(), "yes".into());
        let other = other.to_raw().unwrap();
        let served = other.bytes().to_vec();
        let actual = *other.digest();
        let (_evil, s) = serve_at(vec![manifest_path(wanted.as_str())], move |_: &Req| {
            manifest_reply(&served, media_type::OCI_MANIFEST, &wanted)
        })
        .await;

        let err = s
            .get_manifest(&ManifestRef::Digest(wanted))
            .await
            .unwrap_err();
        match &err {
            Error::DigestMismatch {
                expected,
                actual: a,
                ..
            } => {
                assert_eq!(**expected, wanted);
                assert_eq!(**a, actual);
            }
            other => panic!("expected DigestMismatch, got {other:?}"),
        }
        assert_eq!(err.kind(), ErrorKind::Integrity);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_by_tag_must_hash_to_the_announced_digest() {
    guard(async {
        let img = image();
        let body = img.manifest.clone();
        let real = img.manifest_digest;
        let announced = Digest::sha256_of(b"some other manifest");
        let (_evil, s) = serve_at(vec![manifest_path("v1")], move |_: &Req| {
            manifest_reply(&body, media_type::OCI_MANIFEST, &announced)
        })
        .await;

        let err = s
            .get_manifest(&ManifestRef::Tag("v1".into()))
            .await
            .unwrap_err();
        match &err {
            Error::DigestMismatch {
                expected, actual, ..
            } => {
                assert_eq!(**expected, announced);
                assert_eq!(**actual, real);
            }
            other => panic!("expected DigestMismatch, got {other:?}"),
        }
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 3. Blob digests
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_blob_of_the_right_size_fails_at_the_end() {
    guard(async {
        let img = image();
        let evil_bytes = tampered(&img.layer);
        let evil = blob_server(img.layer_desc.digest, move || {
            Body::Fixed(evil_bytes.clone())
        })
        .await;
        let s = store(evil.addr, Credential::Anonymous);

        let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
        match &err {
            Error::DigestMismatch {
                expected, actual, ..
            } => {
                assert_eq!(**expected, img.layer_desc.digest);
                assert_eq!(**actual, Digest::sha256_of(&tampered(&img.layer)));
            }
            other => panic!("expected DigestMismatch, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_of_a_tampered_blob_leaves_nothing_in_the_layout() {
    guard(async {
        let img = image();
        let Image {
            config,
            config_desc,
            layer,
            layer_desc,
            manifest,
            manifest_digest,
        } = image();
        let evil = Evil::start("127.0.0.1", move |_| {
            move |req: &Req| {
                let p = req.path();
                if p == manifest_path("v1") || p == manifest_path(manifest_digest.as_str()) {
                    manifest_reply(&manifest, media_type::OCI_MANIFEST, &manifest_digest)
                } else if p == blob_path(&config_desc.digest) {
                    Reply::new(200).bytes(config.clone())
                } else if p == blob_path(&layer_desc.digest) {
                    Reply::new(200).bytes(tampered(&layer))
                } else {
                    Reply::not_found()
                }
            }
        })
        .await;
        let src = store(evil.addr, Credential::Anonymous);
        let dir = tempfile::tempdir().unwrap();
        let dst = LayoutStore::create(dir.path().join("dst")).await.unwrap();

        let err = copy_image(
            &src,
            &ManifestRef::Tag("v1".into()),
            &dst,
            Some("v1"),
            &CopyOptions::new(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, Error::DigestMismatch { expected, .. } if **expected == img.layer_desc.digest),
            "{err:?}"
        );

        // The config (verified) made it; the tampered layer and its temporary file did not.
        let blobs = dir.path().join("dst/blobs/sha256");
        let mut names: Vec<String> = std::fs::read_dir(&blobs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![img.config_desc.digest.encoded().to_owned()]);
        assert!(!names.iter().any(|n| n.starts_with(".tmp-")));
        assert!(!dst.blob_exists(&img.layer_desc.digest).await.unwrap());
        // And the tag was never written.
        let err = dst.resolve(&ManifestRef::Tag("v1".into())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 4. Blob sizes
// ------------------------------------------------------------------------------------------

/// Bodies without a `Content-Length`: chunked, or delimited by closing the connection.
type Framing = fn(Vec<u8>) -> Body;
const UNSIZED_FRAMINGS: [(&str, Framing); 2] = [
    ("chunked", Body::Chunked),
    ("close-delimited", Body::CloseDelimited),
];

fn with_extra(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.extend_from_slice(b"extra bytes the descriptor does not know about");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_longer_than_its_descriptor_is_refused() {
    guard(async {
        let img = image();
        let size = img.layer_desc.size;
        let long = with_extra(&img.layer);
        let long_len = long.len() as u64;

        // Content-Length announcing the real, larger size: refused before reading.
        let l = long.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::Fixed(l.clone())).await;
        let s = store(evil.addr, Credential::Anonymous);
        let err = s.get_blob(&img.layer_desc).await.unwrap_err();
        assert!(
            matches!(err, Error::SizeMismatch { expected, actual, .. } if expected == size && actual == long_len),
            "{err:?}"
        );

        // No length at all (chunked, or delimited by closing): refused once past the size.
        for (name, frame) in UNSIZED_FRAMINGS {
            let l = long.clone();
            let evil = blob_server(img.layer_desc.digest, move || frame(l.clone())).await;
            let s = store(evil.addr, Credential::Anonymous);
            let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
            assert!(
                matches!(err, Error::SizeMismatch { expected, actual, .. } if expected == size && actual > size),
                "{name}: {err:?}"
            );
        }

        // A Content-Length that lies (says the descriptor's size, then more bytes follow): HTTP
        // framing ends the body at the announced length, so the extra bytes never reach the
        // caller and what is read is exactly the verified content.
        let l = long.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::LyingLength {
            length: size,
            bytes: l.clone(),
        })
        .await;
        let s = store(evil.addr, Credential::Anonymous);
        assert_eq!(read_blob(&s, &img.layer_desc).await.unwrap(), img.layer);
        // ... and when those first bytes are not the content, the digest check catches it.
        let mut wrong = tampered(&img.layer);
        wrong.extend_from_slice(b"more");
        let evil = blob_server(img.layer_desc.digest, move || Body::LyingLength {
            length: size,
            bytes: wrong.clone(),
        })
        .await;
        let s = store(evil.addr, Credential::Anonymous);
        let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_shorter_than_its_descriptor_is_refused() {
    guard(async {
        let img = image();
        let size = img.layer_desc.size;
        let short = img.layer[..img.layer.len() - 100].to_vec();
        let short_len = short.len() as u64;

        // Honest Content-Length: refused before reading.
        let b = short.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::Fixed(b.clone())).await;
        let s = store(evil.addr, Credential::Anonymous);
        let err = s.get_blob(&img.layer_desc).await.unwrap_err();
        assert!(
            matches!(err, Error::SizeMismatch { expected, actual, .. } if expected == size && actual == short_len),
            "{err:?}"
        );

        // No length: the body ends early and the reader says how much it got.
        for (name, frame) in UNSIZED_FRAMINGS {
            let b = short.clone();
            let evil = blob_server(img.layer_desc.digest, move || frame(b.clone())).await;
            let s = store(evil.addr, Credential::Anonymous);
            let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
            assert!(
                matches!(err, Error::SizeMismatch { expected, actual, .. } if expected == size && actual == short_len),
                "{name}: {err:?}"
            );
        }

        // A lying Content-Length (the descriptor's size) and a connection cut short: a transfer
        // failure, reported as such (not as a local I/O error).
        let b = short.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::LyingLength {
            length: size,
            bytes: b.clone(),
        })
        .await;
        let s = store(evil.addr, Credential::Anonymous);
        let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
        assert!(matches!(err, Error::Http { .. }), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_reader_cannot_be_talked_past_its_checks() {
    guard(async {
        let img = image();
        let size = img.layer_desc.size;
        let long = with_extra(&img.layer);
        let evil = blob_server(img.layer_desc.digest, move || Body::Chunked(long.clone())).await;
        let s = store(evil.addr, Credential::Anonymous);

        // Read exactly the announced size, then make an empty read (legal, and what some
        // adapters do): it must not be taken for the end of the stream.
        let mut reader: BlobReader = s.get_blob(&img.layer_desc).await.unwrap();
        let mut buf = vec![0u8; usize::try_from(size).unwrap()];
        reader.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, img.layer);
        assert_eq!(reader.read(&mut []).await.unwrap(), 0);
        let mut rest = Vec::new();
        let err = reader.read_to_end(&mut rest).await.unwrap_err();
        let err = BlobReader::into_store_error(err, "blob");
        assert!(matches!(err, Error::SizeMismatch { .. }), "{err:?}");
        assert!(rest.is_empty());

        // Once failed, a reader keeps failing: a caller that retries must not see a clean end.
        let mut again = [0u8; 16];
        let err = reader.read(&mut again).await.unwrap_err();
        let err = BlobReader::into_store_error(err, "blob");
        assert!(matches!(err, Error::SizeMismatch { .. }), "{err:?}");
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 5. Credentials and redirects
// ------------------------------------------------------------------------------------------

/// A storage host that serves `bytes` at any path and records what it was sent.
async fn storage(ip: &str, bytes: Vec<u8>) -> Evil {
    Evil::start(ip, move |_| {
        move |_req: &Req| {
            Reply::new(200)
                .header("Content-Type", "application/octet-stream")
                .bytes(bytes.clone())
        }
    })
    .await
}

fn assert_no_credentials(storage: &Evil) {
    let requests = storage.requests();
    assert!(!requests.is_empty(), "the redirect target was never asked");
    for r in &requests {
        assert_eq!(
            r.header("authorization"),
            None,
            "credential forwarded: {r:?}"
        );
        assert_eq!(r.header("proxy-authorization"), None, "{r:?}");
        for (k, v) in &r.headers {
            assert!(
                !v.contains(TOKEN) && !v.contains(&basic_header()),
                "credential forwarded in {k}: {r:?}"
            );
        }
    }
}

async fn basic_auth_then_redirect(target_ip: &str) {
    let img = image();
    let cdn = storage(target_ip, img.layer.clone()).await;
    let cdn_addr = cdn.addr;
    let digest = img.layer_desc.digest;
    let registry = Evil::start("127.0.0.1", move |_| {
        move |req: &Req| {
            if req.path() != blob_path(&digest) {
                return Reply::not_found();
            }
            if req.header("authorization") == Some(basic_header().as_str()) {
                Reply::new(307).header(
                    "Location",
                    format!(
                        "http://{cdn_addr}/storage/{}?signature=abc",
                        digest.encoded()
                    ),
                )
            } else {
                Reply::new(401).header("WWW-Authenticate", "Basic realm=\"x\"")
            }
        }
    })
    .await;
    let s = store(registry.addr, basic());

    assert_eq!(read_blob(&s, &img.layer_desc).await.unwrap(), img.layer);

    let seen = registry.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].header("authorization"), None);
    assert_eq!(
        seen[1].header("authorization"),
        Some(basic_header().as_str())
    );
    assert_no_credentials(&cdn);
    assert!(cdn.requests()[0].target.starts_with("/storage/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_credentials_are_not_forwarded_to_a_redirect_target() {
    guard(async {
        // Another loopback host, then the same host on another port: both are other origins.
        basic_auth_then_redirect("127.0.0.2").await;
        basic_auth_then_redirect("127.0.0.1").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_is_not_forwarded_to_a_redirect_target() {
    guard(async {
        let img = image();
        let cdn = storage("127.0.0.2", img.layer.clone()).await;
        let cdn_addr = cdn.addr;
        let digest = img.layer_desc.digest;
        let registry = Evil::start("127.0.0.1", move |me| {
            move |req: &Req| {
                if req.path() == "/token" {
                    return Reply::new(200)
                        .header("Content-Type", "application/json")
                        .bytes(format!(r#"{{"token":"{TOKEN}"}}"#));
                }
                if req.path() != blob_path(&digest) {
                    return Reply::not_found();
                }
                if req.header("authorization") == Some(format!("Bearer {TOKEN}").as_str()) {
                    Reply::new(307).header("Location", format!("http://{cdn_addr}/storage/blob"))
                } else {
                    Reply::new(401).header(
                        "WWW-Authenticate",
                        format!(r#"Bearer realm="http://{me}/token",service="x""#),
                    )
                }
            }
        })
        .await;
        let s = store(registry.addr, basic());

        assert_eq!(read_blob(&s, &img.layer_desc).await.unwrap(), img.layer);

        let seen = registry.requests();
        let token_req = seen.iter().find(|r| r.path() == "/token").unwrap();
        // The token service got the user's credentials and the pull scope for this repository.
        assert_eq!(
            token_req.header("authorization"),
            Some(basic_header().as_str())
        );
        assert!(token_req.query().contains("service=x"), "{token_req:?}");
        assert!(
            token_req
                .query()
                .contains("scope=repository%3Aevil%2Fapp%3Apull"),
            "{token_req:?}"
        );
        let blob_reqs: Vec<_> = seen
            .iter()
            .filter(|r| r.path() == blob_path(&digest))
            .collect();
        assert_eq!(blob_reqs.len(), 2);
        assert_eq!(blob_reqs[0].header("authorization"), None);
        assert_eq!(
            blob_reqs[1].header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_no_credentials(&cdn);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_target_cannot_ask_for_credentials() {
    guard(async {
        let img = image();
        // The redirect target answers 401 with its own token service: following that challenge
        // would send the user's registry credentials to a host that is not the registry.
        let cdn = Evil::start("127.0.0.2", |me| {
            move |req: &Req| {
                if req.path() == "/token" {
                    Reply::new(200).bytes(format!(r#"{{"token":"{TOKEN}"}}"#))
                } else {
                    Reply::new(401).header(
                        "WWW-Authenticate",
                        format!(r#"Bearer realm="http://{me}/token",service="cdn""#),
                    )
                }
            }
        })
        .await;
        let cdn_addr = cdn.addr;
        let registry = Evil::start("127.0.0.1", move |_| {
            // Anonymous pulls allowed: redirects straight away.
            move |_req: &Req| {
                Reply::new(307).header("Location", format!("http://{cdn_addr}/storage/blob"))
            }
        })
        .await;
        let s = store(registry.addr, basic());

        let err = s.get_blob(&img.layer_desc).await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        for r in cdn.requests() {
            assert_eq!(r.header("authorization"), None, "credential sent to {r:?}");
            assert_ne!(
                r.path(),
                "/token",
                "the client asked the redirect target for a token"
            );
        }
        // Nor does the registry get a token minted by the other host.
        for r in registry.requests() {
            assert_eq!(r.header("authorization"), None, "{r:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_errors_do_not_reveal_a_signed_redirect_url() {
    guard(async {
        let img = image();
        let size = img.layer_desc.size;
        let short = img.layer[..img.layer.len() / 2].to_vec();
        // A pre-signed storage URL: its query is a bearer secret of its own.
        let cdn = Evil::start("127.0.0.2", move |_| {
            move |_req: &Req| {
                Reply::new(200).body(Body::LyingLength {
                    length: size,
                    bytes: short.clone(),
                })
            }
        })
        .await;
        let cdn_addr = cdn.addr;
        let registry = Evil::start("127.0.0.1", move |_| {
            move |_req: &Req| {
                Reply::new(307).header(
                    "Location",
                    format!("http://{cdn_addr}/storage/blob?X-Amz-Signature=s3cr3t"),
                )
            }
        })
        .await;
        let s = store(registry.addr, Credential::Anonymous);
        let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            message.push_str(&format!(": {e}"));
            source = e.source();
        }
        assert!(!message.contains("s3cr3t"), "{message}");
        assert!(
            message.contains(&blob_path(&img.layer_desc.digest)),
            "{message}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_to_plain_http_elsewhere_is_refused() {
    guard(async {
        let img = image();
        let registry = Evil::start("127.0.0.1", |_| {
            // A non-loopback address (TEST-NET-1): the policy refuses before connecting.
            |_req: &Req| Reply::new(307).header("Location", "http://192.0.2.1:8080/storage/blob")
        })
        .await;
        let s = store(registry.addr, basic());
        let err = s.get_blob(&img.layer_desc).await.unwrap_err();
        assert!(
            matches!(&err, Error::Http { source, .. } if source.is_redirect()),
            "{err:?}"
        );
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 6. Token responses
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_token_response_is_refused() {
    guard(async {
        let img = image();
        for content_length in [Some(2 * MIB), Some(1024 * MIB), None] {
            let digest = img.layer_desc.digest;
            let mut registry = Evil::start("127.0.0.1", move |me| {
                move |req: &Req| {
                    if req.path() == "/token" {
                        Reply::new(200)
                            .header("Content-Type", "application/json")
                            .body(Body::Endless { content_length })
                    } else if req.path() == blob_path(&digest) {
                        Reply::new(401).header(
                            "WWW-Authenticate",
                            format!(r#"Bearer realm="http://{me}/token",service="x""#),
                        )
                    } else {
                        Reply::not_found()
                    }
                }
            })
            .await;
            let s = store(registry.addr, Credential::Anonymous);
            let err = s.get_blob(&img.layer_desc).await.unwrap_err();
            assert!(
                matches!(err, Error::TooLarge { limit, .. } if limit == MAX_TOKEN_BYTES),
                "{content_length:?}: {err:?}"
            );
            if content_length != Some(2 * MIB) {
                // Too much for the socket buffers: only a client that went away ends it.
                registry.assert_client_closed().await;
            }
        }
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 7. Media type confusion
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_media_type_must_agree_with_content_type() {
    guard(async {
        let img = image();
        let body = img.manifest.clone();
        let d = img.manifest_digest;
        let (_evil, s) = serve_at(vec![manifest_path(d.as_str()), manifest_path("v1")], move |_: &Req| {
                    // The body says image manifest; the header says index.
                    manifest_reply(&body, media_type::OCI_INDEX, &d)
        })
        .await;
        for reference in [ManifestRef::Digest(d), ManifestRef::Tag("v1".into())] {
            let err = s.get_manifest(&reference).await.unwrap_err();
            assert!(
                matches!(&err, Error::InvalidManifest { reason, .. } if reason.contains("served as")),
                "{reference}: {err:?}"
            );
            assert_eq!(err.kind(), ErrorKind::Invalid);
        }
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// 8. Referrers
// ------------------------------------------------------------------------------------------

fn referrers_path(subject: &Digest) -> String {
    format!("/v2/{REPO}/referrers/{subject}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_referrers_response_is_refused() {
    guard(async {
        let subject = image().manifest_digest;
        let junk: Vec<&'static [u8]> = vec![
            b"not json at all",
            b"\x00\xff\xfe garbage",
            br#"{"schemaVersion":2,"manifests":"nope"}"#,
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:00","size":1}]}"#,
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"md5:d41d8cd98f00b204e9800998ecf8427e","size":1}]}"#,
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"x","size":-1}]}"#,
        ];
        for body in junk {
            let (_evil, s) = serve_at(vec![referrers_path(&subject)], move |_: &Req| {
                        Reply::new(200)
                            .header("Content-Type", media_type::OCI_INDEX)
                            .bytes(body.to_vec())
            })
            .await;
            let err = s.referrers(&subject, None).await.unwrap_err();
            assert!(
                matches!(err, Error::InvalidManifest { .. }),
                "{}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrers_server_errors_are_errors_not_an_empty_list() {
    guard(async {
        let subject = image().manifest_digest;
        for status in [500u16, 503, 401, 403, 429] {
            let (_evil, s) = serve_at(vec![referrers_path(&subject)], move |_: &Req| {
                Reply::new(status).bytes(b"{}".to_vec())
            })
            .await;
            let err = s.referrers(&subject, None).await.unwrap_err();
            assert!(
                !matches!(err, Error::NotFound { .. }),
                "status {status}: {err:?}"
            );
            assert!(
                err.to_string().contains(&status.to_string()),
                "{status}: {err}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_referrers_response_is_refused() {
    guard(async {
        let subject = image().manifest_digest;
        for content_length in [Some(1024 * MIB), None] {
            let (mut evil, s) = serve_at(vec![referrers_path(&subject)], move |_: &Req| {
                Reply::new(200)
                    .header("Content-Type", media_type::OCI_INDEX)
                    .body(Body::Endless { content_length })
            })
            .await;
            let err = s.referrers(&subject, None).await.unwrap_err();
            assert!(
                matches!(err, Error::TooLarge { limit, .. } if limit == MAX_MANIFEST_BYTES),
                "{content_length:?}: {err:?}"
            );
            evil.assert_client_closed().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrers_fall_back_to_the_tag_schema_on_404() {
    guard(async {
        let img = image();
        let subject = img.manifest_digest;
        let sig = Descriptor::of_bytes(media_type::OCI_MANIFEST, b"a signature manifest")
            .with_artifact_type("application/vnd.dev.sigstore.bundle.v0.3+json");
        let sbom = Descriptor::of_bytes(media_type::OCI_MANIFEST, b"an sbom manifest")
            .with_artifact_type("application/spdx+json");
        let index = ImageIndex::new(vec![sig.clone(), sbom.clone()])
            .to_raw()
            .unwrap();
        let index_bytes = index.bytes().to_vec();
        let index_digest = *index.digest();
        let tag = referrers_tag(&subject);
        assert_eq!(tag, format!("sha256-{}", subject.encoded()));
        let tag_path = manifest_path(&tag);
        let (evil, s) = serve_at(vec![tag_path], move |_: &Req| {
            // Including /referrers/: a registry without the referrers API.
            manifest_reply(&index_bytes, media_type::OCI_INDEX, &index_digest)
        })
        .await;

        let all = s.referrers(&subject, None).await.unwrap();
        assert_eq!(all, vec![sig.clone(), sbom.clone()]);
        let only = s
            .referrers(&subject, Some("application/spdx+json"))
            .await
            .unwrap();
        assert_eq!(only, vec![sbom]);

        let seen = evil.requests();
        assert!(seen.iter().any(|r| r.path() == referrers_path(&subject)));
        assert!(seen.iter().any(|r| r.path() == manifest_path(&tag)));

        // No referrers API and no tag: no referrers, not an error.
        let other = Digest::sha256_of(b"an image without referrers");
        assert_eq!(s.referrers(&other, None).await.unwrap(), Vec::new());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrers_tag_fallback_is_verified() {
    guard(async {
        let subject = image().manifest_digest;
        let index = ImageIndex::new(vec![]).to_raw().unwrap();
        let body = index.bytes().to_vec();
        let tag_path = manifest_path(&referrers_tag(&subject));
        let lie = Digest::sha256_of(b"not this index");
        let (_evil, s) = serve_at(vec![tag_path], move |_: &Req| {
            manifest_reply(&body, media_type::OCI_INDEX, &lie)
        })
        .await;
        let err = s.referrers(&subject, None).await.unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// Error bodies
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_error_bodies_are_bounded() {
    guard(async {
        let img = image();
        for status in [500, 404, 401] {
            let mut evil = Evil::start("127.0.0.1", move |_| {
                move |_req: &Req| {
                    Reply::new(status).body(Body::Endless {
                        content_length: None,
                    })
                }
            })
            .await;
            let s = store(evil.addr, Credential::Anonymous);
            let err = s.get_blob(&img.layer_desc).await.unwrap_err();
            match (status, &err) {
                (500, Error::Registry { status: 500, .. })
                | (404, Error::NotFound { .. })
                | (401, Error::Unauthorized { .. }) => {}
                _ => panic!("{status}: unexpected {err:?}"),
            }
            evil.assert_client_closed().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_with_control_characters_become_one_short_line() {
    guard(async {
        let img = image();
        // A distribution error whose message forges a log line and recolours the terminal,
        // padded to 60 KiB.
        let forged = format!(
            "{{\"errors\":[{{\"code\":\"DENIED\",\"message\":\"nope\\u001b[31m\\r\\nINFO copy succeeded{}\"}}]}}",
            "\\u0007x".repeat(9_000)
        );
        let plain = format!("oops\x1b]0;title\x07\r\n{}", "y".repeat(60_000));
        // Over the 64 KiB read of an error body: its start.
        let long = format!("\x1b[2J{}", "w".repeat(200_000));
        for body in [forged, plain, long] {
            let evil = Evil::start("127.0.0.1", move |_| {
                move |_req: &Req| Reply::new(500).bytes(body.clone().into_bytes())
            })
            .await;
            let s = store(evil.addr, Credential::Anonymous);
            let err = s.get_blob(&img.layer_desc).await.unwrap_err();
            assert!(matches!(err, Error::Registry { status: 500, .. }), "{err:?}");
            let shown = err.to_string();
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(shown.len() < 600, "{} characters: {shown}", shown.len());
            assert!(shown.ends_with("… (cut)"), "{shown}");
            assert!(shown.contains("\\u{1b}"), "{shown}");
        }

        // A challenge that does not parse is quoted, short.
        let evil = Evil::start("127.0.0.1", move |_| {
            move |_req: &Req| {
                Reply::new(401).header("WWW-Authenticate", format!("Bearer {}", "z".repeat(8000)))
            }
        })
        .await;
        let s = store(evil.addr, Credential::Anonymous);
        let err = s.get_blob(&img.layer_desc).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err:?}");
        let shown = err.to_string();
        assert!(shown.contains("unparseable challenge") && shown.len() < 600, "{shown}");
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// Index fan-out
// ------------------------------------------------------------------------------------------

/// Serves `manifests` by digest (the first also by the tag `bomb`) and the blobs of `image()`,
/// and counts the manifest requests by path.
async fn manifest_server(manifests: Vec<(Vec<u8>, String, Digest)>) -> Evil {
    let img = image();
    Evil::start("127.0.0.1", move |_| {
        let top = manifests[0].2;
        let by_path: std::collections::HashMap<String, (Vec<u8>, String, Digest)> = manifests
            .into_iter()
            .map(|m| (manifest_path(m.2.as_str()), m))
            .collect();
        let tag = manifest_path("bomb");
        let blobs = [
            (blob_path(&img.config_desc.digest), img.config.clone()),
            (blob_path(&img.layer_desc.digest), img.layer.clone()),
        ];
        move |req: &Req| {
            let path = if req.path() == tag {
                manifest_path(top.as_str())
            } else {
                req.path().to_owned()
            };
            if let Some((body, media, digest)) = by_path.get(&path) {
                return manifest_reply(body, media, digest);
            }
            match blobs.iter().find(|(p, _)| *p == path) {
                Some((_, b)) => Reply::new(200).bytes(b.clone()),
                None => Reply::not_found(),
            }
        }
    })
    .await
}

fn raw_entry(raw: &boltseal_oci::RawManifest) -> (Vec<u8>, String, Digest) {
    (
        raw.bytes().to_vec(),
        raw.media_type().to_owned(),
        *raw.digest(),
    )
}

fn manifest_gets(evil: &Evil) -> Vec<String> {
    evil.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path().contains("/manifests/"))
        .map(|r| r.path().to_owned())
        .collect()
}

async fn copy_bomb(evil: &Evil, options: &CopyOptions) -> Result<boltseal_oci::CopyReport, Error> {
    let s = store(evil.addr, Credential::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    let dst = LayoutStore::create(dir.path().join("dst")).await.unwrap();
    copy_image(
        &s,
        &ManifestRef::Tag("bomb".into()),
        &dst,
        Some("v1"),
        options,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_fan_out_bomb_of_shared_indexes_is_fetched_once_per_digest() {
    guard(async {
        // Three levels of 20 indexes, each listing all 20 of the next level, over one image:
        // 20^3 = 8000 paths to the image, 62 distinct manifests.
        let img = image();
        let image_raw =
            boltseal_oci::RawManifest::new(img.manifest.clone(), media_type::OCI_MANIFEST);
        let mut manifests = vec![raw_entry(&image_raw)];
        let mut level = vec![image_raw.descriptor()];
        for depth in 0..3 {
            let next: Vec<_> = (0..20)
                .map(|i| {
                    let mut index = ImageIndex::new(level.clone());
                    index.annotations.insert("n".into(), format!("{depth}-{i}"));
                    index.to_raw().unwrap()
                })
                .collect();
            manifests.extend(next.iter().map(raw_entry));
            level = next.iter().map(|r| r.descriptor()).collect();
        }
        let top = ImageIndex::new(level).to_raw().unwrap();
        manifests.insert(0, raw_entry(&top));
        let evil = manifest_server(manifests).await;

        let started = std::time::Instant::now();
        let report = copy_bomb(&evil, &CopyOptions::new()).await.unwrap();
        assert_eq!(report.manifests, 62);
        assert_eq!(report.descriptor.unwrap().digest, *top.digest());
        let mut gets = manifest_gets(&evil);
        let all = gets.len();
        gets.sort();
        gets.dedup();
        assert_eq!(all, gets.len(), "a manifest was fetched twice");
        assert_eq!(all, 62);
        assert!(started.elapsed() < Duration::from_secs(10));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_fan_out_bomb_is_refused_by_the_manifest_budget() {
    guard(async {
        // An index of 40 indexes of 40 distinct indexes each: 1641 manifests.
        let mut manifests = Vec::new();
        let mut middle = Vec::new();
        for i in 0..40 {
            let leaves: Vec<_> = (0..40)
                .map(|j| {
                    let mut leaf = ImageIndex::new(Vec::new());
                    leaf.annotations.insert("n".into(), format!("{i}-{j}"));
                    leaf.to_raw().unwrap()
                })
                .collect();
            manifests.extend(leaves.iter().map(raw_entry));
            let index = ImageIndex::new(leaves.iter().map(|r| r.descriptor()).collect())
                .to_raw()
                .unwrap();
            middle.push(index.descriptor());
            manifests.push(raw_entry(&index));
        }
        let top = ImageIndex::new(middle).to_raw().unwrap();
        manifests.insert(0, raw_entry(&top));
        let evil = manifest_server(manifests).await;

        // The default budget.
        let started = std::time::Instant::now();
        let err = copy_bomb(&evil, &CopyOptions::new()).await.unwrap_err();
        let limit = boltseal_oci::DEFAULT_MAX_MANIFESTS as u64;
        assert!(
            matches!(&err, Error::LimitExceeded { limit: l, seen, option: "CopyOptions::max_manifests", .. }
                if *l == limit && *seen == limit + 1),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Integrity);
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("{} manifests, over the limit of {limit}", limit + 1)),
            "{shown}"
        );
        assert!(manifest_gets(&evil).len() as u64 <= limit, "{}", manifest_gets(&evil).len());
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());

        // A budget set lower stops sooner.
        let before = manifest_gets(&evil).len();
        let err = copy_bomb(&evil, &CopyOptions::new().max_manifests(10))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::LimitExceeded { limit: 10, seen: 11, .. }),
            "{err:?}"
        );
        assert!(manifest_gets(&evil).len() - before <= 10);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_indexes_are_refused() {
    guard(async {
        // A chain of 8 indexes.
        let mut manifests = Vec::new();
        let mut child = ImageIndex::new(Vec::new()).to_raw().unwrap();
        manifests.push(raw_entry(&child));
        for _ in 0..8 {
            child = ImageIndex::new(vec![child.descriptor()]).to_raw().unwrap();
            manifests.push(raw_entry(&child));
        }
        manifests.reverse();
        let evil = manifest_server(manifests).await;
        let err = copy_bomb(&evil, &CopyOptions::new()).await.unwrap_err();
        let limit = boltseal_oci::DEFAULT_MAX_DEPTH as u64;
        assert!(
            matches!(&err, Error::LimitExceeded { limit: l, seen, option: "CopyOptions::max_depth", .. }
                if *l == limit && *seen == limit + 1),
            "{err:?}"
        );
        assert!(err.to_string().contains("levels of nesting"), "{err}");
        assert_eq!(manifest_gets(&evil).len() as u64, limit + 1);
        // Raised, the whole chain is copied.
        let report = copy_bomb(&evil, &CopyOptions::new().max_depth(8)).await.unwrap();
        assert_eq!(report.manifests, 9);
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// Tag lists
// ------------------------------------------------------------------------------------------

/// A tag list that never ends: page `n` links to page `n + 1`, each with `per_page` tags
/// (or, with `per_page` 0, none).
async fn endless_tags(per_page: usize) -> Evil {
    Evil::start("127.0.0.1", move |_| {
        move |req: &Req| {
            let page: usize = req
                .query()
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let tags: Vec<String> = (0..per_page).map(|i| format!("p{page}-t{i}")).collect();
            Reply::new(200)
                .header("Content-Type", "application/json")
                .header(
                    "Link",
                    format!("</v2/{REPO}/tags/list?page={}>; rel=\"next\"", page + 1),
                )
                .bytes(serde_json::json!({ "name": REPO, "tags": tags }).to_string())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_tag_list_is_refused_naming_the_limit() {
    guard(async {
        // Many tags per page: the tag count limit (default).
        let evil = endless_tags(2000).await;
        let started = std::time::Instant::now();
        let err = store(evil.addr, Credential::Anonymous).list_tags().await.unwrap_err();
        let limit = RegistryOptions::DEFAULT_MAX_TAGS as u64;
        assert!(
            matches!(&err, Error::LimitExceeded { unit: "tags", limit: l, seen, option: "RegistryOptions::max_tags", .. }
                if *l == limit && *seen == limit + 2000),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Integrity);
        assert!(err.to_string().contains(&format!("over the limit of {limit}")), "{err}");
        assert!(evil.requests().len() as u64 <= limit / 2000 + 1);
        assert!(started.elapsed() < Duration::from_secs(20));

        // Bytes over all pages.
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .tag_list_limits(usize::MAX, 200_000, 1000),
        );
        let err = s.list_tags().await.unwrap_err();
        assert!(
            matches!(&err, Error::LimitExceeded { unit: "bytes", limit: 200_000, seen, .. } if *seen > 200_000),
            "{err:?}"
        );

        // Empty pages: the page limit.
        let evil = endless_tags(0).await;
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .tag_list_limits(1000, 1 << 20, 50),
        );
        let err = s.list_tags().await.unwrap_err();
        assert!(
            matches!(&err, Error::LimitExceeded { unit: "pages", limit: 50, seen: 51, option: "RegistryOptions::max_tag_pages", .. }),
            "{err:?}"
        );
        assert_eq!(evil.requests().len(), 50);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endless_tag_list_page_is_cut_at_the_byte_limit() {
    guard(async {
        let mut evil = Evil::start("127.0.0.1", move |_| {
            move |_req: &Req| {
                Reply::new(200).body(Body::Endless {
                    content_length: None,
                })
            }
        })
        .await;
        let err = store(evil.addr, Credential::Anonymous).list_tags().await.unwrap_err();
        let limit = RegistryOptions::DEFAULT_MAX_TAG_LIST_BYTES;
        assert!(
            matches!(&err, Error::LimitExceeded { unit: "bytes", limit: l, seen, .. } if *l == limit && *seen > limit),
            "{err:?}"
        );
        evil.assert_client_closed().await;
    })
    .await;
}

// ------------------------------------------------------------------------------------------
// Dripping servers
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dripping_documents_are_cut_at_the_request_deadline() {
    guard(async {
        let img = image();
        let limit = Duration::from_secs(2);
        let every = Duration::from_millis(100);
        let manifest = img.manifest.clone();
        let d = img.manifest_digest;
        let token_realm = Arc::new(Mutex::new(String::new()));
        let realm = token_realm.clone();
        let evil = Evil::start("127.0.0.1", move |addr| {
            *realm.lock().unwrap() = format!("http://{addr}/token");
            move |req: &Req| {
                let drip = |bytes: Vec<u8>| Body::Drip { bytes, every };
                match req.path() {
                    // A manifest, one byte every 100 ms.
                    p if p == manifest_path(d.as_str()) => Reply::new(200)
                        .header("Content-Type", media_type::OCI_MANIFEST)
                        .body(drip(manifest.clone())),
                    // An error body.
                    p if p == manifest_path("broken") => {
                        Reply::new(500).body(drip(vec![b'x'; 1000]))
                    }
                    // A token.
                    "/token" => Reply::new(200).body(drip(
                        format!("{{\"token\":\"{}\"}}", "t".repeat(1000)).into_bytes(),
                    )),
                    p if p == manifest_path("private") => Reply::new(401).header(
                        "WWW-Authenticate",
                        format!("Bearer realm=\"http://{addr}/token\",service=evil"),
                    ),
                    // A tag list.
                    p if p.ends_with("/tags/list") => Reply::new(200).body(drip(
                        format!("{{\"tags\":[\"{}\"]}}", "v".repeat(1000)).into_bytes(),
                    )),
                    _ => Reply::not_found(),
                }
            }
        })
        .await;
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .request_timeout(limit),
        );
        let check = |err: Error, started: std::time::Instant| {
            assert!(
                matches!(&err, Error::TimedOut { limit: l, option: "RegistryOptions::request_timeout", .. } if *l == limit),
                "{err:?}"
            );
            assert_eq!(err.kind(), ErrorKind::Transport);
            assert!(err.to_string().contains("not answered within 2s"), "{err}");
            let took = started.elapsed();
            assert!(took >= limit && took < limit * 2, "{took:?}");
        };
        let started = std::time::Instant::now();
        check(s.get_manifest(&ManifestRef::Digest(d)).await.unwrap_err(), started);
        let started = std::time::Instant::now();
        check(s.get_manifest(&ManifestRef::Tag("broken".into())).await.unwrap_err(), started);
        let started = std::time::Instant::now();
        check(s.get_manifest(&ManifestRef::Tag("private".into())).await.unwrap_err(), started);
        let started = std::time::Instant::now();
        check(s.list_tags().await.unwrap_err(), started);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dripping_blob_is_cut_at_the_minimum_rate() {
    guard(async {
        let img = image();
        let layer = img.layer.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::Drip {
            bytes: layer.clone(),
            every: Duration::from_millis(50),
        })
        .await;
        let window = Duration::from_secs(1);
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .min_blob_rate(1024, window),
        );
        let started = std::time::Instant::now();
        let err = read_blob(&s, &img.layer_desc).await.unwrap_err();
        assert!(
            matches!(&err, Error::TooSlow { min_rate: 1024, window: w, received, .. } if *w == window && *received < 1024),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Transport);
        assert!(err.to_string().contains("RegistryOptions::min_blob_rate"), "{err}");
        let took = started.elapsed();
        assert!(took >= window && took < window * 3, "{took:?}");

        // The same server fast enough for the floor: the blob arrives whole.
        let layer = img.layer.clone();
        let evil = blob_server(img.layer_desc.digest, move || Body::Fixed(layer.clone())).await;
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .min_blob_rate(1024, window),
        );
        assert_eq!(read_blob(&s, &img.layer_desc).await.unwrap(), img.layer);
        // Limits set out of reach are no limits (and no overflow).
        let s = store_with(
            evil.addr,
            RegistryOptions::new()
                .credential(Credential::Anonymous)
                .request_timeout(Duration::MAX)
                .min_blob_rate(u64::MAX, Duration::MAX),
        );
        assert_eq!(read_blob(&s, &img.layer_desc).await.unwrap(), img.layer);
    })
    .await;
}
