//! The main job: the supply chain end to end on the embedded default (OCI layouts under
//! `target/`), or against a registry with `--registry HOST/REPO`.
//!
//! ```text
//! cargo run --release --example supply_chain
//! cargo run --release --example supply_chain -- --registry 127.0.0.1:5000/demo/app
//! ```
//!
//! It builds a small, reproducible sample image (and an unsigned variant), generates its SBOM,
//! a key pair (password from `COSIGN_PASSWORD`, empty when unset), signs the image (cosign's
//! legacy `.sig` layout), attests SLSA v1 provenance and the SBOM, publishes everything (a
//! second layout, or the registry), verifies what was published, and finally evaluates a
//! Kyverno `verifyImages` policy the way the admission webhook does: the signed Pod is admitted
//! and pinned to its digest, the unsigned one is refused.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use boltseal::envelope::intoto::ResourceDescriptor;
use boltseal::envelope::predicate::{SLSA_PROVENANCE_V1, SPDX};
use boltseal::envelope::slsa::{Provenance, Timestamp};
use boltseal::evidence::verify;
use boltseal::keys::{KeyFormat, PrivateKey, write_key_pair};
use boltseal::oci::{
    AnyStore, CopyOptions, ImageBuilder, ImageLocation, LayoutStore, ManifestRef, RegistryOptions,
    Store, copy_image,
};
use boltseal::policy::{
    AdmissionInput, DEFAULT_CACHE_TTL, Engine, ImageVerifier, LayoutVerifier, Operation, Phase,
    PolicySet, RegistryVerifier,
};
use boltseal::reference::Digest;
use boltseal::sbom::{Format, SpdxVersion, WriteOptions};
use boltseal::scan::{ScanOptions, Source, scan};
use boltseal::sign::{AttestOptions, SignOptions, attest_image, now_rfc3339, sign_image};
use boltseal::verify::{Claim, KeyPolicy};
use clap::Parser;
use common::{Code as _, Context as _, Failure};

#[derive(Parser, Debug)]
#[command(
    name = "supply_chain",
    about = "Build, SBOM, sign, attest, publish, verify and admit a sample image"
)]
struct Args {
    /// Publish to this registry repository (`HOST[:PORT]/PATH`) instead of a second layout.
    #[arg(long)]
    registry: Option<String>,
    /// Working directory for the embedded layouts.
    #[arg(long, default_value = "target/boltseal-demo")]
    workdir: PathBuf,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
}

const TAG: &str = "v1";
/// The tag of the variant that is never signed.
const UNSIGNED_TAG: &str = "unsigned";
/// The repository name the Pods use when the images are published to a layout.
const LAYOUT_REPOSITORY: &str = "localhost/boltseal-demo";
/// The signing identity of the sample image in its build layout.
const IDENTITY: &str = "localhost/boltseal-demo:v1";
/// The sample's files: path, contents, mode. The dpkg database and the Python distribution's
/// metadata are what the SBOM step finds.
const FILES: [(&str, &[u8], u32); 5] = [
    (
        "etc/os-release",
        b"ID=boltseal-demo\nID_LIKE=debian\nVERSION_ID=1\nPRETTY_NAME=\"boltseal demo\"\n",
        0o644,
    ),
    (
        "var/lib/dpkg/status",
        b"Package: boltseal-demo-base\nStatus: install ok installed\nPriority: required\n\
Section: admin\nInstalled-Size: 4\nMaintainer: boltseal <demo@example.invalid>\n\
Architecture: all\nVersion: 1.0.0\nDescription: base files of the boltseal demo image\n\n",
        0o644,
    ),
    (
        "usr/lib/python3/dist-packages/demo_greeter-0.3.1.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: demo-greeter\nVersion: 0.3.1\nSummary: Says hello\n\
License: MIT\n",
        0o644,
    ),
    (
        "app/hello.sh",
        b"#!/bin/sh\necho hello from a verified image\n",
        0o755,
    ),
    (
        "app/README",
        b"A sample image built by boltseal's supply_chain example.\n",
        0o644,
    ),
];

fn main() -> ExitCode {
    common::args::<Args>()
        .and_then(|args| common::runtime().block_on(run(args)))
        .map_or_else(common::report, |()| ExitCode::SUCCESS)
}

fn step(n: usize, text: &str) {
    println!("[{n}/9] {text}");
}

async fn run(args: Args) -> Result<(), Failure> {
    let started = now_rfc3339();
    // 1. Build the sample image, and an unsigned variant for the admission check.
    let build_dir = args.workdir.join("build");
    reset_dir(&build_dir).code(2).context(build_dir.display())?;
    let build = LayoutStore::create(&build_dir).await.code(1)?;
    let image = sample_image(FILES.iter().copied()).code(1)?;
    let built = image.write_to(&build, Some(TAG)).await.code(1)?;
    let note = &b"Built outside the pipeline: never signed.\n"[..];
    let unsigned = FILES
        .iter()
        .copied()
        .chain([("app/UNREVIEWED", note, 0o644)]);
    let unsigned_built = sample_image(unsigned)
        .code(1)?
        .write_to(&build, Some(UNSIGNED_TAG))
        .await
        .code(1)?;
    step(
        1,
        &format!(
            "built sample image oci:{}:{TAG} {} (1 layer, {} compressed, diff_id {}) and an unsigned variant :{UNSIGNED_TAG} {}",
            build_dir.display(),
            built.digest,
            common::human_size(image.layer_descriptor.size),
            image.diff_id,
            unsigned_built.digest
        ),
    );

    // 2. Its SBOM: the packages the image holds, as SPDX 2.3.
    let source = ImageLocation::parse(&format!("oci:{}:{TAG}", build_dir.display())).code(2)?;
    let scanned = scan(&Source::Store(source), &ScanOptions::new())
        .await
        .code(1)
        .context("sbom")?;
    let options = WriteOptions::new().created(now_rfc3339());
    let spdx = boltseal::scan::sbom::write(&scanned, Format::Spdx(SpdxVersion::V2_3), &options)
        .code(1)
        .context("sbom")?;
    let sbom_path = args.workdir.join("sbom.spdx.json");
    std::fs::write(&sbom_path, &spdx)
        .code(2)
        .context(sbom_path.display())?;
    let sbom: serde_json::Value = serde_json::from_slice(&spdx).code(1).context("sbom")?;
    let packages: Vec<String> = (scanned.catalog.packages.iter())
        .map(|p| format!("{} {} ({})", p.name, p.version, p.kind.as_str()))
        .collect();
    step(
        2,
        &format!(
            "generated its SBOM {} (SPDX 2.3, {} package(s): {})",
            sbom_path.display(),
            packages.len(),
            packages.join(", ")
        ),
    );

    // 3. A key pair (cosign's format), kept with the demo.
    let keys_dir = args.workdir.join("keys");
    std::fs::create_dir_all(&keys_dir)
        .code(2)
        .context(keys_dir.display())?;
    let password = std::env::var_os(boltseal::keys::PASSWORD_ENV)
        .map(|p| p.into_encoded_bytes())
        .unwrap_or_default();
    let key = PrivateKey::generate().code(1)?;
    let key_paths = write_key_pair(
        &keys_dir.join("cosign"),
        &key,
        &password,
        KeyFormat::default(),
        true,
    )
    .code(2)?;
    step(
        3,
        &format!(
            "generated an ECDSA P-256 key pair: {} (encrypted, 0600) and {}",
            key_paths.private.display(),
            key_paths.public.display()
        ),
    );

    // 4. Sign the image (the digest, resolved once).
    let reference = ManifestRef::Digest(built.digest);
    let options = SignOptions::new().annotation("pipeline", "supply_chain");
    let signed = sign_image(&build, &reference, IDENTITY, &key, &options)
        .await
        .code(1)
        .context("sign")?;
    step(
        4,
        &format!(
            "signed {} as {IDENTITY} -> {}",
            signed.digest, signed.location
        ),
    );

    // 5. Attest how it was built (SLSA v1 provenance) and what it contains (the SBOM).
    let provenance = provenance(&started, &image.diff_id)
        .code(1)
        .context("provenance")?;
    let mut locations = Vec::new();
    for (predicate_type, predicate) in [(SLSA_PROVENANCE_V1, provenance), (SPDX, sbom)] {
        let options = AttestOptions::new(predicate_type, predicate);
        let attested = attest_image(&build, &reference, IDENTITY, &key, &options)
            .await
            .code(1)
            .context(format!("attest {predicate_type}"))?;
        locations.push(attested.location.to_string());
    }
    step(
        5,
        &format!(
            "attested SLSA v1 provenance and the SPDX SBOM -> {}",
            locations.join(", ")
        ),
    );

    // 6. Publish both images: to the registry, or to a second layout (a mirror); check that
    //    the destination serves the digest that was built.
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let (repository, mirror) = match &args.registry {
        Some(repo) => (repo.clone(), None),
        None => {
            let mirror = args.workdir.join("mirror");
            reset_dir(&mirror).code(2).context(mirror.display())?;
            (LAYOUT_REPOSITORY.to_owned(), Some(mirror))
        }
    };
    let destination = |tag: &str| match &mirror {
        Some(dir) => format!("oci:{}:{tag}", dir.display()),
        None => format!("{repository}:{tag}"),
    };
    let location = ImageLocation::parse(&destination(TAG)).code(2)?;
    let published: AnyStore =
        (location.create(&options).await).map_err(|e| Failure::new(&e, common::store_exit(&e)))?;
    let mut report = None;
    for (digest, tag, signatures) in [
        (built.digest, TAG, true),
        (unsigned_built.digest, UNSIGNED_TAG, false),
    ] {
        let options = CopyOptions::new().with_signatures(signatures);
        let copied = copy_image(
            &build,
            &ManifestRef::Digest(digest),
            &published,
            Some(tag),
            &options,
        )
        .await
        .code(1)
        .context(format!("publish to {}", destination(tag)))?;
        if signatures {
            report = Some(copied);
        }
    }
    let report = report.expect("the signed image was copied");
    let served = published
        .resolve(&ManifestRef::Tag(TAG.to_owned()))
        .await
        .code(1)?;
    if served.digest != built.digest {
        let (at, digest) = (destination(TAG), built.digest);
        Err(Failure::refused(format!(
            "{at} serves {}, but {digest} was built",
            served.digest
        )))?;
    }
    step(
        6,
        &format!(
            "published to {} with {} signature/attestation artifact(s): {} manifest(s), {} blob(s) copied ({}), {} already there; it serves {} (digest unchanged)",
            destination(TAG),
            report.artifacts.len(),
            report.manifests,
            report.blobs_copied,
            common::human_size(report.bytes_copied),
            report.blobs_skipped,
            served.digest
        ),
    );

    // 7. Verify what was published, as a consumer would: the signature with the public key,
    //    then each attestation of the expected type about that digest.
    let public = key.public_key();
    let by_tag = ManifestRef::Tag(TAG.to_owned());
    let policy = KeyPolicy::new(public.clone()).annotation("pipeline", "supply_chain");
    let signatures = verify(&published, &by_tag, &policy.into(), &Claim::Signature)
        .await
        .code(1)
        .context(format!("verify {}", destination(TAG)))?;
    let authority = KeyPolicy::new(public.clone()).into();
    for predicate_type in [SLSA_PROVENANCE_V1, SPDX] {
        let claim = Claim::attestation(predicate_type);
        let v = verify(&published, &by_tag, &authority, &claim)
            .await
            .code(1)
            .context(format!("verify {predicate_type}"))?;
        if v.digest != built.digest || v.verified.is_empty() {
            let digest = v.digest;
            Err(Failure::refused(format!(
                "verify {predicate_type}: nothing verified for {digest}"
            )))?;
        }
    }
    step(
        7,
        &format!(
            "verified {}: {} signature(s) by {}, attestations {SLSA_PROVENANCE_V1} and {SPDX}",
            signatures.digest,
            signatures.verified.len(),
            key_paths.public.display(),
        ),
    );

    // 8-9. Admission: a Kyverno ClusterPolicy that requires the signature and pins digests,
    //      evaluated like the admission webhook does (mutate, then validate the patched Pod).
    let policy = admission_policy(&repository, &public.to_pem());
    let policies = PolicySet::from_yaml_str("verify-image-signatures.yaml", &policy).code(1)?;
    let verifier: Arc<dyn ImageVerifier> = match &mirror {
        Some(dir) => {
            let layout = LayoutStore::open(dir).await.code(1)?;
            Arc::new(LayoutVerifier::new().with_repository(&repository, layout))
        }
        None => Arc::new(RegistryVerifier::new(options, DEFAULT_CACHE_TTL)),
    };
    let engine = Engine::new(policies, verifier);
    let admit = |name: &str, tag: &str| {
        let pod = sample_pod(name, &format!("{repository}:{tag}"));
        let input = AdmissionInput::new(Phase::Mutate, Operation::Create, pod);
        let engine = &engine;
        async move { engine.apply(&input.with_namespace("demo")).await }
    };
    let admitted = admit("signed", TAG).await;
    let pinned = format!("{repository}:{TAG}@{}", built.digest);
    let patched_image = (admitted.patched.as_ref())
        .and_then(|p| p.pointer("/spec/containers/0/image"))
        .and_then(|v| v.as_str());
    if !admitted.allowed() || patched_image != Some(pinned.as_str()) {
        let why = (admitted.blocked_message())
            .unwrap_or_else(|| format!("the image was not pinned to {pinned}"));
        Err(Failure::refused(format!(
            "admission refused the signed Pod: {}",
            why.trim()
        )))?;
    }
    step(
        8,
        &format!("admitted Pod demo/signed: signature verified, image pinned to {pinned}"),
    );
    let refused = admit("unsigned", UNSIGNED_TAG).await;
    let message = (refused.blocked_message())
        .ok_or_else(|| Failure::refused("admission allowed a Pod whose image is not signed"))?;
    let reason = message.lines().map(str::trim).rfind(|l| !l.is_empty());
    step(
        9,
        &format!(
            "refused Pod demo/unsigned ({repository}:{UNSIGNED_TAG}): {}",
            reason.unwrap_or_default()
        ),
    );
    Ok(())
}

/// The sample image: `files` plus a dpkg database and a Python distribution for the SBOM.
fn sample_image<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8], u32)>,
) -> Result<boltseal::oci::BuiltImage, boltseal::oci::Error> {
    let mut builder = ImageBuilder::new();
    for (path, contents, mode) in files {
        builder = builder.file(path, contents, mode);
    }
    builder
        .entrypoint(&["/app/hello.sh"])
        .label("org.opencontainers.image.title", "boltseal-demo")
        .label(
            "org.opencontainers.image.source",
            "https://example.invalid/boltseal-demo",
        )
        .build()
}

/// The admission policy: the example policy (`policies/verify-image-signatures.yaml`) for the
/// images of `repository`, signed with `pem` by this pipeline (the `pipeline` annotation).
fn admission_policy(repository: &str, pem: &str) -> String {
    let policy = include_str!("policies/verify-image-signatures.yaml");
    let (begin, end) = ("-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----");
    let example_key = (policy.find(begin).zip(policy.find(end)))
        .map_or("", |(from, to)| &policy[from..to + end.len()]);
    let key = pem.trim_end().replace('\n', "\n                      ");
    let annotated =
        "- annotations:\n                    pipeline: supply_chain\n                  keys:";
    policy
        .replace("registry.example.com/apps/*", &format!("{repository}:*"))
        .replacen(example_key, &key, usize::from(!example_key.is_empty()))
        .replace("- keys:", annotated)
}

fn sample_pod(name: &str, image: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"containers": [{"name": "app", "image": image}]}
    })
}

/// SLSA v1 provenance of the sample build: the builder is this example, the inputs are the
/// sample's files.
fn provenance(started: &str, diff_id: &Digest) -> Result<serde_json::Value, String> {
    let mut builder = Provenance::builder(
        "https://example.invalid/boltseal/supply_chain/v1",
        "https://example.invalid/boltseal/supply_chain",
    )
    .source("https://example.invalid/boltseal-demo.git", "v1")
    .external_parameter("tag", TAG)
    .internal_parameter("layerDiffId", diff_id.to_string())
    .builder_version("boltseal", env!("CARGO_PKG_VERSION"))
    .started_on(Timestamp::parse(started).map_err(|e| e.to_string())?)
    .finished_on(Timestamp::parse(&now_rfc3339()).map_err(|e| e.to_string())?);
    for (path, contents, _) in FILES {
        builder = builder.resolved_dependency(
            ResourceDescriptor::new(path, &Digest::sha256_of(contents)).uri(format!("file:{path}")),
        );
    }
    builder
        .build()
        .map(|p| p.to_value())
        .map_err(|e| e.to_string())
}

/// Recreates a directory that this example owns. Refuses to clear a directory that is not an
/// OCI layout, so that nothing the user had is lost.
fn reset_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        if !dir.join("oci-layout").exists() {
            return Err(std::io::Error::other(
                "exists and is not an OCI layout; refusing to overwrite it",
            ));
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)
}
