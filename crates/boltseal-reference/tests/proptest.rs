//! Property tests: references generated from the grammar parse to the expected parts, every
//! written form parses back to the same value, and no input makes the parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_reference::{Algorithm, Digest, Reference};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// A generated reference and what parsing it must yield.
#[derive(Debug, Clone)]
struct Generated {
    text: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

fn port() -> impl Strategy<Value = Option<u32>> {
    prop::option::of(0u32..70_000)
}

fn with_port(host: String, port: Option<u32>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

fn host_component() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?"
}

/// Written domain (`None` for an implicit Docker Hub) and the registry it normalizes to.
fn domain() -> impl Strategy<Value = (Option<String>, String)> {
    let explicit = prop_oneof![
        // Dotted host names, with and without port.
        (prop::collection::vec(host_component(), 2..4), port())
            .prop_map(|(c, p)| with_port(c.join("."), p)),
        // IPv4.
        (any::<[u8; 4]>(), port())
            .prop_map(|(a, p)| with_port(format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]), p)),
        // localhost.
        port().prop_map(|p| with_port("localhost".to_owned(), p)),
        // IPv6 literals.
        ("[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){1,7}", port())
            .prop_map(|(h, p)| with_port(format!("[{h}]"), p)),
        // A single component with a port.
        (host_component(), 0u32..70_000).prop_map(|(h, p)| format!("{h}:{p}")),
        // A single component with an uppercase letter: Docker takes it as a host.
        "[A-Z][a-zA-Z0-9]{0,5}",
    ]
    .prop_map(|d| {
        let reg = d.clone();
        (Some(d), reg)
    });
    prop_oneof![
        3 => explicit,
        1 => Just((None, "docker.io".to_owned())),
        1 => Just((Some("docker.io".to_owned()), "docker.io".to_owned())),
        1 => Just((Some("index.docker.io".to_owned()), "docker.io".to_owned())),
    ]
}

fn path_component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}((\\.|_|__|-{1,3})[a-z0-9]{1,6}){0,3}"
}

fn path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(path_component(), 1..5)
}

fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}",
        1 => "[A-Za-z0-9_][A-Za-z0-9_.-]{127}",
    ]
}

fn digest() -> impl Strategy<Value = Digest> {
    (prop::collection::vec(any::<u8>(), 0..32), 0usize..3).prop_map(|(data, a)| {
        let alg = [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512][a];
        Digest::of(alg, &data)
    })
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        domain(),
        path(),
        prop::option::of(tag()),
        prop::option::of(digest()),
    )
        .prop_map(|((written, registry), mut path, tag, digest)| {
            // Without a written domain, a first component with a '.' would read as a host.
            if written.is_none() && path.len() > 1 {
                path[0] = path[0].replace('.', "-");
            }
            let path = path.join("/");
            let mut text = match &written {
                Some(d) => format!("{d}/{path}"),
                None => path.clone(),
            };
            if let Some(t) = &tag {
                text.push(':');
                text.push_str(t);
            }
            if let Some(d) = &digest {
                text.push('@');
                text.push_str(d.as_str());
            }
            let repository = if registry == "docker.io" && !path.contains('/') {
                format!("library/{path}")
            } else {
                path
            };
            Generated {
                text,
                registry,
                repository,
                tag,
                digest,
            }
        })
}

/// Every written form of an accepted reference parses back to it.
fn check_round_trips(r: &Reference) -> Result<(), TestCaseError> {
    let display = r.to_string();
    prop_assert_eq!(
        &Reference::parse(&display).unwrap(),
        r,
        "display {}",
        display
    );
    let familiar = r.familiar();
    prop_assert_eq!(
        &Reference::parse(&familiar).unwrap(),
        r,
        "familiar {}",
        familiar
    );
    let normalized = Reference::parse(&r.normalized()).unwrap();
    prop_assert_eq!(normalized.repository_name(), r.repository_name());
    prop_assert_eq!(normalized.digest(), r.digest());
    match (r.tag(), r.digest()) {
        (None, None) => prop_assert_eq!(normalized.tag(), Some("latest")),
        (t, _) => prop_assert_eq!(normalized.tag(), t),
    }
    prop_assert_eq!(
        serde_json::from_str::<Reference>(&serde_json::to_string(r).unwrap()).unwrap(),
        r.clone()
    );
    Ok(())
}

/// Alphabet for mutations: grammar characters, a few wrong ones, and non-ASCII.
const MUTATION_CHARS: &[char] = &[
    '/', ':', '@', '.', '_', '-', '[', ']', 'a', 'Z', '0', 'f', ' ', '%', 'é', '\u{0}', '界',
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, usize),
    Delete(usize),
    Replace(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = 0..MUTATION_CHARS.len();
    prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), c).prop_map(|(i, c)| Mutation::Replace(i, c)),
    ]
}

fn mutate(s: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for m in mutations {
        let n = chars.len();
        match *m {
            Mutation::Insert(i, c) => chars.insert(i % (n + 1), MUTATION_CHARS[c]),
            Mutation::Delete(i) if n > 0 => {
                chars.remove(i % n);
            }
            Mutation::Replace(i, c) if n > 0 => chars[i % n] = MUTATION_CHARS[c],
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_references_parse_to_their_parts(g in generated()) {
        let r = Reference::parse(&g.text)
            .map_err(|e| TestCaseError::fail(format!("{:?}: {e}", g.text)))?;
        prop_assert_eq!(r.registry(), g.registry.as_str());
        prop_assert_eq!(r.repository(), g.repository.as_str());
        prop_assert_eq!(r.tag(), g.tag.as_deref());
        prop_assert_eq!(r.digest(), g.digest.as_ref());
        check_round_trips(&r)?;
    }

    #[test]
    fn builders_round_trip(g in generated(), t in tag(), d in digest()) {
        let r = Reference::parse(&g.text).unwrap();
        let tagged = r.with_tag(&t).unwrap();
        prop_assert_eq!(tagged.tag(), Some(t.as_str()));
        prop_assert_eq!(tagged.digest(), None);
        check_round_trips(&tagged)?;
        let pinned = r.with_digest(d);
        prop_assert_eq!(pinned.tag(), r.tag());
        check_round_trips(&pinned)?;
        let bare = pinned.without_tag();
        prop_assert_eq!(bare.tag(), None);
        check_round_trips(&bare)?;
        let rebuilt = Reference::new(r.registry(), r.repository(), r.tag(), r.digest().copied()).unwrap();
        prop_assert_eq!(rebuilt, r);
    }

    #[test]
    fn mutated_references_never_panic(g in generated(), ms in prop::collection::vec(mutation(), 1..4)) {
        let s = mutate(&g.text, &ms);
        if let Ok(r) = Reference::parse(&s) {
            check_round_trips(&r)?;
        } else if let Err(e) = Reference::parse(&s) {
            if let Some(offset) = e.offset() {
                prop_assert!(offset <= s.len() && s.is_char_boundary(offset), "{}: {:?}", s, e);
            }
            let _ = e.to_string();
        }
    }

    #[test]
    fn grammar_alphabet_never_panics(s in "[a-zA-Z0-9:/@._\\[\\]-]{0,80}") {
        if let Ok(r) = Reference::parse(&s) {
            check_round_trips(&r)?;
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,300}") {
        if let Ok(r) = Reference::parse(&s) {
            check_round_trips(&r)?;
        }
    }
}
