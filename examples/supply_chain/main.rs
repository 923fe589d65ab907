//! `supply_chain`: the whole pipeline on a sample image; see ARCHITECTURE.md.

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
use boltseal::oci::{Store, copy_image, human_size};
use boltseal::policy::RegistryVerifier;
use boltseal::policy::{DEFAULT_CACHE_TTL, Engine, ImageVerifier, LayoutVerifier, PolicySet};
use boltseal::sbom::{Format, SpdxVersion, WriteOptions};
use boltseal::scan::{ScanOptions, Source, scan};
use boltseal::sign::{AttestOptions, SignOptions, attest_image, sign_image};
use boltseal::verify::{Claim, KeyPolicy};
use boltseal_core::Timestamp;
use clap::Parser;
use common::{Code as _, Failure};
use sample::TAG;

/// Build, SBOM, sign, attest, publish, verify and admit a sample image
#[derive(Parser, Debug)]
#[command(name = "supply_chain")]
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
    let run = |args| common::runtime().block_on(run(args));
    let ran = common::args::<Args>().and_then(run);
    ran.map_or_else(common::report, |()| ExitCode::SUCCESS)
}

async fn run(args: Args) -> Result<(), Failure> {
    let started = Timestamp::now();
    // 1. Build the sample image, and an unsigned variant for the admission check.
    let build_dir = args.workdir.join("build");
    let build = LayoutStore::create_empty(&build_dir).await.code(2)?;
    let image = sample::image(false).code(1)?;
    let built = image.write_to(&build, Some(TAG)).await.code(1)?;
    let unsigned = sample::image(true).code(1)?;
    let unsigned = unsigned.write_to(&build, Some(UNSIGNED_TAG)).await;
    let unsigned = unsigned.code(1)?.digest;
    let (dir, size) = (build_dir.display(), human_size(image.layer_descriptor.size));
    let (digest, diff_id) = (built.digest, image.diff_id);
    let layer = format!("1 layer, {size} compressed, diff_id {diff_id}");
    let variant = format!("an unsigned variant :{UNSIGNED_TAG} {unsigned}");
    println!("[1/9] built sample image oci:{dir}:{TAG} {digest} ({layer}) and {variant}");

    // 2. Its SBOM: the packages the image holds, as SPDX 2.3.
    let source = ImageLocation::parse(&format!("oci:{dir}:{TAG}")).code(2)?;
    let scanned = scan(&Source::Store(source), &ScanOptions::new()).await;
    let scanned = scanned.or_exit(1, "sbom")?;
    let options = WriteOptions::new().created_at(Timestamp::now());
    let spdx = boltseal::scan::sbom::write(&scanned, Format::Spdx(SpdxVersion::V2_3), &options);
    let spdx = spdx.or_exit(1, "sbom")?;
    let sbom_path = args.workdir.join("sbom.spdx.json");
    std::fs::write(&sbom_path, &spdx).or_exit(2, sbom_path.display())?;
    let sbom: serde_json::Value = serde_json::from_slice(&spdx).or_exit(1, "sbom")?;
    let packages: Vec<String> = (scanned.catalog.packages.iter())
        .map(|p| format!("{} {} ({})", p.name, p.version, p.kind.as_str()))
        .collect();
    let (count, packages, path) = (packages.len(), packages.join(", "), sbom_path.display());
    println!("[2/9] generated its SBOM {path} (SPDX 2.3, {count} package(s): {packages})");

    // 3. A key pair (cosign's format), kept with the demo.
    let keys_dir = args.workdir.join("keys");
    std::fs::create_dir_all(&keys_dir).or_exit(2, keys_dir.display())?;
    let password = std::env::var_os(boltseal::keys::PASSWORD_ENV).unwrap_or_default();
    let key = PrivateKey::generate().code(1)?;
    let (prefix, password) = (keys_dir.join("cosign"), password.as_encoded_bytes());
    let paths = write_key_pair(&prefix, &key, password, KeyFormat::default(), true).code(2)?;
    let (private, pub_path) = (paths.private.display(), paths.public.display());
    println!("[3/9] generated an ECDSA P-256 key pair: {private} (encrypted, 0600) and {pub_path}");

    // 4. Sign the image (the digest, resolved once).
    let reference = ManifestRef::Digest(built.digest);
    let options = SignOptions::new().annotation("pipeline", "supply_chain");
    let signed = sign_image(&build, &reference, IDENTITY, &key, &options).await;
    let (digest, at) = signed.map(|s| (s.digest, s.location)).or_exit(1, "sign")?;
    println!("[4/9] signed {digest} as {IDENTITY} -> {at}");

    // 5. Attest how it was built (SLSA v1 provenance) and what it contains (the SBOM).
    let provenance = sample::provenance(started, &image.diff_id).or_exit(1, "provenance")?;
    let mut locations = Vec::new();
    for (kind, predicate) in [(SLSA_PROVENANCE_V1, provenance), (SPDX, sbom)] {
        let options = AttestOptions::new(kind, predicate);
        let attested = attest_image(&build, &reference, IDENTITY, &key, &options).await;
        locations.push(attested.or_exit(1, format!("attest {kind}"))?.location);
    }
    let locations = locations.join(", ");
    println!("[5/9] attested SLSA v1 provenance and the SPDX SBOM -> {locations}");

    // 6. Publish both images: to the registry, or to a second layout (a mirror); check that
    //    the destination serves the digest that was built.
    let options = RegistryOptions::new().allow_http(args.allow_http_registry);
    let mirror = args.registry.is_none().then(|| args.workdir.join("mirror"));
    let repository = args
        .registry
        .unwrap_or_else(|| LAYOUT_REPOSITORY.to_owned());
    if let Some(dir) = &mirror {
        LayoutStore::create_empty(dir).await.code(2)?;
    }
    let destination = |tag: &str| match &mirror {
        Some(dir) => format!("oci:{}:{tag}", dir.display()),
        None => format!("{repository}:{tag}"),
    };
    let at = destination(TAG);
    let published = ImageLocation::parse(&at).code(2)?.create(&options).await?;
    let mut reports = Vec::new();
    for (digest, tag) in [(built.digest, TAG), (unsigned, UNSIGNED_TAG)] {
        let options = CopyOptions::new().with_signatures(tag == TAG);
        let digest = ManifestRef::Digest(digest);
        let copied = copy_image(&build, &digest, &published, Some(tag), &options).await;
        reports.push(copied.or_exit(1, format!("publish to {}", destination(tag)))?);
    }
    let served = published.resolve(&ManifestRef::Tag(TAG.to_owned())).await;
    let (served, digest) = (served.code(1)?.digest, built.digest);
    if served != digest {
        let why = format!("{at} serves {served}, but {digest} was built");
        return Err(Failure::refused(why));
    }
    let report = &reports[0];
    println!("[6/9] published to {at}: {report}; it serves {served} (digest unchanged)");

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
    let kinds = format!("{SLSA_PROVENANCE_V1} and {SPDX}");
    println!("[7/9] verified {digest}: {n} signature(s) by {pub_path}, attestations {kinds}");

    // 8-9. Admission: a Kyverno ClusterPolicy that requires the signature and pins digests,
    //      evaluated like the admission webhook does (mutate, then validate the patched Pod).
    let verifier: Arc<dyn ImageVerifier> = match &mirror {
        Some(dir) => {
            let layout = LayoutStore::open(dir).await.code(1)?;
            Arc::new(LayoutVerifier::new().with_repository(&repository, layout))
        }
        None => Arc::new(RegistryVerifier::new(options, DEFAULT_CACHE_TTL)),
    };
    let policy = sample::admission_policy(&repository, &public.to_pem());
    let policies = PolicySet::from_yaml_str("verify-image-signatures.yaml", &policy).code(1)?;
    let engine = Engine::new(policies, verifier);
    let signed = format!("{repository}:{TAG}");
    let admitted = engine.apply(&sample::pod("signed", &signed)).await;
    let pinned = format!("{signed}@{}", built.digest);
    let patched = admitted.patched.as_ref();
    let patched = patched.and_then(|p| p.pointer("/spec/containers/0/image")?.as_str());
    if !admitted.allowed() || patched != Some(pinned.as_str()) {
        let why = admitted.blocked_message();
        let why = why.unwrap_or_else(|| format!("the image was not pinned to {pinned}"));
        let why = format!("admission refused the signed Pod: {}", why.trim());
        return Err(Failure::refused(why));
    }
    println!("[8/9] admitted Pod demo/signed: signature verified, image pinned to {pinned}");
    let image = format!("{repository}:{UNSIGNED_TAG}");
    let refused = engine.apply(&sample::pod("unsigned", &image)).await;
    let why = "admission allowed a Pod whose image is not signed";
    let message = refused
        .blocked_message()
        .ok_or_else(|| Failure::refused(why));
    let message = message?;
    let reason = message.lines().map(str::trim).rfind(|l| !l.is_empty());
    let reason = reason.unwrap_or_default();
    println!("[9/9] refused Pod demo/unsigned ({image}): {reason}");
    Ok(())
}
