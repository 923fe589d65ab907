//! The `sbom-validate` and `sbom-convert` examples as users run them: the CycloneDX
//! specification's test documents and the SPDX examples through `sbom-validate` (read from
//! `../shared/corpus` at run time), the exit-status contract, and boltseal's converted output
//! checked by the reference validators (`pyspdxtools` from spdx-tools, cyclonedx-python-lib's
//! JSON schema validator) that `scripts/test.sh` installs into `BOLTSEAL_PEERS_VENV`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_test_support as support;
use boltseal_test_support::scan::peers::{CDX_CHECK, peers_venv};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(example: &str, args: &[&std::ffi::OsStr]) -> Output {
    support::Example::new(example).args(args).run()
}

fn validate(path: &Path) -> Output {
    run("sbom-validate", &[path.as_os_str()])
}

/// `gzip -dc` into a file next to the others, so that the examples read plain JSON.
fn plain(corpus_file: &Path, dir: &Path) -> PathBuf {
    if corpus_file.extension().is_none_or(|e| e != "gz") {
        return corpus_file.to_path_buf();
    }
    let out = dir.join(corpus_file.file_stem().unwrap());
    let data = Command::new("gzip")
        .arg("-dc")
        .arg(corpus_file)
        .output()
        .unwrap();
    assert!(data.status.success());
    std::fs::write(&out, data.stdout).unwrap();
    out
}

#[test]
fn cyclonedx_specification_cases_through_sbom_validate() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let base = corpus.join("sbom/cyclonedx-specification/tools/src/test/resources");
    let mut failures = Vec::new();
    for version in ["1.4", "1.5", "1.6", "1.7"] {
        let (mut valid, mut invalid) = (0, 0);
        let mut files: Vec<PathBuf> = std::fs::read_dir(base.join(version))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let expected = if name.starts_with("valid-") {
                valid += 1;
                0
            } else if name.starts_with("invalid-") {
                invalid += 1;
                1
            } else {
                continue;
            };
            let out = validate(&file);
            if out.status.code() != Some(expected) {
                failures.push(format!(
                    "{version}/{name}: exit {:?}, expected {expected}\n{}{}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            } else if expected == 1 {
                // Findings name the element: a JSON pointer or an id, then the message.
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    text.lines()
                        .any(|l| l.starts_with("invalid: ") && l.matches(": ").count() >= 2),
                    "{name}: no finding line in {text}"
                );
            }
        }
        eprintln!("CycloneDX {version}: {valid} valid-* and {invalid} invalid-* documents");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spdx_examples_validate_and_the_trivy_document_does_not() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    for f in [
        "sbom/spdx-spec/examples/SPDXJSONExample-v2.3.spdx.json",
        "sbom/spdx-spec/examples/SPDXJSONExample-v2.2.spdx.json",
        "sbom/spdx-tools-python/tests/spdx/data/SPDXJSONExample-UTF-16.spdx.json",
    ] {
        let out = validate(&corpus.join(f));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let invalid = corpus.join("sbom/spdx-tools-python/tests/spdx/data/invalid");
    for e in std::fs::read_dir(invalid).unwrap() {
        let path = e.unwrap().path();
        let out = validate(&path);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("downloadLocation"), "{text}");
    }
}

#[test]
fn usage_and_input_errors_exit_2_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "not json").unwrap();
    let missing = dir.path().join("missing.json");
    for out in [
        validate(&missing),
        validate(&not_json),
        run("sbom-validate", &[]),
        run(
            "sbom-convert",
            &[not_json.as_os_str(), "-o".as_ref(), "spdx-json".as_ref()],
        ),
        run(
            "sbom-convert",
            &[not_json.as_os_str(), "-o".as_ref(), "xml".as_ref()],
        ),
        run("sbom-convert", &[missing.as_os_str()]),
    ] {
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn converted_generator_output_passes_the_reference_validators() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let Some(venv) = peers_venv(&["pyspdxtools"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Small documents into every format; the large ones (thousands of packages and files, where
    // pyspdxtools alone needs half a minute each) into SPDX and CycloneDX 1.6 from the other
    // family.
    const ALL: &[&str] = &[
        "spdx-json",
        "cyclonedx-json@1.4",
        "cyclonedx-json@1.5",
        "cyclonedx-json@1.6",
    ];
    let inputs: [(&str, &[&str]); 6] = [
        ("fixtures/sbom/syft-tiny.spdx.json", ALL),
        ("fixtures/sbom/syft-tiny.cdx.json", ALL),
        ("fixtures/sbom/cdxgen-node.cdx17.json", ALL),
        (
            "fixtures/sbom/syft-debian-minbase.spdx.json.gz",
            &["cyclonedx-json@1.6"],
        ),
        (
            "fixtures/sbom/syft-debian-minbase.cdx.json.gz",
            &["spdx-json"],
        ),
        (
            "fixtures/sbom/cdxgen-debian-rootfs.cdx17.json.gz",
            &["spdx-json", "cyclonedx-json@1.5"],
        ),
    ];
    let mut spdx_outputs = Vec::new();
    let mut cdx_outputs = Vec::new();
    for (input, formats) in inputs {
        let src = plain(&corpus.join(input), dir.path());
        let stem = src.file_name().unwrap().to_string_lossy().replace('.', "_");
        for format in formats {
            let ext = format.replace(['@', '.'], "_");
            let out = dir.path().join(format!("{stem}.{ext}.json"));
            let r = run(
                "sbom-convert",
                &[
                    src.as_os_str(),
                    "-o".as_ref(),
                    format.as_ref(),
                    "--file".as_ref(),
                    out.as_os_str(),
                    "-q".as_ref(),
                ],
            );
            assert_eq!(
                r.status.code(),
                Some(0),
                "{input} -> {format}: {}",
                String::from_utf8_lossy(&r.stderr)
            );
            if format.starts_with("spdx") {
                spdx_outputs.push(out);
            } else {
                cdx_outputs.push(out);
            }
        }
    }
    // cyclonedx-python-lib in the background while pyspdxtools runs.
    let cdx = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(CDX_CHECK)
        .args(&cdx_outputs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let checks: Vec<(PathBuf, std::process::Child)> = spdx_outputs
        .iter()
        .map(|f| {
            let child = Command::new(venv.join("bin/pyspdxtools"))
                .arg("-i")
                .arg(f)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (f.clone(), child)
        })
        .collect();
    for (f, child) in checks {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "pyspdxtools rejects {}:\n{}{}",
            f.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = cdx.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "cyclonedx-python-lib rejects converted output:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "reference validators accepted {} SPDX and {} CycloneDX documents",
        spdx_outputs.len(),
        cdx_outputs.len()
    );
}
