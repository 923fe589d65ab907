//! Properties of pinning over generated Dockerfiles and Kubernetes manifests: every reference
//! span holds exactly the reference; pinning changes no byte outside the references; pinning
//! twice is pinning once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::Path;

use boltseal_pin::{
    Entry, FileKind, Result, Scan, State, Target, edits_for, rewrite_checked, scan, state_of,
    tag_key,
};
use boltseal_reference::Digest;
use proptest::prelude::*;

fn reference() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "",
            "ghcr.io/",
            "127.0.0.1:5000/",
            "localhost/",
            "docker.io/",
        ]),
        prop::sample::select(vec!["app", "team/app", "library/nginx", "a-b/c_d.e"]),
        prop::option::of(prop::sample::select(vec![
            "1",
            "v1.2.3",
            "latest",
            "18-alpine",
        ])),
        prop::option::of(prop::sample::select(vec!["old", "other"])),
    )
        .prop_map(|(reg, path, tag, digest)| {
            let mut s = format!("{reg}{path}");
            if let Some(t) = tag {
                s.push(':');
                s.push_str(t);
            }
            if let Some(d) = digest {
                s.push('@');
                s.push_str(Digest::sha256_of(d.as_bytes()).as_str());
            }
            s
        })
}

fn blank() -> impl Strategy<Value = String> {
    prop::sample::select(vec![" ", "  ", "\t", " \t "]).prop_map(str::to_owned)
}

fn noise() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 :/@._-]{0,20}"
}

fn dockerfile_line() -> impl Strategy<Value = String> {
    prop_oneof![
        noise().prop_map(|n| format!("# {n}")),
        blank(),
        (
            prop::sample::select(vec!["FROM", "from", "From"]),
            blank(),
            prop::option::of(Just("--platform=linux/arm64 ")),
            reference(),
            prop::option::of("[a-z]{1,6}"),
            blank()
        )
            .prop_map(|(kw, ws, platform, r, stage, tail)| {
                let stage = stage.map(|s| format!(" AS {s}")).unwrap_or_default();
                format!("{kw}{ws}{}{r}{stage}{tail}", platform.unwrap_or(""))
            }),
        ("[A-Z]{1,5}", reference(), prop::bool::ANY).prop_map(|(name, r, quoted)| {
            let value = if quoted { format!("\"{r}\"") } else { r };
            format!("ARG {name}={value}\nFROM ${{{name}}}")
        }),
        (reference(), noise())
            .prop_map(|(r, n)| format!("RUN echo \"FROM {r}\" {n} && \\\n    docker pull {r}")),
        reference().prop_map(|r| format!("RUN --mount=type=bind,from={r},target=/x make")),
        reference().prop_map(|r| format!("COPY --from={r} /a /b")),
        reference().prop_map(|r| format!("FROM \\\n  # comment\n  {r} AS cont")),
        Just("FROM scratch".to_owned()),
        Just("RUN npm install && pip install flask".to_owned()),
        reference().prop_map(|r| format!("RUN <<EOF\nFROM {r}\nEOF")),
    ]
}

fn dockerfile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(dockerfile_line(), 0..14),
        prop::bool::ANY,
    )
        .prop_map(|(lines, crlf)| {
            let text = lines.join("\n") + "\n";
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            }
        })
}

fn image_value() -> impl Strategy<Value = String> {
    (reference(), 0..3u8, prop::option::of(noise())).prop_map(|(r, style, comment)| {
        let v = match style {
            0 => r,
            1 => format!("'{r}'"),
            _ => format!("\"{r}\""),
        };
        match comment {
            Some(c) => format!("{v}  # {c}"),
            None => v,
        }
    })
}

fn container(indent: usize) -> impl Strategy<Value = String> {
    let pad = " ".repeat(indent);
    (image_value(), "[a-z]{1,8}", 0..3u8).prop_map(move |(image, name, form)| match form {
        0 => format!("{pad}- name: {name}\n{pad}  image: {image}\n"),
        1 => format!(
            "{pad}- image: {image}\n{pad}  name: {name}\n{pad}  args: [\"image: {name}:1\"]\n"
        ),
        _ => {
            let image = image.split("  #").next().unwrap().to_owned();
            format!("{pad}- {{name: {name}, image: {image}}}\n")
        }
    })
}

fn k8s_document() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["Pod", "Deployment", "CronJob", "ConfigMap", "Unknown"]),
        prop::collection::vec(container(4), 1..4),
        prop::collection::vec(container(4), 0..2),
        noise(),
        prop::bool::ANY,
    )
        .prop_map(|(kind, containers, init, comment, kind_last)| {
            let nest = match kind {
                "Deployment" => "spec:\n  template:\n    spec:\n",
                "CronJob" => "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n",
                _ => "spec:\n",
            };
            // Re-indent the container lists under the pod spec.
            let depth = nest.lines().count() * 2;
            let pad = " ".repeat(depth);
            let list = |name: &str, items: &[String]| {
                let body: String = items
                    .concat()
                    .lines()
                    .map(|l| format!("{pad}{l}\n"))
                    .collect();
                format!("{pad}{name}:\n{body}")
            };
            let mut doc = format!("# {comment}\n");
            if !kind_last {
                doc.push_str(&format!("kind: {kind}\n"));
            }
            doc.push_str("metadata:\n  name: x\n");
            doc.push_str(nest);
            doc.push_str(&list("containers", &containers));
            if !init.is_empty() {
                doc.push_str(&list("initContainers", &init));
            }
            if kind_last {
                doc.push_str(&format!("kind: {kind}\n"));
            }
            doc
        })
}

fn manifests() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(k8s_document(), 1..4),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(docs, crlf, bom)| {
            let text = docs.join("---\n");
            let text = if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            };
            if bom { format!("\u{feff}{text}") } else { text }
        })
}

/// What a registry would answer: a digest derived from the tag.
fn fake_digest(key: &str) -> Digest {
    Digest::sha256_of(key.as_bytes())
}

fn pin_once(kind: FileKind, text: &str) -> (Scan, Vec<Entry>, String) {
    let s = scan(kind, text).unwrap();
    let resolved: HashMap<String, Result<Digest>> = s
        .refs
        .iter()
        .filter_map(|r| r.reference())
        .filter_map(tag_key)
        .map(|k| {
            let d = fake_digest(&k);
            (k, Ok(d))
        })
        .collect();
    let entries: Vec<Entry> = s
        .refs
        .iter()
        .map(|image| Entry::new(image.clone(), state_of(image, Some(&resolved))))
        .collect();
    let edits = edits_for(&entries);
    let out = rewrite_checked(Path::new("generated"), kind, text, &s, &edits).unwrap();
    (s, entries, out)
}

/// The text with every reference span cut out: what pinning must not change.
fn outside(text: &str, s: &Scan) -> Vec<String> {
    let mut gaps = Vec::new();
    let mut at = 0;
    for r in &s.refs {
        if r.span.is_empty() {
            continue;
        }
        gaps.push(text[at..r.span.start].to_owned());
        at = r.span.end;
    }
    gaps.push(text[at..].to_owned());
    gaps
}

fn check(kind: FileKind, text: &str) {
    let (before, entries, out) = pin_once(kind, text);
    for r in &before.refs {
        if matches!(r.target, Target::Image(_)) {
            assert_eq!(&text[r.span.clone()], r.written);
        }
    }
    let after = scan(kind, &out).unwrap();
    assert_eq!(after.refs.len(), before.refs.len());
    // No byte outside a reference changed.
    assert_eq!(outside(text, &before), outside(&out, &after));
    // Every pinnable reference is now pinned to what its tag names.
    for (e, r) in entries.iter().zip(&after.refs) {
        if let (
            State::Unpinned { current: Some(d) } | State::Stale { current: d, .. },
            Some(reference),
        ) = (&e.state, r.reference())
        {
            assert_eq!(reference.digest(), Some(d));
        }
    }
    // Idempotent.
    let (_, entries2, out2) = pin_once(kind, &out);
    assert_eq!(out2, out);
    assert!(edits_for(&entries2).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn dockerfile_pinning_preserves_other_bytes_and_is_idempotent(text in dockerfile()) {
        check(FileKind::Dockerfile, &text);
    }

    #[test]
    fn manifest_pinning_preserves_other_bytes_and_is_idempotent(text in manifests()) {
        check(FileKind::Kubernetes, &text);
    }

    #[test]
    fn scanners_never_panic_and_spans_hold_the_reference(text in "\\PC{0,200}") {
        let d = scan(FileKind::Dockerfile, &text).unwrap();
        for r in d.refs.iter().filter(|r| r.reference().is_some()) {
            prop_assert_eq!(&text[r.span.clone()], r.written.as_str());
        }
        if let Ok(k) = scan(FileKind::Kubernetes, &text) {
            for r in k.refs.iter().filter(|r| r.reference().is_some()) {
                prop_assert_eq!(&text[r.span.clone()], r.written.as_str());
            }
        }
    }
}

#[test]
fn generated_manifests_have_references() {
    // The generators produce what the properties are about.
    let text = "kind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      image: 'app:1'  # c\n";
    let (s, _, out) = pin_once(FileKind::Kubernetes, text);
    assert_eq!(s.refs.len(), 1);
    assert_ne!(out, text);
}

#[test]
fn the_generators_are_not_vacuous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for (kind, strategy) in [
        (FileKind::Dockerfile, dockerfile().boxed()),
        (FileKind::Kubernetes, manifests().boxed()),
    ] {
        let (mut refs, mut edits) = (0, 0);
        for _ in 0..100 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            let (s, entries, _) = pin_once(kind, &text);
            refs += s.refs.len();
            edits += edits_for(&entries).len();
        }
        eprintln!("{kind:?}: {refs} references, {edits} edits");
        assert!(
            refs > 200 && edits > 100,
            "{kind:?}: {refs} references, {edits} edits"
        );
    }
}
