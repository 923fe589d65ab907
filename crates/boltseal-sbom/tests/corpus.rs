//! Conformance against upstream data in `../shared/corpus/sbom` (read at run time, never
//! copied): the CycloneDX specification's valid/invalid test documents, the SPDX examples, the
//! known-invalid trivy SPDX document, and real generator output (syft, cdxgen, trivy).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use boltseal_sbom::{CycloneDxVersion, Format, WriteOptions};

use boltseal_test_support::shared_corpus as corpus;

fn read(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        let mut child = std::process::Command::new("gzip")
            .args(["-dc"])
            .arg(path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut out).unwrap();
        assert!(child.wait().unwrap().success());
        return out;
    }
    bytes
}

fn cyclonedx_case_files(corpus: &Path, version: &str) -> Vec<PathBuf> {
    let dir = corpus
        .join("sbom/cyclonedx-specification/tools/src/test/resources")
        .join(version);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn cyclonedx_specification_cases() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    // 1.4 to 1.6 are what the crate writes; 1.7 is read (and validated) where it extends 1.6.
    for version in ["1.4", "1.5", "1.6", "1.7"] {
        let (mut valid, mut invalid) = (0, 0);
        for file in cyclonedx_case_files(&corpus, version) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let expect_valid = name.starts_with("valid-");
            let outcome = boltseal_sbom::validate(&std::fs::read(&file).unwrap());
            let ok = match &outcome {
                Ok(v) => v.is_valid() == expect_valid,
                Err(_) => !expect_valid,
            };
            if expect_valid {
                valid += 1;
            } else {
                invalid += 1;
            }
            if !ok {
                let detail = match outcome {
                    Ok(v) => v
                        .findings
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    Err(e) => e.to_string(),
                };
                failures.push(format!(
                    "{version}/{name}: expected {} — {detail}",
                    if expect_valid { "valid" } else { "invalid" }
                ));
            }
        }
        eprintln!("CycloneDX {version}: {valid} valid-* and {invalid} invalid-* cases");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn spdx_documents(corpus: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        corpus.join("sbom/spdx-spec/examples/SPDXJSONExample-v2.3.spdx.json"),
        corpus.join("sbom/spdx-spec/examples/SPDXJSONExample-v2.2.spdx.json"),
        corpus.join("sbom/spdx-tools-python/tests/spdx/data/SPDXJSONExample-v2.3.spdx.json"),
        corpus.join("sbom/spdx-tools-python/tests/spdx/data/SPDXJSONExample-v2.2.spdx.json"),
        corpus.join("sbom/spdx-tools-python/tests/spdx/data/SPDXJSONExample-UTF-16.spdx.json"),
        corpus.join(
            "sbom/spdx-tools-python/tests/spdx/data/circleConversionTestInitialDocument.json",
        ),
        corpus.join("sbom/trivy/integration/testdata/conda-spdx.json.golden"),
        corpus.join("sbom/trivy/integration/testdata/julia-spdx.json.golden"),
        corpus.join("fixtures/sbom/syft-tiny.spdx.json"),
        corpus.join("fixtures/sbom/syft-debian-minbase.spdx.json.gz"),
    ];
    let snapshots = corpus.join("sbom/syft/syft/format/spdxjson/testdata/snapshot");
    if let Ok(dir) = std::fs::read_dir(snapshots) {
        let mut more: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
        more.sort();
        files.extend(more);
    }
    files.retain(|f| f.exists());
    files
}

fn cyclonedx_documents(corpus: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        corpus.join("fixtures/sbom/syft-tiny.cdx.json"),
        corpus.join("fixtures/sbom/syft-debian-minbase.cdx.json.gz"),
        corpus.join("fixtures/sbom/syft-debian-minbase.cdx14.json.gz"),
        corpus.join("fixtures/sbom/syft-mixed.cdx.json.gz"),
    ];
    for v in ["1.4", "1.5", "1.6"] {
        files.extend(cyclonedx_case_files(corpus, v).into_iter().filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("valid-")
        }));
    }
    files.retain(|f| f.exists());
    files
}

#[test]
fn spdx_examples_and_real_documents_validate() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    let files = spdx_documents(&corpus);
    // syft's snapshot goldens have redacted timestamps, namespaces, checksums and purls.
    let files: Vec<&PathBuf> = files
        .iter()
        .filter(|f| !f.to_string_lossy().contains("/snapshot/"))
        .collect();
    for file in &files {
        let v = boltseal_sbom::validate(&read(file)).unwrap();
        if !v.is_valid() {
            let lines: Vec<String> = v.errors().take(8).map(ToString::to_string).collect();
            failures.push(format!("{}: {}", file.display(), lines.join("; ")));
        }
    }
    eprintln!("SPDX: {} documents validated", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn known_invalid_trivy_spdx_is_rejected() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("sbom/spdx-tools-python/tests/spdx/data/invalid");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let v = boltseal_sbom::validate(&read(&path)).unwrap();
        assert!(!v.is_valid(), "{} must be invalid", path.display());
        assert!(
            v.errors().any(|f| f.message.contains("downloadLocation")),
            "the missing downloadLocation is reported"
        );
        n += 1;
    }
    assert!(n >= 1);
}

/// Reading then writing the same format and version gives the same JSON value.
#[test]
fn same_format_round_trip_is_lossless() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    let mut n = 0;
    for file in spdx_documents(&corpus)
        .iter()
        .chain(cyclonedx_documents(&corpus).iter())
    {
        let bytes = read(file);
        let sbom = boltseal_sbom::read(&bytes).unwrap();
        let format = sbom.source.unwrap();
        let target = format;
        let out = boltseal_sbom::write(&sbom, target, &WriteOptions::new()).unwrap();
        let original: serde_json::Value = serde_json::from_slice(&bytes_utf8(&bytes)).unwrap();
        let written: serde_json::Value = serde_json::from_slice(&out.bytes).unwrap();
        n += 1;
        if let Some(diff) = first_difference(&original, &written, String::new(), format) {
            failures.push(format!("{}: {diff}", file.display()));
        }
    }
    eprintln!("round trip: {n} documents");
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn bytes_utf8(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16(&units).unwrap().into_bytes();
    }
    bytes.to_vec()
}

/// Differences a same-format rewrite is allowed to make: SPDX NOASSERTION download
/// locations added where the original omitted the (required) field, and empty arrays omitted.
fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: String,
    format: Format,
) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}/{k}");
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_difference(va, vb, p, format) {
                            return Some(d);
                        }
                    }
                    None if va.is_null() || va.as_array().is_some_and(Vec::is_empty) => {}
                    None => return Some(format!("{p} missing in output")),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    let allowed = matches!(format, Format::CycloneDx(_))
                        && (k == "dependsOn"
                            || k == "components"
                            || k == "$schema"
                            || k == "version")
                        || k == "downloadLocation" && vb == "NOASSERTION";
                    if !allowed {
                        return Some(format!("{path}/{k} added in output: {vb}"));
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} items became {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{path}/{i}"), format))
        }
        _ if a == b => None,
        // SPDX 2.2 documents are written as SPDX 2.3.
        (Value::String(x), Value::String(y)) if x == "SPDX-2.2" && y == "SPDX-2.3" => None,
        _ => Some(format!("{path}: {a} became {b}")),
    }
}

#[test]
fn generator_output_converts_both_ways_and_validates() {
    let Some(corpus) = corpus() else { return };
    let inputs = [
        "fixtures/sbom/syft-tiny.spdx.json",
        "fixtures/sbom/syft-debian-minbase.spdx.json.gz",
        "fixtures/sbom/syft-tiny.cdx.json",
        "fixtures/sbom/syft-debian-minbase.cdx.json.gz",
        "fixtures/sbom/syft-mixed.cdx.json.gz",
        "fixtures/sbom/cdxgen-node.cdx17.json",
        "fixtures/sbom/cdxgen-debian-rootfs.cdx17.json.gz",
    ];
    let targets = [
        Format::Spdx(boltseal_sbom::SpdxVersion::V2_3),
        Format::CycloneDx(CycloneDxVersion::V1_4),
        Format::CycloneDx(CycloneDxVersion::V1_5),
        Format::CycloneDx(CycloneDxVersion::V1_6),
    ];
    let mut failures = Vec::new();
    for input in inputs {
        let path = corpus.join(input);
        let bytes = read(&path);
        let source = boltseal_sbom::read(&bytes).unwrap();
        let n_in = source.packages.len() + source.files.len();
        // What is wrong with the input may stay wrong (cdxgen writes license expressions with
        // ids that are not on the SPDX list); nothing else may be.
        let input_errors: std::collections::HashSet<String> = boltseal_sbom::validate(&bytes)
            .unwrap()
            .errors()
            .map(|f| f.message.clone())
            .collect();
        for target in targets {
            let out =
                boltseal_sbom::convert::convert(&bytes, target, &WriteOptions::new()).unwrap();
            let v = boltseal_sbom::validate(&out.bytes).unwrap();
            let new: Vec<String> = v
                .errors()
                .filter(|f| !input_errors.contains(&f.message))
                .take(5)
                .map(ToString::to_string)
                .collect();
            if !new.is_empty() {
                failures.push(format!("{input} -> {target}: {}", new.join("; ")));
            }
            let back = boltseal_sbom::read(&out.bytes).unwrap();
            let n_out = back.packages.len() + back.files.len();
            if n_out != n_in {
                failures.push(format!(
                    "{input} -> {target}: {n_in} elements became {n_out}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
