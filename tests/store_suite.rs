//! One store test suite, run against both backends: an OCI image layout directory and a real
//! registry (Debian's `docker-registry`, started on a free loopback port).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::tag;

use boltseal::oci::{
    AnyStore, BlobReader, CopyOptions, Credential, Descriptor, Error, ErrorKind, ImageBuilder,
    ImageIndex, ImageLocation, ImageManifest, LayoutStore, ManifestRef, Platform, RawManifest,
    RegistryOptions, RegistryStore, Store, copy_image, credential_from_file, referrers_tag,
    resolve_image,
};
use boltseal::reference::{Digest, Reference, media_type};

fn reader(desc: &Descriptor, bytes: &[u8]) -> BlobReader {
    BlobReader::new(
        "test blob",
        desc,
        Box::pin(std::io::Cursor::new(bytes.to_vec())),
    )
}

async fn put_bytes<S: Store>(store: &S, media: &str, bytes: &[u8]) -> Descriptor {
    let d = Descriptor::of_bytes(media, bytes);
    store.put_blob(&d, reader(&d, bytes)).await.unwrap();
    d
}

/// Everything a store must do, the same on every backend.
async fn store_suite<S: Store>(store: &S) {
    // Empty store.
    assert!(store.list_tags().await.unwrap().is_empty());
    let missing = store.resolve(&tag("nope")).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");

    // Blobs: put, exists, get (verified).
    let image = ImageBuilder::new()
        .file("etc/os-release", b"ID=boltseal\n", 0o644)
        .file("bin/app", b"\x7fELF fake", 0o755)
        .label("org.opencontainers.image.title", "suite")
        .build()
        .unwrap();
    assert!(
        !store
            .blob_exists(&image.layer_descriptor.digest)
            .await
            .unwrap()
    );
    let desc = image.write_to(store, Some("v1")).await.unwrap();
    assert!(
        store
            .blob_exists(&image.layer_descriptor.digest)
            .await
            .unwrap()
    );
    let layer = store
        .get_blob(&image.layer_descriptor)
        .await
        .unwrap()
        .read_to_vec(1 << 20)
        .await
        .unwrap();
    assert_eq!(layer, image.layer);

    // Reading a blob under a lying descriptor fails closed.
    let lying = Descriptor::new(
        media_type::OCI_LAYER_TAR_GZIP,
        image.layer_descriptor.digest,
        image.layer_descriptor.size - 1,
    );
    let err = match store.get_blob(&lying).await {
        Ok(r) => r.read_to_vec(1 << 20).await.unwrap_err(),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    // Putting a blob whose bytes do not match its descriptor fails and leaves nothing.
    let fake = Descriptor::of_bytes(media_type::OCI_LAYER_TAR, b"good bytes");
    let err = store
        .put_blob(&fake, reader(&fake, b"evil bytes"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(!store.blob_exists(&fake.digest).await.unwrap());

    // Manifests: resolve by tag and digest, fetch verified, bytes unchanged.
    let by_tag = store.resolve(&tag("v1")).await.unwrap();
    assert_eq!(by_tag.digest, desc.digest);
    assert_eq!(by_tag.media_type, media_type::OCI_MANIFEST);
    assert_eq!(by_tag.size, image.manifest.bytes().len() as u64);
    let got = store
        .get_manifest(&ManifestRef::Digest(desc.digest))
        .await
        .unwrap();
    assert_eq!(got.bytes(), image.manifest.bytes());
    assert_eq!(
        store.get_manifest(&tag("v1")).await.unwrap().digest(),
        &desc.digest
    );
    assert_eq!(store.list_tags().await.unwrap(), vec!["v1".to_owned()]);

    // Tags move.
    let image2 = ImageBuilder::new()
        .file("etc/os-release", b"ID=boltseal\nVERSION=2\n", 0o644)
        .build()
        .unwrap();
    let desc2 = image2.write_to(store, Some("v1")).await.unwrap();
    assert_eq!(
        store.resolve(&tag("v1")).await.unwrap().digest,
        desc2.digest
    );
    store
        .put_manifest(&image.manifest, Some("v0"))
        .await
        .unwrap();
    assert_eq!(
        store.list_tags().await.unwrap(),
        vec!["v0".to_owned(), "v1".to_owned()]
    );

    // A manifest whose blobs are missing is refused.
    let dangling = ImageManifest::new(
        Descriptor::of_bytes(media_type::OCI_CONFIG, b"{\"missing\":true}"),
        vec![],
    )
    .to_raw()
    .unwrap();
    assert!(
        store
            .put_manifest(&dangling, Some("dangling"))
            .await
            .is_err()
    );

    // An index with two platforms; platform selection keeps the index digest.
    let arm = ImageBuilder::new()
        .file("etc/os-release", b"ID=boltseal\nARCH=arm64\n", 0o644)
        .platform("linux/arm64/v8".parse().unwrap())
        .build()
        .unwrap();
    let arm_desc = arm.write_to(store, None).await.unwrap();
    let index = ImageIndex::new(vec![
        desc.clone().with_platform(Platform::linux_amd64()),
        arm_desc
            .clone()
            .with_platform("linux/arm64/v8".parse().unwrap()),
    ])
    .to_raw()
    .unwrap();
    store.put_manifest(&index, Some("multi")).await.unwrap();
    let resolved = resolve_image(store, &tag("multi"), &Platform::linux_amd64())
        .await
        .unwrap();
    assert_eq!(resolved.digest(), *index.digest());
    assert_eq!(resolved.manifest.digest(), &desc.digest);
    let resolved = resolve_image(store, &tag("multi"), &"linux/arm64".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(resolved.manifest.digest(), &arm_desc.digest);
    let err = resolve_image(store, &tag("multi"), &"linux/s390x".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PlatformNotFound { .. }), "{err}");
    // A single-platform image resolves to itself.
    let single = resolve_image(store, &tag("v0"), &Platform::linux_amd64())
        .await
        .unwrap();
    assert!(single.index.is_none());
    assert_eq!(single.digest(), desc.digest);

    // Referrers: an artifact manifest with a subject, found by subject and artifact type.
    let empty = put_bytes(store, media_type::OCI_EMPTY, b"{}").await;
    let payload = put_bytes(store, "application/vnd.example.note", b"reviewed").await;
    let mut artifact = ImageManifest::new(empty.clone(), vec![payload]);
    artifact.artifact_type = Some("application/vnd.example.review".into());
    artifact.subject = Some(desc.clone());
    artifact
        .annotations
        .insert("org.example.by".into(), "suite".into());
    let artifact = artifact.to_raw().unwrap();
    store.put_manifest(&artifact, None).await.unwrap();
    let refs = store.referrers(&desc.digest, None).await.unwrap();
    assert_eq!(refs.len(), 1, "{refs:?}");
    assert_eq!(refs[0].digest, *artifact.digest());
    assert_eq!(
        refs[0].artifact_type.as_deref(),
        Some("application/vnd.example.review")
    );
    assert_eq!(refs[0].annotations["org.example.by"], "suite");
    assert_eq!(
        store
            .referrers(&desc.digest, Some("application/vnd.example.review"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .referrers(&desc.digest, Some("application/other"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .referrers(&desc2.digest, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Delete by digest: the manifest and its tags are gone.
    store.delete(&desc2.digest).await.unwrap();
    let err = store
        .get_manifest(&ManifestRef::Digest(desc2.digest))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = store.resolve(&tag("v1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // Invalid tag names never reach the backend.
    assert!(
        store
            .put_manifest(&image.manifest, Some("../escape"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn layout_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path().join("layout"))
        .await
        .unwrap();
    store_suite(&store).await;
    // Nothing temporary is left behind.
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn registry_store_suite() {
    let registry = support::Registry::start();
    let reference: Reference = registry.repo("suite/app").parse().unwrap();
    let store = RegistryStore::new(&reference, RegistryOptions::new()).unwrap();
    assert_eq!(store.referrers_api(), None);
    store_suite(&store).await;
    // distribution 2.8 has no referrers API: learnt once, the later lookups in the suite read
    // the tag schema directly (and still found the referrer).
    assert_eq!(store.referrers_api(), Some(false));
}

/// Stores of one pool share what they learnt about their registry, and one store per
/// repository.
#[tokio::test]
async fn pooled_stores_share_registry_capabilities() {
    let registry = support::Registry::start();
    let pool = boltseal::oci::RegistryPool::new(RegistryOptions::new());
    let a = pool
        .store(&registry.repo("pool/a").parse().unwrap())
        .unwrap();
    let b = pool
        .store(&registry.repo("pool/b:v1").parse().unwrap())
        .unwrap();
    store_suite(&*a).await;
    assert_eq!(a.referrers_api(), Some(false));
    assert_eq!(b.referrers_api(), Some(false));
    let again = pool
        .store(&registry.repo("pool/a:other").parse().unwrap())
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &again));
    assert_eq!(pool.len(), 2);
}

/// `s3cret`, bcrypt with cost 5 (test data for the htpasswd registry).
const BCRYPT_S3CRET: &str = "$2b$05$6xcwe28UKLKIdSPz.cWQneVu3aCXbgjubdFl7GWS5hUyb76TTqcoe";

#[tokio::test]
async fn registry_with_basic_auth() {
    let registry = support::Registry::start_with_htpasswd("alice", BCRYPT_S3CRET);
    let reference: Reference = registry.repo("private/app").parse().unwrap();
    // Anonymous: refused with a clear error.
    let anonymous = RegistryStore::new(
        &reference,
        RegistryOptions::new().credential(Credential::Anonymous),
    )
    .unwrap();
    let err = anonymous.list_tags().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    // Wrong password: refused.
    let wrong = RegistryStore::new(
        &reference,
        RegistryOptions::new().credential(Credential::Basic {
            username: "alice".into(),
            password: "nope".into(),
        }),
    )
    .unwrap();
    let err = wrong.resolve(&tag("v1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    // Credentials from a docker config file: the whole suite passes.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("auth.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.addr
        ),
    )
    .unwrap();
    let credential = credential_from_file(&config, reference.registry(), reference.repository())
        .unwrap()
        .unwrap();
    let store =
        RegistryStore::new(&reference, RegistryOptions::new().credential(credential)).unwrap();
    store_suite(&store).await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn layout_refuses_symlinks_out_of_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let store = LayoutStore::create(dir.path().join("layout"))
        .await
        .unwrap();
    let image = ImageBuilder::new().file("a", b"a", 0o644).build().unwrap();
    image.write_to(&store, Some("v1")).await.unwrap();
    // Replace blobs/sha256 with a link to a directory outside the layout.
    let blobs = dir.path().join("layout/blobs/sha256");
    std::fs::rename(&blobs, outside.join("sha256")).unwrap();
    std::os::unix::fs::symlink(outside.join("sha256"), &blobs).unwrap();
    let err = store.get_manifest(&tag("v1")).await.unwrap_err();
    assert!(matches!(err, Error::PathEscape { .. }), "{err}");
    let err = store.get_blob(&image.layer_descriptor).await.unwrap_err();
    assert!(matches!(err, Error::PathEscape { .. }), "{err}");
}

#[tokio::test]
async fn layout_refuses_tampered_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path().join("layout"))
        .await
        .unwrap();
    let image = ImageBuilder::new().file("a", b"a", 0o644).build().unwrap();
    let desc = image.write_to(&store, Some("v1")).await.unwrap();
    let path = dir
        .path()
        .join("layout/blobs/sha256")
        .join(desc.digest.encoded());
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = store.get_manifest(&tag("v1")).await.unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    // Not a layout at all.
    let err = LayoutStore::open(dir.path()).await.unwrap_err();
    assert!(err.to_string().contains("oci-layout"), "{err}");
}

#[tokio::test]
async fn copy_between_layouts_and_registries_keeps_the_digest() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let src = LayoutStore::create(dir.path().join("src")).await.unwrap();
    let image = ImageBuilder::new()
        .file("etc/motd", b"copy me\n", 0o644)
        .build()
        .unwrap();
    let desc = image.write_to(&src, Some("v1")).await.unwrap();

    // layout -> registry
    let opts = RegistryOptions::new();
    let a = ImageLocation::parse(&registry.repo("team/a:v1")).unwrap();
    let a_store = a.create(&opts).await.unwrap();
    let report = copy_image(&src, &tag("v1"), &a_store, Some("v1"), &CopyOptions::new())
        .await
        .unwrap();
    assert_eq!(report.descriptor.as_ref().unwrap().digest, desc.digest);
    assert_eq!(report.blobs_copied, 2);
    assert_eq!(
        a_store.resolve(&tag("v1")).await.unwrap().digest,
        desc.digest
    );

    // registry -> registry, other repository: blobs are mounted, not transferred
    let b = ImageLocation::parse(&registry.repo("team/b:v1")).unwrap();
    let b_store = b.create(&opts).await.unwrap();
    let report = copy_image(
        &a_store,
        &tag("v1"),
        &b_store,
        Some("v1"),
        &CopyOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.blobs_mounted, 2, "{report:?}");
    assert_eq!(report.blobs_copied, 0);
    assert_eq!(
        b_store.resolve(&tag("v1")).await.unwrap().digest,
        desc.digest
    );

    // registry -> layout, by digest
    let dst = LayoutStore::create(dir.path().join("dst")).await.unwrap();
    let report = copy_image(
        &b_store,
        &ManifestRef::Digest(desc.digest),
        &dst,
        Some("copied"),
        &CopyOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.descriptor.unwrap().digest, desc.digest);
    let raw = dst.get_manifest(&tag("copied")).await.unwrap();
    assert_eq!(raw.bytes(), image.manifest.bytes());
    // Copying again transfers nothing.
    let again = copy_image(
        &b_store,
        &tag("v1"),
        &dst,
        Some("copied"),
        &CopyOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(again.blobs_copied, 0);
    assert_eq!(again.blobs_skipped, 2);

    // A missing tag is NotFound and writes nothing.
    let err = copy_image(
        &a_store,
        &tag("missing"),
        &dst,
        Some("x"),
        &CopyOptions::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!dst.list_tags().await.unwrap().contains(&"x".to_owned()));
}

#[tokio::test]
async fn copy_with_signatures_and_referrers() {
    let registry = support::Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let src = LayoutStore::create(dir.path().join("src")).await.unwrap();
    let image = ImageBuilder::new().file("x", b"x", 0o644).build().unwrap();
    let desc = image.write_to(&src, Some("v1")).await.unwrap();
    // A cosign-style legacy signature tag and an OCI 1.1 referrer.
    let cfg = put_bytes(&src, media_type::OCI_CONFIG, b"{}").await;
    let payload = put_bytes(
        &src,
        media_type::COSIGN_SIMPLE_SIGNING,
        b"{\"critical\":{}}",
    )
    .await;
    let sig = ImageManifest::new(
        cfg.clone(),
        vec![payload.with_annotation("dev.cosignproject.cosign/signature", "MEUC")],
    )
    .to_raw()
    .unwrap();
    let sig_tag = format!("{}.sig", referrers_tag(&desc.digest));
    src.put_manifest(&sig, Some(&sig_tag)).await.unwrap();
    let bundle = put_bytes(&src, media_type::SIGSTORE_BUNDLE_V03, b"{\"bundle\":1}").await;
    let empty = put_bytes(&src, media_type::OCI_EMPTY, b"{}").await;
    let mut referrer = ImageManifest::new(empty, vec![bundle]);
    referrer.artifact_type = Some(media_type::SIGSTORE_BUNDLE_V03.into());
    referrer.subject = Some(desc.clone());
    let referrer = referrer.to_raw().unwrap();
    src.put_manifest(&referrer, None).await.unwrap();

    let dst_ref: Reference = registry.repo("mirror/app").parse().unwrap();
    let dst = AnyStore::Registry(Box::new(
        RegistryStore::new(&dst_ref, RegistryOptions::new()).unwrap(),
    ));
    let report = copy_image(
        &src,
        &tag("v1"),
        &dst,
        Some("v1"),
        &CopyOptions::new().with_signatures(true),
    )
    .await
    .unwrap();
    assert_eq!(report.artifacts.len(), 2, "{report:?}");
    assert_eq!(
        dst.get_manifest(&tag(&sig_tag)).await.unwrap().bytes(),
        sig.bytes()
    );
    // The registry has no referrers API: the tag schema index was written.
    let refs = dst
        .referrers(&desc.digest, Some(media_type::SIGSTORE_BUNDLE_V03))
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].digest, *referrer.digest());
    let tag_index = dst
        .get_manifest(&tag(&referrers_tag(&desc.digest)))
        .await
        .unwrap();
    assert!(tag_index.is_index());
}

#[test]
fn raw_manifest_digest_is_of_the_exact_bytes() {
    let body = b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
    let raw = RawManifest::new(body.to_vec(), media_type::OCI_INDEX);
    assert_eq!(raw.digest(), &Digest::sha256_of(body));
}
