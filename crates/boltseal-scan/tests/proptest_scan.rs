//! Property tests: layer stacks with whiteouts and opaque directories squash to what a naive
//! model of the OCI rules says; every database parser reads back what a writer of its format
//! wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use boltseal_scan::catalog::{apk, cargo, dpkg, npm, python};
use boltseal_scan::{Distro, FileIndex, Limits, read_layer};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    File(String, u8),
    Whiteout(String),
    Opaque(String),
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4).prop_map(|v| v.join("/"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (path(), any::<u8>()).prop_map(|(p, b)| Op::File(p, b)),
        1 => path().prop_map(Op::Whiteout),
        1 => prop_oneof![Just(String::new()), path()].prop_map(Op::Opaque),
    ]
}

fn layer_tar(ops: &[Op]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    for op in ops {
        match op {
            // `<path>/package.json` so that contents are kept and comparable.
            Op::File(p, byte) => add(&format!("{p}/package.json"), &[*byte]),
            Op::Whiteout(p) => {
                let (dir, name) = p.rsplit_once('/').map_or(("", p.as_str()), |(d, n)| (d, n));
                let wh = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                add(&wh, b"");
            }
            Op::Opaque(dir) => {
                let marker = if dir.is_empty() {
                    ".wh..wh..opq".to_owned()
                } else {
                    format!("{dir}/.wh..wh..opq")
                };
                add(&marker, b"");
            }
        }
    }
    b.into_inner().unwrap()
}

/// The OCI rules, naively: whiteouts and opaque markers of a layer hide lower layers only.
fn model(layers: &[Vec<Op>]) -> BTreeMap<String, u8> {
    let mut files: BTreeMap<String, u8> = BTreeMap::new();
    for ops in layers {
        let under = |dir: &str, f: &str| dir.is_empty() || f.starts_with(&format!("/{dir}/"));
        for op in ops {
            match op {
                Op::Whiteout(p) => {
                    files.retain(|f, _| *f != format!("/{p}/package.json") && !under(p, f));
                }
                Op::Opaque(dir) => files.retain(|f, _| !under(dir, f)),
                Op::File(..) => {}
            }
        }
        for op in ops {
            if let Op::File(p, b) = op {
                files.insert(format!("/{p}/package.json"), *b);
            }
        }
    }
    // A file that is a prefix directory of another cannot exist in this alphabet: paths end
    // in package.json.
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn squashed_layers_follow_the_whiteout_rules(layers in prop::collection::vec(prop::collection::vec(op(), 0..8), 1..4)) {
        let changes: Vec<_> = layers
            .iter()
            .map(|ops| read_layer(&layer_tar(ops)[..], "layer", &Limits::default()).unwrap())
            .collect();
        let index = FileIndex::squash(changes);
        let got: BTreeMap<String, u8> = index
            .iter()
            .filter_map(|(p, n)| n.content.as_ref().map(|c| (p.to_owned(), c[0])))
            .collect();
        prop_assert_eq!(got, model(&layers));
    }

    #[test]
    fn gzip_and_zstd_layers_read_like_plain_ones(ops in prop::collection::vec(op(), 0..8)) {
        use std::io::Write;
        let tar = layer_tar(&ops);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(&tar[..], 1).unwrap();
        let plain = read_layer(&tar[..], "l", &Limits::default()).unwrap();
        for compressed in [gz, zst] {
            let c = read_layer(&compressed[..], "l", &Limits::default()).unwrap();
            prop_assert_eq!(&c.whiteouts, &plain.whiteouts);
            prop_assert_eq!(&c.opaque, &plain.opaque);
            let a: Vec<&String> = c.entries.iter().map(|e| &e.0).collect();
            let b: Vec<&String> = plain.entries.iter().map(|e| &e.0).collect();
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn dpkg_status_round_trips(entries in prop::collection::vec(("[a-z][a-z0-9+.-]{0,12}", "[0-9][0-9a-z.+~-]{0,10}", prop::sample::select(vec!["amd64", "all", "arm64"]), prop::option::of("[a-z][a-z0-9-]{0,8}")), 1..6)) {
        let mut text = String::new();
        for (name, version, arch, source) in &entries {
            text.push_str(&format!("Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: {arch}\n"));
            if let Some(s) = source {
                text.push_str(&format!("Source: {s} (1.0-1)\n"));
            }
            text.push_str("Description: short\n long text\n .\n more\n\n");
        }
        let parsed = dpkg::parse_status(&text);
        prop_assert_eq!(parsed.len(), entries.len());
        for (p, (name, version, arch, source)) in parsed.iter().zip(&entries) {
            prop_assert_eq!(&p.package, name);
            prop_assert_eq!(&p.version, version);
            prop_assert_eq!(&p.architecture, arch);
            prop_assert_eq!(&p.source, source);
            prop_assert_eq!(p.description.as_deref(), Some("short"));
        }
    }

    #[test]
    fn apk_db_round_trips(entries in prop::collection::vec(("[a-z][a-z0-9._-]{0,12}", "[0-9][0-9a-z._]{0,6}-r[0-9]", prop::collection::vec("[a-z]{1,6}", 0..3)), 1..5)) {
        let mut text = String::new();
        for (name, version, files) in &entries {
            text.push_str(&format!("C:Q1abc=\nP:{name}\nV:{version}\nA:x86_64\nF:usr/bin\n"));
            for f in files {
                text.push_str(&format!("R:{f}\n"));
            }
            text.push('\n');
        }
        let parsed = apk::parse_installed(&text);
        prop_assert_eq!(parsed.len(), entries.len());
        for (p, (name, version, files)) in parsed.iter().zip(&entries) {
            prop_assert_eq!(&p.name, name);
            prop_assert_eq!(&p.version, version);
            let got: Vec<String> = p.files.iter().map(|f| f.0.clone()).collect();
            let want: Vec<String> = files.iter().map(|f| format!("/usr/bin/{f}")).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn python_metadata_round_trips(name in "[A-Za-z][A-Za-z0-9._-]{0,20}", version in "[0-9][0-9a-z.]{0,8}") {
        let text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: s\n\nName: not-this\n");
        let m = python::parse_metadata(&text);
        prop_assert_eq!(&m.name, &name);
        prop_assert_eq!(&m.version, &version);
        let n = python::normalize(&name);
        prop_assert_eq!(python::normalize(&n), n.clone());
        prop_assert!(!n.contains(['_', '.']) && n.chars().all(|c| !c.is_ascii_uppercase()));
    }

    #[test]
    fn package_json_round_trips(scope in prop::option::of("[a-z]{1,8}"), name in "[a-z][a-z0-9._-]{0,12}", version in "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}") {
        let full = match &scope { Some(s) => format!("@{s}/{name}"), None => name.clone() };
        let doc = serde_json::json!({"name": full, "version": version, "license": {"type": "MIT"}});
        let parsed = npm::parse_package_json(doc.to_string().as_bytes());
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0].name, &full);
        prop_assert_eq!(&parsed[0].licenses, &vec!["MIT".to_owned()]);
        let purl: boltseal_sbom::Purl = npm::npm_purl(&full, &version).unwrap().parse().unwrap();
        let ns = scope.map(|s| format!("@{s}"));
        prop_assert_eq!(purl.namespace(), ns.as_deref());
        prop_assert_eq!(purl.name(), name.as_str());
    }

    #[test]
    fn os_release_round_trips(id in "[a-z][a-z0-9._-]{0,10}", version in "[0-9][0-9.]{0,5}", quote in prop::sample::select(vec!["", "\"", "'"])) {
        let text = format!("# comment\nID={quote}{id}{quote}\nVERSION_ID={quote}{version}{quote}\n");
        let d = Distro::parse(&text).unwrap();
        prop_assert_eq!(&d.id, &id);
        prop_assert_eq!(d.version_id.as_deref(), Some(version.as_str()));
    }

    #[test]
    fn cargo_lock_round_trips(crates in prop::collection::vec(("[a-z][a-z0-9_-]{0,10}", "[0-9]\\.[0-9]\\.[0-9]", any::<bool>()), 1..6)) {
        let mut text = String::from("version = 3\n\n");
        for (name, version, registry) in &crates {
            text.push_str(&format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"));
            if *registry {
                text.push_str("source = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
            }
            text.push_str("dependencies = [\n \"x 1.0.0\",\n]\n\n");
        }
        let parsed = cargo::parse_lock(&text);
        prop_assert_eq!(parsed.len(), crates.len());
        for (p, (name, version, registry)) in parsed.iter().zip(&crates) {
            prop_assert_eq!(&p.name, name);
            prop_assert_eq!(&p.version, version);
            prop_assert_eq!(p.source.is_some(), *registry);
            prop_assert_eq!(&p.dependencies, &vec!["x 1.0.0".to_owned()]);
        }
    }
}
