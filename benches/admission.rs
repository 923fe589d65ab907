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
//! Rollout herd (issue 14): a Deployment's 200 Pods reviewed at once by a fresh engine (cold
//! cache) with the registry 25 ms away per request — 200 Pods of one signed image, then 200
//! over ten images (nine signed, one not, twenty Pods each) — on connections the client opened
//! beforehand, as the API server keeps them. Each round reports p50/p99 latency and the registry
//! requests per image, and checks every signed Pod was admitted (its digest patched in), every
//! unsigned one refused, and one verification ran per image.
//!
//! `cargo bench --bench admission` (figures on stdout); `-- --test` runs a few reviews of each
//! kind and checks the answers (CI smoke run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use boltseal_test_support as support;
use boltseal_test_support::admission as admission_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use admission_support::{Server, TestCa, create_review, pod, push_image, sign, signature_policy};
use boltseal::admission::{Phase, PolicyReviewer, ServerOptions, Webhook};
use boltseal::keys::PrivateKey;
use boltseal::oci::RegistryOptions;
use boltseal::policy::{Engine, PolicySet, RegistryVerifier, VerificationStats};
use boltseal::sign::SignatureFormat;

async fn review(client: &reqwest::Client, server: &Server, body: Vec<u8>) -> (bool, usize) {
    review_at(client, &server.url("/mutate?timeout=10s"), body).await
}

async fn review_at(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (bool, usize) {
    let r = admission_support::review(client, url, body).await;
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

/// Registry requests one image's cold verification may take (resolve; signature tag with
/// referrers; blobs): issue 14's budget, as in tests/admission_rollout.rs.
const REQUESTS_PER_IMAGE: usize = 6;

/// What one rollout-herd round measured.
struct Herd {
    /// Each review's latency, from its sending to its answer, sorted.
    latencies: Vec<Duration>,
    /// From the reviews' release to the last answer.
    wall: Duration,
    /// Opening the connections beforehand, all at once (TLS handshakes).
    connect: Duration,
    /// Registry requests per repository (`""`: for none, e.g. the `/v2/` ping).
    requests: BTreeMap<String, usize>,
    /// What the engine's verification cache did.
    stats: VerificationStats,
}

/// One rollout herd: a fresh engine and verifier (cold caches) behind a fresh webhook, one
/// connection per review opened beforehand (the API server keeps its connections), then one
/// Pod per entry of `images` reviewed, all released at once. Panics unless every Pod but those
/// of `unsigned` was admitted with its digest patched in, those of `unsigned` refused, one
/// verification ran per distinct image, and no image took more than its registry budget.
async fn herd(
    ca: &TestCa,
    policy: &str,
    proxy: &support::CountingProxy,
    images: &[String],
    unsigned: Option<&str>,
) -> Herd {
    let verifier = RegistryVerifier::new(RegistryOptions::new(), Duration::from_secs(300));
    let set = PolicySet::from_yaml_str("policy.yaml", policy).unwrap();
    let engine = Arc::new(Engine::new(set, Arc::new(verifier)));
    let reviewer = PolicyReviewer::new(Arc::clone(&engine));
    let server = Server::start_reviewer(ca, reviewer, ServerOptions::default()).await;
    let client = ca.client();
    let started = Instant::now();
    let opened: Vec<_> = images
        .iter()
        .map(|_| {
            let (client, url) = (client.clone(), server.url("/healthz"));
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    for t in opened {
        assert!(t.await.unwrap().is_success());
    }
    let connect = started.elapsed();

    proxy.take();
    let gate = Arc::new(tokio::sync::Barrier::new(images.len() + 1));
    let url = server.url("/mutate?timeout=10s");
    let tasks: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let body = create_review(&format!("herd-{i}"), pod(&format!("p{i}"), &[image], &[]));
            let (client, url, gate) = (client.clone(), url.clone(), Arc::clone(&gate));
            tokio::spawn(async move {
                gate.wait().await;
                let sent = Instant::now();
                let answer = review_at(&client, &url, body).await;
                (sent.elapsed(), answer)
            })
        })
        .collect();
    gate.wait().await;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(images.len());
    for (task, image) in tasks.into_iter().zip(images) {
        let (latency, (allowed, patches)) = task.await.unwrap();
        let signed = Some(image.as_str()) != unsigned;
        assert_eq!(allowed, signed, "{image}: allowed {allowed}");
        assert!(
            !signed || patches >= 1,
            "{image} admitted without its digest patched in"
        );
        latencies.push(latency);
    }
    let wall = started.elapsed();
    latencies.sort();
    let requests = proxy.take();
    let stats = engine.verification_stats();
    drop(client);
    server.stop().await;

    let distinct = images
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert_eq!(
        stats.verifications, distinct as u64,
        "verifications: {stats:?}"
    );
    let answered = stats.verifications + stats.cache_hits + stats.failure_hits + stats.joined;
    assert_eq!(answered, images.len() as u64, "answers: {stats:?}");
    let total: usize = requests.values().sum();
    assert!(
        total <= REQUESTS_PER_IMAGE * distinct
            && requests.values().all(|&n| n <= REQUESTS_PER_IMAGE),
        "registry requests for {distinct} images over the budget: {requests:?}"
    );
    Herd {
        latencies,
        wall,
        connect,
        requests,
        stats,
    }
}

/// One line of a herd round: latency, the registry requests (per image when more than one),
/// what the cache did.
fn herd_line(label: &str, round: usize, h: &Herd, unsigned: Option<&str>) -> String {
    let total: usize = h.requests.values().sum();
    let per_image = if h.requests.len() > 1 {
        let each: Vec<String> = h
            .requests
            .iter()
            .map(|(repo, n)| {
                let name = if repo.is_empty() {
                    "none"
                } else {
                    repo.rsplit('/').next().unwrap()
                };
                let mark = if unsigned.is_some_and(|u| u.contains(&format!("/{repo}:"))) {
                    " unsigned"
                } else {
                    ""
                };
                format!("{name}{mark} {n}")
            })
            .collect();
        format!(" ({})", each.join(", "))
    } else {
        String::new()
    };
    format!(
        "  herd, {label}, round {round}: p50 {}  p99 {}  max {}  (all answered {}, connections opened {}); \
         registry requests {total}{per_image}; verifications {}, joined {}, cache {}, failure cache {}",
        ms(percentile(&h.latencies, 0.50)),
        ms(percentile(&h.latencies, 0.99)),
        ms(*h.latencies.last().unwrap()),
        ms(h.wall),
        ms(h.connect),
        h.stats.verifications,
        h.stats.joined,
        h.stats.cache_hits,
        h.stats.failure_hits,
    )
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let (sequential, duration, connections) = if smoke {
        (20, Duration::from_millis(200), 4)
    } else {
        (5_000, Duration::from_secs(5), 16)
    };
    let (herd_size, herd_rounds) = if smoke { (40, 1) } else { (200, 5) };
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
            Arc::new(RegistryVerifier::new(RegistryOptions::new(), Duration::from_secs(300))),
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

        // Rollout herd (issue 14): ten images behind one registry `herd_rtt` away per request,
        // the tenth unsigned; each round a fresh engine.
        let herd_rtt = Duration::from_millis(if smoke { 5 } else { 25 });
        let herd_proxy = support::CountingProxy::start(registry.addr.clone(), herd_rtt);
        let mut herd_images = Vec::new();
        for i in 0..10 {
            let (text, _) = push_image(&registry.addr, &format!("bench/herd{i}"), &format!("h{i}")).await;
            if i < 9 {
                sign(&text, &key, SignatureFormat::Legacy).await;
            }
            herd_images.push(text.replacen(&registry.addr, &herd_proxy.addr, 1));
        }
        let unsigned = Some(herd_images[9].as_str());
        let one: Vec<String> = vec![herd_images[0].clone(); herd_size];
        let mix: Vec<String> = (0..herd_size).map(|i| herd_images[i % 10].clone()).collect();
        let (mut herd_one, mut herd_ten) = (Vec::new(), Vec::new());
        for _ in 0..herd_rounds {
            herd_one.push(herd(&ca, &policy, &herd_proxy, &one, None).await);
            herd_ten.push(herd(&ca, &policy, &herd_proxy, &mix, unsigned).await);
        }

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
        println!(
            "rollout herd: {herd_size} concurrent cold reviews (fresh engine each round), registry {} away per \
             request, one warm connection per review; budget {REQUESTS_PER_IMAGE} registry requests per image",
            ms(herd_rtt)
        );
        let ten_label = format!("{herd_size} Pods over ten images ({} each)", herd_size / 10);
        for (round, h) in herd_one.iter().enumerate() {
            println!("{}", herd_line(&format!("{herd_size} Pods of one image"), round + 1, h, None));
        }
        for (round, h) in herd_ten.iter().enumerate() {
            println!("{}", herd_line(&ten_label, round + 1, h, unsigned));
        }
        let worst = |rounds: &[Herd]| rounds.iter().map(|h| percentile(&h.latencies, 0.99)).max().unwrap();
        println!(
            "  herd, worst p99 of {herd_rounds} rounds: one image {}, ten images {} (issue 14: at most 300 ms)",
            ms(worst(&herd_one)),
            ms(worst(&herd_ten))
        );
    });
}
