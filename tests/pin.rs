//! boltseal-pin against a real registry: multi-stage Dockerfiles and multi-document manifests
//! pinned byte for byte as the golden files say, a moved tag found stale and updated, a missing
//! tag reported with the file left untouched, a multi-platform tag pinned to its index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use boltseal::oci::{
    Descriptor, ErrorKind, ImageBuilder, ImageIndex, Platform, RegistryOptions, RegistryStore,
    Store,
};
use boltseal::pin::{FileKind, Options, Origin, Report, State, pin_paths, scan};
use boltseal::reference::{Digest, Reference};

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pin")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn store(registry: &support::Registry, repo: &str) -> RegistryStore {
    let r = Reference::parse(&registry.repo(repo)).unwrap();
    RegistryStore::new(&r, RegistryOptions::new()).unwrap()
}

/// Pushes a one-layer image with `content` and tags it.
async fn push(registry: &support::Registry, repo: &str, tag: &str, content: &str) -> Descriptor {
    let image = ImageBuilder::new()
        .file("etc/content", content.as_bytes(), 0o644)
        .build()
        .unwrap();
    image
        .write_to(&store(registry, repo), Some(tag))
        .await
        .unwrap()
}

/// Pushes a two-platform index and tags it; returns the index digest.
async fn push_index(registry: &support::Registry, repo: &str, tag: &str) -> Digest {
    let s = store(registry, repo);
    let mut entries = Vec::new();
    for platform in ["linux/amd64", "linux/arm64/v8"] {
        let p: Platform = platform.parse().unwrap();
        let image = ImageBuilder::new()
            .file("etc/platform", platform.as_bytes(), 0o644)
            .platform(p.clone())
            .build()
            .unwrap();
        entries.push(image.write_to(&s, None).await.unwrap().with_platform(p));
    }
    let index = ImageIndex::new(entries).to_raw().unwrap();
    s.put_manifest(&index, Some(tag)).await.unwrap();
    *index.digest()
}

struct Images {
    node: Digest,
    nginx: Digest,
    builder: Digest,
    web: Digest,
}

async fn push_all(registry: &support::Registry) -> Images {
    Images {
        node: push_index(registry, "base/node", "18").await,
        nginx: push(registry, "base/nginx", "1.27", "nginx").await.digest,
        builder: push(registry, "tools/builder", "1.0", "builder")
            .await
            .digest,
        web: push(registry, "app/web", "v1", "web v1").await.digest,
    }
}

fn fill(template: &str, registry: &support::Registry, images: Option<&Images>) -> String {
    let mut s = template.replace("{{REGISTRY}}", &registry.addr);
    if let Some(i) = images {
        s = s
            .replace("{{NODE}}", i.node.as_str())
            .replace("{{NGINX}}", i.nginx.as_str())
            .replace("{{BUILDER}}", i.builder.as_str())
            .replace("{{WEB}}", i.web.as_str());
    }
    s
}

fn states(report: &Report, path: &Path) -> Vec<(usize, String, &'static str)> {
    let file = report.files.iter().find(|f| f.path == path).unwrap();
    assert!(file.error.is_none(), "{:?}", file.error);
    file.entries
        .iter()
        .map(|e| (e.image.line, e.image.written.clone(), e.state.as_str()))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn golden_files_are_pinned_byte_for_byte() {
    let registry = support::Registry::start();
    let images = push_all(&registry).await;
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = write(
        dir.path(),
        "Dockerfile",
        &fill(&data("Dockerfile.template"), &registry, None),
    );
    let manifests = write(
        dir.path(),
        "deploy.yaml",
        &fill(&data("deploy.template.yaml"), &registry, None),
    );
    std::fs::set_permissions(&manifests, std::fs::Permissions::from_mode(0o640)).unwrap();

    // Check: every reference is unpinned, each with the digest its tag names now.
    let report = pin_paths(&[dir.path().to_owned()], &Options::new())
        .await
        .unwrap();
    let r = &registry.addr;
    assert_eq!(
        states(&report, &dockerfile),
        [
            (3, format!("{r}/base/node:18"), "unpinned"),
            (11, format!("{r}/base/node:18"), "unpinned"),
            (18, format!("{r}/tools/builder:1.0"), "unpinned"),
            (27, format!("{r}/base/nginx:1.27"), "unpinned"),
            (29, format!("{r}/tools/builder:1.0"), "unpinned"),
        ]
    );
    let file = &report.files[0];
    assert_eq!(file.kind, FileKind::Dockerfile);
    assert_eq!(
        file.entries[0].image.origin,
        Origin::Arg {
            name: "BASE".into(),
            used_by: vec![6]
        }
    );
    // The multi-platform tag resolves to its index digest.
    assert!(
        matches!(file.entries[0].state, State::Unpinned { current: Some(d) } if d == images.node)
    );
    let unpinned_from: Vec<usize> = file
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == "unpinned-from")
        .map(|f| f.line)
        .collect();
    assert_eq!(unpinned_from, [6, 11, 27]);
    assert_eq!(
        states(&report, &manifests),
        [
            (14, format!("{r}/app/web:v1"), "unpinned"),
            (17, format!("{r}/app/web:v1"), "unpinned"),
            (20, format!("{r}/base/nginx:1.27"), "unpinned"),
            (42, format!("{r}/tools/builder:1.0"), "unpinned"),
            (55, format!("{r}/base/node:18"), "unpinned"),
            (58, format!("{r}/base/nginx:1.27"), "unpinned"),
        ]
    );
    assert!(report.needs_attention());
    // Checking writes nothing.
    assert_eq!(
        std::fs::read_to_string(&dockerfile).unwrap(),
        fill(&data("Dockerfile.template"), &registry, None)
    );

    // Write: the files equal the golden files byte for byte.
    let report = pin_paths(&[dir.path().to_owned()], &Options::new().write(true))
        .await
        .unwrap();
    assert_eq!(report.files[0].rewritten, 5);
    assert_eq!(report.files[1].rewritten, 6);
    assert!(!report.needs_attention());
    assert_eq!(
        std::fs::read_to_string(&dockerfile).unwrap(),
        fill(&data("Dockerfile.pinned"), &registry, Some(&images))
    );
    assert_eq!(
        std::fs::read_to_string(&manifests).unwrap(),
        fill(&data("deploy.pinned.yaml"), &registry, Some(&images))
    );
    // Permissions are kept; no temporary file is left behind.
    let mode = std::fs::metadata(&manifests).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Idempotent: everything is pinned and verified; writing again changes nothing.
    let report = pin_paths(&[dir.path().to_owned()], &Options::new().write(true))
        .await
        .unwrap();
    for file in &report.files {
        assert_eq!(file.rewritten, 0);
        for e in &file.entries {
            assert!(
                matches!(e.state, State::Pinned { verified: true, .. }),
                "{e:?}"
            );
        }
    }
    assert!(!report.needs_attention());
    assert_eq!(
        std::fs::read_to_string(&manifests).unwrap(),
        fill(&data("deploy.pinned.yaml"), &registry, Some(&images))
    );
}

#[tokio::test]
async fn a_moved_tag_is_stale_and_write_updates_it() {
    let registry = support::Registry::start();
    let old = push(&registry, "team/app", "v1", "first build")
        .await
        .digest;
    let other = push(&registry, "team/base", "3", "base").await.digest;
    let dir = tempfile::tempdir().unwrap();
    let r = &registry.addr;
    let text = format!(
        "kind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: \"{r}/team/app:v1@{old}\"   # keep me\n      - name: base\n        image: {r}/team/base:3@{other}\n"
    );
    let path = write(dir.path(), "app.yml", &text);

    let report = pin_paths(std::slice::from_ref(&path), &Options::new())
        .await
        .unwrap();
    assert_eq!(
        states(&report, &path)
            .iter()
            .map(|s| s.2)
            .collect::<Vec<_>>(),
        ["pinned", "pinned"]
    );
    assert!(!report.needs_attention());

    // The tag moves.
    let new = push(&registry, "team/app", "v1", "second build")
        .await
        .digest;
    assert_ne!(new, old);
    let report = pin_paths(std::slice::from_ref(&path), &Options::new())
        .await
        .unwrap();
    match &report.files[0].entries[0].state {
        State::Stale { pinned, current } => {
            assert_eq!(*pinned, old);
            assert_eq!(*current, new);
        }
        other => panic!("expected stale, got {other:?}"),
    }
    assert!(matches!(
        report.files[0].entries[1].state,
        State::Pinned { verified: true, .. }
    ));
    assert!(report.needs_attention());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // --write moves the pin, nothing else.
    let report = pin_paths(std::slice::from_ref(&path), &Options::new().write(true))
        .await
        .unwrap();
    assert_eq!(report.files[0].rewritten, 1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text.replace(old.as_str(), new.as_str())
    );
}

#[tokio::test]
async fn a_missing_tag_is_an_error_and_the_file_is_left_untouched() {
    let registry = support::Registry::start();
    push(&registry, "team/app", "v1", "app").await;
    let dir = tempfile::tempdir().unwrap();
    let r = &registry.addr;
    let broken = format!("FROM {r}/team/app:v1 AS a\nFROM {r}/team/app:v2-missing\n");
    let broken_path = write(dir.path(), "Dockerfile", &broken);
    let fine = format!("FROM {r}/team/app:v1\n");
    let fine_path = write(dir.path(), "Containerfile", &fine);
    let gone = format!("FROM {r}/no/such-repo:1\n");
    let gone_path = write(dir.path(), "gone.dockerfile", &gone);

    let report = pin_paths(&[dir.path().to_owned()], &Options::new().write(true))
        .await
        .unwrap();
    let broken_report = report.files.iter().find(|f| f.path == broken_path).unwrap();
    assert_eq!(broken_report.rewritten, 0);
    assert!(matches!(
        broken_report.entries[0].state,
        State::Unpinned { current: Some(_) }
    ));
    match &broken_report.entries[1].state {
        State::Failed { error } => {
            assert_eq!(error.store_kind(), Some(ErrorKind::NotFound), "{error}");
            let message = error.to_string();
            assert!(message.contains("team/app:v2-missing"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    let gone_report = report.files.iter().find(|f| f.path == gone_path).unwrap();
    assert!(matches!(gone_report.entries[0].state, State::Failed { .. }));
    // Files with a failed reference are byte-identical; the others are pinned.
    assert_eq!(std::fs::read_to_string(&broken_path).unwrap(), broken);
    assert_eq!(std::fs::read_to_string(&gone_path).unwrap(), gone);
    let pinned = std::fs::read_to_string(&fine_path).unwrap();
    assert!(
        pinned.starts_with(&format!("FROM {r}/team/app:v1@sha256:")),
        "{pinned}"
    );
}

#[tokio::test]
async fn fifty_references_to_one_tag_and_offline_mode_reads_only_files() {
    let registry = support::Registry::start();
    let d = push(&registry, "team/app", "v1", "app").await.digest;
    let dir = tempfile::tempdir().unwrap();
    let r = &registry.addr;
    let text: String = (0..50)
        .map(|i| format!("FROM {r}/team/app:v1 AS s{i}\n"))
        .collect();
    let path = write(dir.path(), "Dockerfile", &text);
    let report = pin_paths(std::slice::from_ref(&path), &Options::new().write(true))
        .await
        .unwrap();
    assert_eq!(report.files[0].rewritten, 50);
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert_eq!(pinned.matches(&d.to_string()).count(), 50);
    let s = scan(FileKind::Dockerfile, &pinned).unwrap();
    assert_eq!(s.refs.len(), 50);

    // Offline: pins are reported unverified, nothing is contacted (the registry is gone).
    drop(registry);
    let report = pin_paths(std::slice::from_ref(&path), &Options::new().offline(true))
        .await
        .unwrap();
    assert!(report.files[0].entries.iter().all(|e| matches!(
        e.state,
        State::Pinned {
            verified: false,
            ..
        }
    )));
}

/// A loopback TCP proxy to the registry that records every byte clients send.
async fn recording_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = sw.shutdown().await;
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_distinct_tag_is_resolved_once() {
    let registry = support::Registry::start();
    push(&registry, "team/app", "v1", "app").await;
    push(&registry, "team/base", "3", "base").await;
    let (proxy, seen) = recording_proxy(registry.addr.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = String::new();
    for i in 0..30 {
        dockerfile.push_str(&format!("FROM {proxy}/team/app:v1 AS a{i}\n"));
        dockerfile.push_str(&format!("COPY --from={proxy}/team/base:3 / /\n"));
    }
    write(dir.path(), "Dockerfile", &dockerfile);
    let manifest: String = (0..20)
        .map(|i| {
            format!(
                "---\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n  - image: {proxy}/team/app:v1\n"
            )
        })
        .collect();
    write(dir.path(), "pods.yaml", &manifest);
    let report = pin_paths(&[dir.path().to_owned()], &Options::new().write(true))
        .await
        .unwrap();
    assert_eq!(report.files[0].rewritten, 60);
    assert_eq!(report.files[1].rewritten, 20);
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert_eq!(
        sent.matches("GET /v2/team/app/manifests/v1 ").count(),
        1,
        "{sent}"
    );
    assert_eq!(
        sent.matches("GET /v2/team/base/manifests/3 ").count(),
        1,
        "{sent}"
    );
    assert_eq!(sent.matches("/manifests/").count(), 2, "{sent}");
}

#[tokio::test]
async fn unsupported_positions_are_reported_and_left_alone() {
    let registry = support::Registry::start();
    let d = push(&registry, "team/app", "v1", "app").await.digest;
    let dir = tempfile::tempdir().unwrap();
    let r = &registry.addr;
    let text = format!(
        "kind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: anchored\n    image: &img {r}/team/app:v1\n  - name: alias\n    image: *img\n  - name: block\n    image: >-\n      {r}/team/app:v1\n  - name: escaped\n    image: \"{r}/team/app\\x3av1\"\n  - name: plain\n    image: {r}/team/app:v1\n"
    );
    let path = write(dir.path(), "pod.yaml", &text);
    let docker = format!("ARG V=v1\nFROM {r}/team/app:${{V}}\nFROM {r}/team/app:v1\n");
    let docker_path = write(dir.path(), "Dockerfile", &docker);
    let report = pin_paths(&[dir.path().to_owned()], &Options::new().write(true))
        .await
        .unwrap();
    let docker_states: Vec<&str> = states(&report, &docker_path).iter().map(|s| s.2).collect();
    assert_eq!(docker_states, ["unsupported", "unpinned"]);
    let yaml_states: Vec<&str> = states(&report, &path).iter().map(|s| s.2).collect();
    assert_eq!(
        yaml_states,
        [
            "unsupported",
            "unsupported",
            "unsupported",
            "unsupported",
            "unpinned"
        ]
    );
    assert!(report.needs_attention());
    // Only the plain references were rewritten.
    let plain = format!("image: {r}/team/app:v1\n");
    let pinned = format!("image: {r}/team/app:v1@{d}\n");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text.replacen(&plain, &pinned, 1)
    );
    assert_eq!(
        std::fs::read_to_string(&docker_path).unwrap(),
        format!("ARG V=v1\nFROM {r}/team/app:${{V}}\nFROM {r}/team/app:v1@{d}\n")
    );
}
