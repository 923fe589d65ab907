//! Admission webhook benchmark (custom harness: latency percentiles and throughput need
//! concurrent clients, which divan does not model).
//!
//! Warm path: a 3-container Pod whose images are signed, reviewed on `/mutate` over HTTPS with
//! keep-alive after one review filled the verification cache — p50/p99 latency of sequential
//! reviews on one connection, and reviews/s with concurrent connections. Cold path: a fresh
//! engine (empty cache) reviewing a 1-image and a 3-image Pod; the images are reached through a
//! counting TCP proxy in front of the registry, so the report states how many registry HTTP
//! requests each image cost and whether the three images were verified concurrently.
//!
//! `cargo bench --bench admission` (figures on stdout); `-- --test` runs a few reviews of each
//! kind and checks the answers (CI smoke run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/admission_support/mod.rs"]
mod admission_support;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use admission_support::{Server, TestCa, create_review, pod, push_image, sign, signature_policy};
use boltseal::admission::review::decode_response;
use boltseal::admission::{Phase, PolicyReviewer, Webhook};
use boltseal::keys::PrivateKey;
use boltseal::oci::RegistryOptions;
use boltseal::policy::{Engine, PolicySet, RegistryImageVerifier};
use boltseal::sign::SignatureFormat;

async fn review(client: &reqwest::Client, server: &Server, body: Vec<u8>) -> (bool, usize) {
    let resp = client
        .post(server.url("/mutate?timeout=10s"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = decode_response(&resp.bytes().await.unwrap()).unwrap();
    let patches = r.patch_operations().map_or(0, |p| p.len());
    (r.allowed, patches)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// CPU time this process has used (all threads), from `/proc/self/stat` (Linux; zero elsewhere).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    // Clock ticks are 100 per second on Linux.
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

/// The 1-minute load average, to read the figures against.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let (sequential, duration, connections) = if smoke {
        (20, Duration::from_millis(200), 4)
    } else {
        (5_000, Duration::from_secs(5), 16)
    };
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async move {
        let registry = support::Registry::start();
        let proxy = support::CountingProxy::start(registry.addr.clone(), Duration::ZERO);
        let rtt = Duration::from_millis(if smoke { 5 } else { 25 });
        let far = support::CountingProxy::start(registry.addr.clone(), rtt);
        let key = PrivateKey::generate().unwrap();
        let formats = [SignatureFormat::Legacy, SignatureFormat::Bundle, SignatureFormat::Legacy];
        let mut images = Vec::new();
        for (i, format) in formats.into_iter().enumerate() {
            let (text, _) = push_image(&registry.addr, &format!("bench/app{i}"), &format!("{i}")).await;
            sign(&text, &key, format).await;
            // The webhook reaches the same repository through the counting proxy.
            images.push(text.replacen(&registry.addr, &proxy.addr, 1));
        }
        let policy = signature_policy("verify-image-signatures", &["127.0.0.1:*"], &key, "Enforce", "Fail");
        let ca = TestCa::new();

        // Cold path: fresh engines (empty caches) for each image alone, then for all three.
        let client = ca.client();
        let refs: Vec<&str> = images.iter().map(String::as_str).collect();
        let mut singles = Vec::new();
        for (i, image) in refs.iter().enumerate() {
            let server = Server::start(&ca, &policy).await;
            let before = proxy.requests.load(Ordering::Relaxed);
            let started = Instant::now();
            let (ok, patches) =
                review(&client, &server, create_review(&format!("cold-{i}"), pod("one", &[image], &[]))).await;
            singles.push((started.elapsed(), proxy.requests.load(Ordering::Relaxed) - before));
            assert!(ok && patches >= 1, "cold 1-image review");
            server.stop().await;
        }
        let server = Server::start(&ca, &policy).await;
        let before = proxy.requests.load(Ordering::Relaxed);
        let started = Instant::now();
        let (ok, patches) = review(&client, &server, create_review("cold-3", pod("three", &refs, &[]))).await;
        let cold_three = started.elapsed();
        let three_requests = proxy.requests.load(Ordering::Relaxed) - before;
        assert!(ok && patches >= 3, "cold 3-image review");

        // The same Pod, cold, from a registry one `rtt` away: how many round trips in a row.
        let far_refs: Vec<String> = images.iter().map(|i| i.replacen(&proxy.addr, &far.addr, 1)).collect();
        let far_refs: Vec<&str> = far_refs.iter().map(String::as_str).collect();
        let far_server = Server::start(&ca, &policy).await;
        let before = far.requests.load(Ordering::Relaxed);
        let started = Instant::now();
        let (ok, patches) = review(&client, &far_server, create_review("cold-far", pod("far", &far_refs, &[]))).await;
        let cold_far = started.elapsed();
        let far_requests = far.requests.load(Ordering::Relaxed) - before;
        assert!(ok && patches >= 3, "cold 3-image review, distant registry");
        // New images on the webhook that is now running: nothing verified yet, but connections,
        // tokens and what the registry supports are known — the usual cold path in production.
        let mut fresh = Vec::new();
        for (i, format) in formats.into_iter().enumerate() {
            let (text, _) = push_image(&registry.addr, &format!("bench/new{i}"), &format!("n{i}")).await;
            sign(&text, &key, format).await;
            fresh.push(text.replacen(&registry.addr, &far.addr, 1));
        }
        let fresh: Vec<&str> = fresh.iter().map(String::as_str).collect();
        let before = far.requests.load(Ordering::Relaxed);
        let started = Instant::now();
        let (ok, patches) = review(&client, &far_server, create_review("new-far", pod("new", &fresh, &[]))).await;
        let new_far = started.elapsed();
        let new_far_requests = far.requests.load(Ordering::Relaxed) - before;
        assert!(ok && patches >= 3, "new 3-image review, distant registry");
        far_server.stop().await;

        // Warm path on the same server: the cache now holds the three images.
        let body = create_review("warm", pod("warm", &refs, &[]));

        // The server's own work per warm review, without transport: decode, evaluate, encode.
        let engine = Engine::new(
            PolicySet::from_yaml_str("policy.yaml", &policy).unwrap(),
            Arc::new(RegistryImageVerifier::new(RegistryOptions::new(), Duration::from_secs(300))),
        );
        let direct = Webhook::new(PolicyReviewer::new(Arc::new(engine)));
        let first = direct.answer(Phase::Mutate, Some("timeout=10s"), &body).await.unwrap();
        assert!(first.allowed);
        let rounds = sequential;
        let started = Instant::now();
        for _ in 0..rounds {
            let r = direct.answer(Phase::Mutate, Some("timeout=10s"), &body).await.unwrap();
            std::hint::black_box(r.to_review_json());
        }
        let per_direct = started.elapsed() / rounds as u32;
        let mut latencies = Vec::with_capacity(sequential);
        let client = ca.client();
        for _ in 0..sequential.min(50) {
            review(&client, &server, body.clone()).await; // connection and allocator warm-up
        }
        let warm_requests_before = proxy.requests.load(Ordering::Relaxed);
        for _ in 0..sequential {
            let t = Instant::now();
            let (ok, _) = review(&client, &server, body.clone()).await;
            latencies.push(t.elapsed());
            assert!(ok);
        }
        latencies.sort();

        let done = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + duration;
        let mut tasks = Vec::new();
        let started = Instant::now();
        let cpu_before = cpu_time();
        for _ in 0..connections {
            // One client per task: one keep-alive connection each.
            let client = ca.client();
            let (body, done, url) = (body.clone(), Arc::clone(&done), server.url("/mutate?timeout=10s"));
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let resp = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                    let _ = resp.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = started.elapsed();
        let cpu = cpu_time().saturating_sub(cpu_before);
        let reviews = done.load(Ordering::Relaxed);
        let warm_registry = proxy.requests.load(Ordering::Relaxed) - warm_requests_before;
        server.stop().await;

        println!("admission webhook, 3-container Pod with signed images, /mutate over HTTPS (rustls), keep-alive");
        println!(
            "  warm, sequential on one connection ({} reviews): p50 {}  p90 {}  p99 {}  max {}",
            latencies.len(),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.90)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().unwrap()),
        );
        println!(
            "  warm, {connections} connections for {:.1} s: {reviews} reviews, {:.0} reviews/s",
            elapsed.as_secs_f64(),
            reviews as f64 / elapsed.as_secs_f64()
        );
        if !cpu.is_zero() && reviews > 0 {
            let per_review = cpu / reviews as u32;
            println!(
                "  CPU per review (client and server in this process): {:.1} µs → {:.0} reviews/s per core \
                 ({:.0} on two idle cores); load average during the run: {}",
                per_review.as_secs_f64() * 1e6,
                1.0 / per_review.as_secs_f64(),
                2.0 / per_review.as_secs_f64(),
                load_average()
            );
        }
        println!(
            "  server work per warm review without transport (decode, evaluate, encode): {:.1} µs",
            per_direct.as_secs_f64() * 1e6
        );
        println!("  warm path registry requests: {warm_registry}");
        let sum: Duration = singles.iter().map(|(d, _)| *d).sum();
        let max = singles.iter().map(|(d, _)| *d).max().unwrap();
        println!(
            "  cold, each image alone: {} (registry requests {})",
            singles.iter().map(|(d, _)| ms(*d)).collect::<Vec<_>>().join(", "),
            singles.iter().map(|(_, n)| n.to_string()).collect::<Vec<_>>().join(", ")
        );
        println!(
            "  cold, the three in one Pod: {} with {three_requests} registry requests ({:.1} per image); \
             sum of the singles {}, slowest single {} (concurrent when close to the slowest)",
            ms(cold_three),
            three_requests as f64 / 3.0,
            ms(sum),
            ms(max)
        );
        // What the distance adds, in round trips: the Pod's chain of dependent requests.
        let trips = |d: Duration| d.saturating_sub(cold_three).as_secs_f64() / rtt.as_secs_f64();
        println!(
            "  cold, the three in one Pod from a registry {} away: {} with {far_requests} requests, \
             {:.1} round trips more than from next door (the bundle image's chain is 4: resolve; \
             signature tag with referrers; referrer manifest; bundle — a legacy image's 3)",
            ms(rtt),
            ms(cold_far),
            trips(cold_far)
        );
        println!(
            "  three new images on the running webhook, same distant registry: {} with \
             {new_far_requests} requests, {:.1} round trips more than from next door",
            ms(new_far),
            trips(new_far)
        );
    });
}
