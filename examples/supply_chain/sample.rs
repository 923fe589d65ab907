//! The sample the pipeline builds: its files (under `sample/`), the image, its provenance, the
//! admission policy and the Pods that ask for it.

use boltseal::envelope::intoto::ResourceDescriptor;
use boltseal::envelope::slsa::Provenance;
use boltseal::oci::{BuiltImage, ImageBuilder};
use boltseal::policy::{AdmissionInput, Operation, Phase};
use boltseal::reference::Digest;
use boltseal_core::Timestamp;

pub(crate) const TAG: &str = "v1";

/// The files under `sample/`, with their modes.
macro_rules! files {
    ($($mode:literal $path:literal,)*) => {
        [$(($path, include_bytes!(concat!("sample/", $path)) as &[u8], $mode),)*]
    };
}

/// The sample's files: path, contents, mode. The dpkg database and the Python distribution's
/// metadata are what the SBOM step finds.
pub(crate) const FILES: [(&str, &[u8], u32); 5] = files![
    0o644 "etc/os-release",
    0o644 "var/lib/dpkg/status",
    0o644 "usr/lib/python3/dist-packages/demo_greeter-0.3.1.dist-info/METADATA",
    0o755 "app/hello.sh",
    0o644 "app/README",
];
/// What the unsigned variant has in addition.
const UNREVIEWED: &[u8] = b"Built outside the pipeline: never signed.\n";

/// The sample image; the unsigned variant has one more file, built outside the pipeline.
pub(crate) fn image(unsigned: bool) -> Result<BuiltImage, boltseal::oci::Error> {
    let mut builder = ImageBuilder::new();
    for (path, contents, mode) in FILES {
        builder = builder.file(path, contents, mode);
    }
    if unsigned {
        builder = builder.file("app/UNREVIEWED", UNREVIEWED, 0o644);
    }
    let source = "https://example.invalid/boltseal-demo";
    (builder.entrypoint(&["/app/hello.sh"]))
        .label("org.opencontainers.image.title", "boltseal-demo")
        .label("org.opencontainers.image.source", source)
        .build()
}

/// SLSA v1 provenance of the sample build: the builder is this example, the inputs are the
/// sample's files.
pub(crate) fn provenance(
    started: Timestamp,
    diff_id: &Digest,
) -> Result<serde_json::Value, boltseal::envelope::slsa::Error> {
    let builder = Provenance::builder(
        "https://example.invalid/boltseal/supply_chain/v1",
        "https://example.invalid/boltseal/supply_chain",
    )
    .source("https://example.invalid/boltseal-demo.git", "v1")
    .external_parameter("tag", TAG)
    .internal_parameter("layerDiffId", diff_id.to_string())
    .builder_version("boltseal", env!("CARGO_PKG_VERSION"))
    .started_on(started.try_into()?)
    .finished_on(Timestamp::now().try_into()?);
    let file = |path: &str, contents| ResourceDescriptor::new(path, &Digest::sha256_of(contents));
    let builder = FILES.iter().fold(builder, |b, (path, contents, _)| {
        b.resolved_dependency(file(path, contents).uri(format!("file:{path}")))
    });
    builder.build().map(|p| p.to_value())
}

/// The admission policy: the example policy (`policies/verify-image-signatures.yaml`) for the
/// images of `repository`, signed with `pem` by this pipeline (the `pipeline` annotation).
pub(crate) fn admission_policy(repository: &str, pem: &str) -> String {
    let policy = include_str!("../policies/verify-image-signatures.yaml");
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

/// The admission request (mutate, create) of a Pod `demo/<name>` running `image`.
pub(crate) fn pod(name: &str, image: &str) -> AdmissionInput {
    let pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"containers": [{"name": "app", "image": image}]}
    });
    AdmissionInput::new(Phase::Mutate, Operation::Create, pod).with_namespace("demo")
}
