//! The sample the pipeline builds: its files (under `sample/`), the image, its provenance, the
//! admission policy and the Pods that ask for it.

use boltseal::envelope::intoto::ResourceDescriptor;
use boltseal::envelope::slsa::{Provenance, Timestamp};
use boltseal::oci::{BuiltImage, ImageBuilder};
use boltseal::reference::Digest;
use boltseal::sign::now_rfc3339;

pub(crate) const TAG: &str = "v1";

/// The sample's files: path, contents, mode. The dpkg database and the Python distribution's
/// metadata are what the SBOM step finds.
pub(crate) const FILES: [(&str, &[u8], u32); 5] = [
    (
        "etc/os-release",
        include_bytes!("sample/etc/os-release"),
        0o644,
    ),
    (
        "var/lib/dpkg/status",
        include_bytes!("sample/var/lib/dpkg/status"),
        0o644,
    ),
    (
        METADATA,
        include_bytes!(
            "sample/usr/lib/python3/dist-packages/demo_greeter-0.3.1.dist-info/METADATA"
        ),
        0o644,
    ),
    ("app/hello.sh", include_bytes!("sample/app/hello.sh"), 0o755),
    ("app/README", include_bytes!("sample/app/README"), 0o644),
];
/// The file only the unsigned variant has.
pub(crate) const UNREVIEWED: (&str, &[u8], u32) = (
    "app/UNREVIEWED",
    b"Built outside the pipeline: never signed.\n",
    0o644,
);
const METADATA: &str = "usr/lib/python3/dist-packages/demo_greeter-0.3.1.dist-info/METADATA";

/// The sample image of `files`.
pub(crate) fn image<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8], u32)>,
) -> Result<BuiltImage, boltseal::oci::Error> {
    let source = (
        "org.opencontainers.image.source",
        "https://example.invalid/boltseal-demo",
    );
    files
        .fold(ImageBuilder::new(), |b, (path, contents, mode)| {
            b.file(path, contents, mode)
        })
        .entrypoint(&["/app/hello.sh"])
        .label("org.opencontainers.image.title", "boltseal-demo")
        .label(source.0, source.1)
        .build()
}

/// SLSA v1 provenance of the sample build: the builder is this example, the inputs are the
/// sample's files.
pub(crate) fn provenance(started: &str, diff_id: &Digest) -> Result<serde_json::Value, String> {
    let time = |t: &str| Timestamp::parse(t).map_err(|e| e.to_string());
    let builder = Provenance::builder(
        "https://example.invalid/boltseal/supply_chain/v1",
        "https://example.invalid/boltseal/supply_chain",
    )
    .source("https://example.invalid/boltseal-demo.git", "v1")
    .external_parameter("tag", TAG)
    .internal_parameter("layerDiffId", diff_id.to_string())
    .builder_version("boltseal", env!("CARGO_PKG_VERSION"))
    .started_on(time(started)?)
    .finished_on(time(&now_rfc3339())?);
    let file = |path: &str, contents| ResourceDescriptor::new(path, &Digest::sha256_of(contents));
    let builder = FILES.iter().fold(builder, |b, (path, contents, _)| {
        b.resolved_dependency(file(path, contents).uri(format!("file:{path}")))
    });
    builder
        .build()
        .map(|p| p.to_value())
        .map_err(|e| e.to_string())
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

/// A Pod `demo/<name>` running `image`.
pub(crate) fn pod(name: &str, image: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"containers": [{"name": "app", "image": image}]}
    })
}

/// Recreates a directory that this example owns. Refuses to clear a directory that is not an
/// OCI layout, so that nothing the user had is lost.
pub(crate) fn reset_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        if !dir.join("oci-layout").exists() {
            let why = "exists and is not an OCI layout; refusing to overwrite it";
            return Err(std::io::Error::other(why));
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)
}
