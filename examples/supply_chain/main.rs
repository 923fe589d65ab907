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

mod admit;
#[path = "../common/mod.rs"]
mod common;
mod sample;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use boltseal::envelope::predicate::{SLSA_PROVENANCE_V1, SPDX};
use boltseal::evidence::verify;
use boltseal::keys::{KeyFormat, PrivateKey, write_key_pair};
use boltseal::oci::{CopyOptions, ImageLocation, LayoutStore, ManifestRef, RegistryOptions};
use boltseal::oci::{Store, copy_image};
use boltseal::policy::{DEFAULT_CACHE_TTL, ImageVerifier, LayoutVerifier, RegistryVerifier};
use boltseal::sbom::{Format, SpdxVersion, WriteOptions};
use boltseal::scan::{ScanOptions, Source, scan};
use boltseal::sign::{AttestOptions, SignOptions, attest_image, now_rfc3339, sign_image};
use boltseal::verify::{Claim, KeyPolicy};
use clap::Parser;
use common::{Code as _, Failure};
use sample::{FILES, TAG};

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

/// The tag of the variant that is never signed.
const UNSIGNED_TAG: &str = "unsigned";
/// The repository name the Pods use when the images are published to a layout.
const LAYOUT_REPOSITORY: &str = "localhost/boltseal-demo";
/// The signing identity of the sample image in its build layout.
const IDENTITY: &str = "localhost/boltseal-demo:v1";

fn main() -> ExitCode {
    common::args::<Args>()
        .and_then(|args| common::runtime().block_on(run(args)))
        .map_or_else(common::report, |()| ExitCode::SUCCESS)
}

/// Prints step `n` of 9: `[n/9] …`.
macro_rules! step {
    ($n:literal, $($text:tt)*) => { println!("[{}/9] {}", $n, format_args!($($text)*)) };
}

async fn run(args: Args) -> Result<(), Failure> {
    let started = now_rfc3339();
    // 1. Build the sample image, and an unsigned variant for the admission check.
    let build_dir = args.workdir.join("build");
    sample::reset_dir(&build_dir).or_exit(2, build_dir.display())?;
    let build = LayoutStore::create(&build_dir).await.code(1)?;
    let image = sample::image(FILES.iter().copied()).code(1)?;
    let built = image.write_to(&build, Some(TAG)).await.code(1)?;
    let unsigned = sample::image(FILES.iter().copied().chain([sample::UNREVIEWED])).code(1)?;
    let unsigned = unsigned
        .write_to(&build, Some(UNSIGNED_TAG))
        .await
        .code(1)?
        .digest;
    let (dir, size) = (
        build_dir.display(),
        common::human_size(image.layer_descriptor.size),
    );
    let (digest, diff_id) = (built.digest, image.diff_id);
    step!(
        1,
        "built sample image oci:{dir}:{TAG} {digest} (1 layer, {size} compressed, diff_id {diff_id}) and an unsigned variant :{UNSIGNED_TAG} {unsigned}"
    );

    // 2. Its SBOM: the packages the image holds, as SPDX 2.3.
    let source = ImageLocation::parse(&format!("oci:{}:{TAG}", build_dir.display())).code(2)?;
    let scanned = scan(&Source::Store(source), &ScanOptions::new()).await;
    let scanned = scanned.or_exit(1, "sbom")?;
    let options = WriteOptions::new().created(now_rfc3339());
    let spdx = boltseal::scan::sbom::write(&scanned, Format::Spdx(SpdxVersion::V2_3), &options);
    let spdx = spdx.or_exit(1, "sbom")?;
    let sbom_path = args.workdir.join("sbom.spdx.json");
    std::fs::write(&sbom_path, &spdx).or_exit(2, sbom_path.display())?;
    let sbom: serde_json::Value = serde_json::from_slice(&spdx).or_exit(1, "sbom")?;
    let packages: Vec<String> = (scanned.catalog.packages.iter())
        .map(|p| format!("{} {} ({})", p.name, p.version, p.kind.as_str()))
        .collect();
    let (count, packages, path) = (packages.len(), packages.join(", "), sbom_path.display());
    step!(
        2,
        "generated its SBOM {path} (SPDX 2.3, {count} package(s): {packages})"
    );

    // 3. A key pair (cosign's format), kept with the demo.
    let keys_dir = args.workdir.join("keys");
    std::fs::create_dir_all(&keys_dir).or_exit(2, keys_dir.display())?;
    let password = std::env::var_os(boltseal::keys::PASSWORD_ENV).unwrap_or_default();
    let key = PrivateKey::generate().code(1)?;
    let prefix = keys_dir.join("cosign");
    let key_paths = write_key_pair(
        &prefix,
        &key,
        password.as_encoded_bytes(),
        KeyFormat::default(),
        true,
    )
    .code(2)?;
    let (private, public_path) = (key_paths.private.display(), key_paths.public.display());
    let pair = format!("{private} (encrypted, 0600) and {public_path}");
    step!(3, "generated an ECDSA P-256 key pair: {pair}");

    // 4. Sign the image (the digest, resolved once).
    let reference = ManifestRef::Digest(built.digest);
    let options = SignOptions::new().annotation("pipeline", "supply_chain");
    let signed = sign_image(&build, &reference, IDENTITY, &key, &options).await;
    let (digest, at) = signed.map(|s| (s.digest, s.location)).or_exit(1, "sign")?;
    step!(4, "signed {digest} as {IDENTITY} -> {at}");

    // 5. Attest how it was built (SLSA v1 provenance) and what it contains (the SBOM).
    let provenance = sample::provenance(&started, &image.diff_id).or_exit(1, "provenance")?;
    let mut locations = Vec::new();
    for (kind, predicate) in [(SLSA_PROVENANCE_V1, provenance), (SPDX, sbom)] {
        let options = AttestOptions::new(kind, predicate);
        let attested = attest_image(&build, &reference, IDENTITY, &key, &options).await;
        locations.push(attested.or_exit(1, format!("attest {kind}"))?.location);
    }
    let locations = locations.join(", ");
    step!(
        5,
        "attested SLSA v1 provenance and the SPDX SBOM -> {locations}"
    );

    // 6. Publish both images: to the registry, or to a second layout (a mirror); check that
    //    the destination serves the digest that was built.
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let mirror = args.workdir.join("mirror");
    let (repository, mirror) = match &args.registry {
        Some(repo) => (repo.clone(), None),
        None => (LAYOUT_REPOSITORY.to_owned(), Some(mirror)),
    };
    if let Some(dir) = &mirror {
        sample::reset_dir(dir).or_exit(2, dir.display())?;
    }
    let destination = |tag: &str| match &mirror {
        Some(dir) => format!("oci:{}:{tag}", dir.display()),
        None => format!("{repository}:{tag}"),
    };
    let location = ImageLocation::parse(&destination(TAG)).code(2)?;
    let published = location.create(&options).await?;
    let mut reports = Vec::new();
    for (digest, tag) in [(built.digest, TAG), (unsigned, UNSIGNED_TAG)] {
        let options = CopyOptions::new().with_signatures(tag == TAG);
        let digest = ManifestRef::Digest(digest);
        let copied = copy_image(&build, &digest, &published, Some(tag), &options).await;
        reports.push(copied.or_exit(1, format!("publish to {}", destination(tag)))?);
    }
    let served = published.resolve(&ManifestRef::Tag(TAG.to_owned())).await;
    let (served, at, digest) = (served.code(1)?.digest, destination(TAG), built.digest);
    if served != digest {
        let why = format!("{at} serves {served}, but {digest} was built");
        return Err(Failure::refused(why));
    }
    let r = &reports[0];
    let (artifacts, copied) = (r.artifacts.len(), common::human_size(r.bytes_copied));
    step!(
        6,
        "published to {at} with {artifacts} signature/attestation artifact(s): {} manifest(s), {} blob(s) copied ({copied}), {} already there; it serves {served} (digest unchanged)",
        r.manifests,
        r.blobs_copied,
        r.blobs_skipped,
    );

    // 7. Verify what was published, as a consumer would: the signature with the public key,
    //    then each attestation of the expected type about that digest.
    let public = key.public_key();
    let by_tag = ManifestRef::Tag(TAG.to_owned());
    let policy = KeyPolicy::new(public.clone()).annotation("pipeline", "supply_chain");
    let signatures = verify(&published, &by_tag, &policy.into(), &Claim::Signature).await;
    let signatures = signatures.or_exit(1, format!("verify {at}"))?;
    let authority = KeyPolicy::new(public.clone()).into();
    for kind in [SLSA_PROVENANCE_V1, SPDX] {
        let v = verify(&published, &by_tag, &authority, &Claim::attestation(kind)).await;
        let v = v.or_exit(1, format!("verify {kind}"))?;
        if v.digest != digest || v.verified.is_empty() {
            let why = format!("verify {kind}: nothing verified for {}", v.digest);
            return Err(Failure::refused(why));
        }
    }
    let (n, digest) = (signatures.verified.len(), signatures.digest);
    let attestations = format!("{SLSA_PROVENANCE_V1} and {SPDX}");
    step!(
        7,
        "verified {digest}: {n} signature(s) by {public_path}, attestations {attestations}"
    );

    // 8-9. Admission: a Kyverno ClusterPolicy that requires the signature and pins digests,
    //      evaluated like the admission webhook does (mutate, then validate the patched Pod).
    let verifier: Arc<dyn ImageVerifier> = match &mirror {
        Some(dir) => {
            let layout = LayoutStore::open(dir).await.code(1)?;
            Arc::new(LayoutVerifier::new().with_repository(&repository, layout))
        }
        None => Arc::new(RegistryVerifier::new(options, DEFAULT_CACHE_TTL)),
    };
    let admission = admit::Admission::new(&repository, &public.to_pem(), verifier)?;
    let pinned = admission.signed(&built.digest).await?;
    step!(
        8,
        "admitted Pod demo/signed: signature verified, image pinned to {pinned}"
    );
    let (image, reason) = admission.unsigned(UNSIGNED_TAG).await?;
    step!(9, "refused Pod demo/unsigned ({image}): {reason}");
    Ok(())
}
