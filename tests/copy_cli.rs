//! The `copy` example as users run it, and interoperability with skopeo and umoci on the same
//! layouts and the same real registry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::{run, stderr, stdout, tag};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use boltseal::oci::{
    ImageBuilder, LayoutStore, Manifest, ManifestRef, RegistryOptions, RegistryStore, Store,
};
use boltseal::reference::{Digest, Reference};

async fn sample(dir: &Path, tag_name: &str) -> Digest {
    let store = LayoutStore::create(dir).await.unwrap();
    // Incompressible bytes, so that the layer is a "large blob" with progress output.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let image = ImageBuilder::new()
        .file("etc/os-release", b"ID=copy-cli\n", 0o644)
        .file("usr/bin/tool", &noise, 0o755)
        .build()
        .unwrap();
    image.write_to(&store, Some(tag_name)).await.unwrap().digest
}

/// A registry that lets only `alice` with `s3cret` in (bcrypt cost 5), and a layout (`src`
/// in a temporary directory) holding a sample image tagged `v1`, with its digest.
async fn private_registry() -> (support::Registry, tempfile::TempDir, PathBuf, Digest) {
    let registry = support::Registry::start_with_htpasswd(
        "alice",
        "$2b$05$6xcwe28UKLKIdSPz.cWQneVu3aCXbgjubdFl7GWS5hUyb76TTqcoe",
    );
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let digest = sample(&src, "v1").await;
    (registry, dir, src, digest)
}

/// Reads every blob of an image (verified) and returns the manifest digest.
async fn read_all<S: Store>(store: &S, reference: &ManifestRef) -> Digest {
    let raw = store.get_manifest(reference).await.unwrap();
    if let Manifest::Image(m) = raw.parse().unwrap() {
        for d in std::iter::once(&m.config).chain(&m.layers) {
            store
                .get_blob(d)
                .await
                .unwrap()
                .read_to_vec(64 << 20)
                .await
                .unwrap();
        }
    }
    *raw.digest()
}

#[tokio::test]
async fn copy_example_follows_its_contract() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let digest = sample(&src, "v1").await;
    let src_loc = format!("oci:{}:v1", src.display());

    // layout -> registry: the digest is printed on stdout, progress for the 3 MiB blob on stderr.
    let dst = registry.repo("cli/app:v1");
    let out = run("copy", &[&src_loc, &dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
    assert!(
        stderr(&out).contains("copying blob sha256:"),
        "{}",
        stderr(&out)
    );

    // registry -> layout by digest, then the layout has the same digest.
    let back = dir.path().join("back");
    let out = run(
        "copy",
        &[
            &format!("{}@{digest}", registry.repo("cli/app")),
            &format!("oci:{}:restored", back.display()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
    let layout = LayoutStore::open(&back).await.unwrap();
    assert_eq!(read_all(&layout, &tag("restored")).await, digest);

    // registry -> registry in another repository.
    let out = run("copy", &["-q", &dst, &registry.repo("cli/other:v2")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // A missing tag: one `error:` line, exit 1, nothing written.
    let out = run(
        "copy",
        &[
            &registry.repo("cli/app:missing"),
            &format!("oci:{}:x", back.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("missing"), "{err}");
    assert_eq!(
        layout.list_tags().await.unwrap(),
        vec!["restored".to_owned()]
    );

    // Usage errors: exit 2 with one `error:` line.
    for args in [
        &[][..],
        &["only-one"][..],
        &["oci:", "oci:x"][..],
        &["A/B", "oci:x"][..],
    ] {
        let out = run("copy", args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

fn skopeo(args: &[&str], policy_dir: &Path) -> Output {
    let policy = policy_dir.join("policy.json");
    if !policy.exists() {
        std::fs::write(
            &policy,
            br#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
    }
    let out = Command::new("skopeo")
        .arg("--policy")
        .arg(&policy)
        .args(args)
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn skopeo_reads_what_boltseal_writes_and_vice_versa() {
    if !support::require_tool("skopeo") {
        return;
    }
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("boltseal-layout");
    let digest = sample(&layout, "v1").await;

    // skopeo reads boltseal's layout: same digest.
    let out = skopeo(
        &["inspect", "--raw", &format!("oci:{}:v1", layout.display())],
        dir.path(),
    );
    assert_eq!(Digest::sha256_of(&out.stdout), digest);

    // skopeo pushes boltseal's layout to the registry; boltseal reads it back, verified.
    let dest = registry.repo("skopeo/pushed:v1");
    skopeo(
        &[
            "copy",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &format!("oci:{}:v1", layout.display()),
            &format!("docker://{dest}"),
        ],
        dir.path(),
    );
    let reference: Reference = dest.parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    assert_eq!(read_all(&store, &tag("v1")).await, digest);

    // boltseal pushes; skopeo inspects the registry and copies it into a layout boltseal reads.
    let out = run(
        "copy",
        &[
            &format!("oci:{}:v1", layout.display()),
            &registry.repo("boltseal/pushed:v1"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = skopeo(
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}", registry.repo("boltseal/pushed:v1")),
        ],
        dir.path(),
    );
    assert_eq!(Digest::sha256_of(&out.stdout), digest);
    let skopeo_layout = dir.path().join("skopeo-layout");
    skopeo(
        &[
            "copy",
            "--preserve-digests",
            "--src-tls-verify=false",
            &format!("docker://{}", registry.repo("boltseal/pushed:v1")),
            &format!("oci:{}:v1", skopeo_layout.display()),
        ],
        dir.path(),
    );
    let store = LayoutStore::open(&skopeo_layout).await.unwrap();
    assert_eq!(read_all(&store, &tag("v1")).await, digest);
}

#[tokio::test]
async fn umoci_layouts_without_media_type_copy_unchanged() {
    if !support::require_tool("umoci") {
        return;
    }
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("umoci-img");
    let umoci = |args: &[&str]| {
        let out = Command::new("umoci").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "umoci {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    umoci(&["init", "--layout", img.to_str().unwrap()]);
    umoci(&["new", "--image", &format!("{}:v1", img.display())]);
    let src = dir.path().join("files");
    std::fs::create_dir_all(src.join("etc")).unwrap();
    std::fs::write(src.join("etc/motd"), b"built by umoci\n").unwrap();
    umoci(&[
        "insert",
        "--rootless",
        "--image",
        &format!("{}:v1", img.display()),
        src.join("etc").to_str().unwrap(),
        "/etc",
    ]);
    let store = LayoutStore::open(&img).await.unwrap();
    let raw = store.get_manifest(&tag("v1")).await.unwrap();
    let digest = *raw.digest();
    let out = run(
        "copy",
        &[
            &format!("oci:{}:v1", img.display()),
            &registry.repo("umoci/img:v1"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
    let reference: Reference = registry.repo("umoci/img:v1").parse().unwrap();
    let reg = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    assert_eq!(read_all(&reg, &tag("v1")).await, digest);
}

#[tokio::test]
async fn copy_example_reads_credentials_from_registry_auth_file() {
    let (registry, dir, src, digest) = private_registry().await;
    let auth = dir.path().join("auth.json");
    std::fs::write(
        &auth,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.addr
        ),
    )
    .unwrap();
    let copy = |env_file: Option<&Path>| {
        let mut cmd = Command::new(support::example("copy"));
        cmd.args([
            "-q",
            &format!("oci:{}:v1", src.display()),
            &registry.repo("private/app:v1"),
        ])
        .env("HOME", dir.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR");
        match env_file {
            Some(f) => cmd.env("REGISTRY_AUTH_FILE", f),
            None => cmd.env_remove("REGISTRY_AUTH_FILE"),
        };
        cmd.output().unwrap()
    };
    let out = copy(None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("authentication"), "{}", stderr(&out));
    let out = copy(Some(&auth));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
}

#[tokio::test]
async fn copy_example_copies_indexes_whole_or_one_platform() {
    use boltseal::oci::{ImageIndex, Platform};
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("multi");
    let store = LayoutStore::create(&src).await.unwrap();
    let mut entries = Vec::new();
    let mut arm = None;
    for platform in ["linux/amd64", "linux/arm64/v8"] {
        let p: Platform = platform.parse().unwrap();
        let image = ImageBuilder::new()
            .file("etc/arch", platform.as_bytes(), 0o644)
            .platform(p.clone())
            .build()
            .unwrap();
        let desc = image.write_to(&store, None).await.unwrap();
        if platform.contains("arm64") {
            arm = Some(desc.digest);
        }
        entries.push(desc.with_platform(p));
    }
    let index = ImageIndex::new(entries).to_raw().unwrap();
    store.put_manifest(&index, Some("v1")).await.unwrap();
    let src_loc = format!("oci:{}:v1", src.display());

    // The whole index: its digest is unchanged and every platform is readable.
    let out = run("copy", &["-q", &src_loc, &registry.repo("multi/app:v1")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), index.digest().to_string());
    let reference: Reference = registry.repo("multi/app").parse().unwrap();
    let reg = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    let resolved = boltseal::oci::resolve_image(&reg, &tag("v1"), &"linux/arm64".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(resolved.digest(), *index.digest());
    assert_eq!(Some(*resolved.manifest.digest()), arm);

    // One platform: the copy is that platform's manifest.
    let out = run(
        "copy",
        &[
            "-q",
            "--platform",
            "linux/arm64",
            &src_loc,
            &registry.repo("multi/arm:v1"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), arm.unwrap().to_string());

    // An unknown platform is an error line, exit 1.
    let out = run(
        "copy",
        &[
            "--platform",
            "linux/s390x",
            &src_loc,
            &registry.repo("multi/none:v1"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("linux/s390x"), "{}", stderr(&out));
    // A malformed platform is a usage error.
    let out = run(
        "copy",
        &["--platform", "linux", &src_loc, &registry.repo("x:v1")],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn copy_example_uses_docker_credential_helpers() {
    let (registry, dir, src, digest) = private_registry().await;
    // A credential helper as docker runs them: `docker-credential-<name> get`, host on stdin.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-boltsealtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread host\nif [ \"$host\" = \"{}\" ]; then echo '{{\"Username\":\"alice\",\"Secret\":\"s3cret\"}}'; else echo 'credentials not found' >&2; exit 1; fi\n",
            registry.addr
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        br#"{"credsStore":"boltsealtest"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(support::example("copy"))
        .args([
            "-q",
            &format!("oci:{}:v1", src.display()),
            &registry.repo("helper/app:v1"),
        ])
        .env("PATH", path)
        .env("DOCKER_CONFIG", &docker)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), digest.to_string());
}
