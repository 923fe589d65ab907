//! Reference parsing: boltseal's hand-written parser against oci-spec's regex port, on the same
//! mixed corpus in the same run. Divan reports the time for the whole corpus and the
//! throughput in references per second; divide by `CORPUS.len()` for ns per reference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::str::FromStr;

use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

/// Short names, Docker Hub namespaces, hosts with ports, IPv4/IPv6, tags, digests, long paths.
const CORPUS: &[&str] = &[
    "nginx",
    "alpine:3.20",
    "busybox:latest",
    "library/ubuntu:24.04",
    "docker.io/library/redis:7",
    "index.docker.io/library/postgres:16-alpine",
    "grafana/grafana",
    "bitnami/kafka:3.7.0-debian-12-r0",
    "docker.io/prom/prometheus:v2.53.0",
    "ghcr.io/org/app:v1.2.3",
    "quay.io/coreos/etcd:v3.5.14",
    "gcr.io/distroless/static-debian12:nonroot",
    "registry.k8s.io/kube-apiserver:v1.30.2",
    "public.ecr.aws/docker/library/node:20-slim",
    "mcr.microsoft.com/dotnet/runtime:8.0",
    "localhost/app",
    "localhost:5000/team/app:dev",
    "registry:5000/app",
    "127.0.0.1:5000/demo/app:v1",
    "192.168.1.10:8443/ns/service",
    "[::1]:5000/repo:tag",
    "[2001:db8::1]:5000/a/b",
    "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
    "ghcr.io/org/app@sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa",
    "busybox:1.36@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
    "quay.io/x/y:3@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "harbor.example.com:443/project/team/sub-team/component/service-name:2024.06.01-build.1234",
    "europe-west1-docker.pkg.dev/my-project-123/my-repo/path/to/image_name__v2:latest",
    "a.b.c.d.example.org/very/deep/path/with/many/components/in/it/for/testing:t",
    "my-registry.local:5000/some_org/some-image.name:tag_with.dots-and-dashes",
];

#[divan::bench(sample_count = 200, sample_size = 50)]
fn boltseal(bencher: divan::Bencher<'_, '_>) {
    bencher.counter(ItemsCount::new(CORPUS.len())).bench(|| {
        for s in CORPUS {
            let _ = black_box(boltseal_reference::Reference::parse(black_box(s)));
        }
    });
}

#[divan::bench(sample_count = 200, sample_size = 50)]
fn oci_spec(bencher: divan::Bencher<'_, '_>) {
    bencher.counter(ItemsCount::new(CORPUS.len())).bench(|| {
        for s in CORPUS {
            let _ = black_box(oci_spec::distribution::Reference::from_str(black_box(s)));
        }
    });
}

/// The written forms, which allocate: `to_string`, `normalized` and `familiar` per reference.
#[divan::bench(sample_count = 200, sample_size = 50)]
fn boltseal_format(bencher: divan::Bencher<'_, '_>) {
    let refs: Vec<_> = CORPUS
        .iter()
        .map(|s| boltseal_reference::Reference::parse(s).unwrap())
        .collect();
    bencher.counter(ItemsCount::new(refs.len())).bench(|| {
        for r in &refs {
            black_box(r.to_string());
            black_box(r.normalized());
            black_box(r.familiar());
        }
    });
}
