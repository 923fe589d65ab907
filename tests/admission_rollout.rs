//! Admission at rollout scale: a Deployment's Pods arrive at once, each review for the same
//! image(s). Through the `admission` example over HTTPS, with the registry 25 ms away behind a
//! proxy that counts requests: the reviews share one verification per image (at most six
//! registry requests per distinct image), every signed Pod is admitted and every unsigned one
//! refused, and `/metrics` reports the same counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::admission as admission_support;

use std::time::Duration;

use admission_support::{
    ExampleProcess, TestCa, create_review, pod, push_image, sign, signature_policy,
};
use boltseal::keys::PrivateKey;
use boltseal::sign::SignatureFormat;

/// The most registry requests one image's cold verification may take (resolve; signature tag
/// with referrers; blobs).
const REQUESTS_PER_IMAGE: usize = 6;

/// Sends one `/mutate` review per image in `images`, all at once; returns each `allowed`.
async fn herd(client: &reqwest::Client, url: &str, images: &[String]) -> Vec<bool> {
    let reviews: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let body = create_review(&format!("u{i}"), pod(&format!("p{i}"), &[image], &[]));
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let response = admission_support::post_review(&client, &url, body).await;
                response["allowed"].as_bool().unwrap()
            })
        })
        .collect();
    let mut allowed = Vec::new();
    for r in reviews {
        allowed.push(r.await.unwrap());
    }
    allowed
}

/// The value of a metric line `name value` (no labels) or `name{labels} value`.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_reviews_share_one_verification_per_image() {
    let registry = support::Registry::start();
    let proxy = support::CountingProxy::start(registry.addr.clone(), Duration::from_millis(25));
    let key = PrivateKey::generate().unwrap();
    let mut images = Vec::new();
    for i in 0..10 {
        let (text, _) =
            push_image(&registry.addr, &format!("rollout/app{i}"), &i.to_string()).await;
        // The tenth image stays unsigned.
        if i < 9 {
            sign(&text, &key, SignatureFormat::Legacy).await;
        }
        images.push(text.replacen(&registry.addr, &proxy.addr, 1));
    }

    let ca = TestCa::new();
    let pattern = format!("{}/*", proxy.addr);
    let policy = signature_policy("verify", &[&pattern], &key, "Enforce", "Fail");
    let webhook = ExampleProcess::start(&support::example("admission"), &ca, &policy);
    let client = ca.client();
    let url = webhook.url("/mutate?timeout=10s");

    // 200 Pods of one image.
    let before = proxy.count();
    let allowed = herd(&client, &url, &vec![images[0].clone(); 200]).await;
    assert!(allowed.iter().all(|a| *a), "a signed Pod was refused");
    let one_image = proxy.count() - before;
    assert!(
        one_image <= REQUESTS_PER_IMAGE,
        "{one_image} registry requests for 200 reviews of one image"
    );

    // 200 Pods over ten images (nine signed, one not), twenty each; the first image's
    // verification is remembered.
    let before = proxy.count();
    let mix: Vec<String> = (0..200).map(|i| images[i % 10].clone()).collect();
    let allowed = herd(&client, &url, &mix).await;
    for (image, ok) in mix.iter().zip(&allowed) {
        assert_eq!(*ok, image != &images[9], "{image}: allowed {ok}");
    }
    let ten_images = proxy.count() - before;
    assert!(
        ten_images <= 9 * REQUESTS_PER_IMAGE,
        "{ten_images} registry requests for nine new images"
    );

    eprintln!("registry requests: one image {one_image}, nine new images {ten_images}");

    // The metrics tell the same story.
    let text = client
        .get(webhook.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(metric(&text, "boltseal_verifications_total"), 10, "{text}");
    assert_eq!(
        metric(&text, "boltseal_registry_requests_total"),
        proxy.count() as u64,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "boltseal_admission_reviews_total{webhook=\"mutate\",outcome=\"allowed\"}"
        ),
        380
    );
    assert_eq!(
        metric(
            &text,
            "boltseal_admission_reviews_total{webhook=\"mutate\",outcome=\"denied\"}"
        ),
        20
    );
    let answered = metric(&text, "boltseal_verification_cache_hits_total")
        + metric(&text, "boltseal_verification_failure_hits_total")
        + metric(&text, "boltseal_verification_joined_total");
    assert_eq!(answered, 390, "{text}");
    assert!(text.contains(
        "boltseal_admission_review_duration_seconds_bucket{webhook=\"mutate\",le=\"+Inf\"} 400"
    ));
}
