//! The reference SBOM tools `scripts/test.sh` installs into a virtual environment (syft,
//! pyspdxtools, cyclonedx-python-lib), shared by the tests that compare with them.

use std::path::PathBuf;

/// The tools' virtual environment (`BOLTSEAL_PEERS_VENV`, by default `/opt/boltseal-peers`)
/// when it has every one of `tools` in `bin/`, or `None` (skipped loudly outside CI; CI must
/// have them).
pub fn peers_venv(tools: &[&str]) -> Option<PathBuf> {
    let venv = std::env::var_os("BOLTSEAL_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/boltseal-peers"));
    if tools.iter().all(|t| venv.join("bin").join(t).exists()) {
        return Some(venv);
    }
    let names = tools.join(", ");
    assert!(
        std::env::var_os("CI").is_none(),
        "{names} are required in CI (scripts/test.sh installs them)"
    );
    eprintln!("SKIPPED: {names} not installed (scripts/test.sh installs them)");
    None
}

/// Validates CycloneDX files with cyclonedx-python-lib's JSON validator, one process for all:
/// `python -c CDX_CHECK FILE...` prints each file's verdict (the first five errors of a
/// rejected one) and exits 1 when any was rejected.
pub const CDX_CHECK: &str = r#"
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonValidator
bad = 0
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    version = SchemaVersion.from_version(json.loads(text)["specVersion"])
    errors = JsonValidator(version).validate_str(text, all_errors=True)
    if errors:
        bad += 1
        for e in list(errors)[:5]:
            print(f"{path}: {str(e)[:400]}")
    else:
        print(f"{path}: valid CycloneDX {version.to_version()}")
sys.exit(1 if bad else 0)
"#;
