//! Table-driven tests of the reference grammar and Docker's normalization.
//!
//! The cases restate, in boltseal's terms, the behaviour docker/distribution's `reference`
//! package documents in its tests (normalized with `ParseNormalizedNamed`), plus boltseal's
//! stricter choices, marked "boltseal:".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_reference::{Digest, DigestError, Reference, ReferenceError};

const FF64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const HEX64: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
const BUSYBOX: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

/// Accepted inputs, one a line: `input | registry | repository | tag | digest | familiar`, `-`
/// for no tag or digest; `{FF}` is 64 `f`s, `{HEX64}` an image ID, `{HEX63}` one digit
/// short of it, `{BUSYBOX}` a real digest. `#` lines are comments.
const ACCEPTED: &str = "
# Single components are Docker Hub official images, whatever they look like.
test_com | docker.io | library/test_com | - | - | test_com
test.com:tag | docker.io | library/test.com | tag | - | test.com:tag
test.com:5000 | docker.io | library/test.com | 5000 | - | test.com:5000
localhost:5000 | docker.io | library/localhost | 5000 | - | localhost:5000
192.168.1.1 | docker.io | library/192.168.1.1 | - | - | 192.168.1.1
192.168.1.1:tag | docker.io | library/192.168.1.1 | tag | - | 192.168.1.1:tag
192.168.1.1:5000 | docker.io | library/192.168.1.1 | 5000 | - | 192.168.1.1:5000
foo_bar.com:8080 | docker.io | library/foo_bar.com | 8080 | - | foo_bar.com:8080
lowercase:Uppercase | docker.io | library/lowercase | Uppercase | - | lowercase:Uppercase
dbcc1 | docker.io | library/dbcc1 | - | - | dbcc1
{HEX63} | docker.io | library/{HEX63} | - | - | {HEX63}
thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev | docker.io | library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev | - | - | thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev
# Docker Hub spellings.
debian | docker.io | library/debian | - | - | debian
library/debian | docker.io | library/debian | - | - | debian
docker.io/debian | docker.io | library/debian | - | - | debian
docker.io/library/debian | docker.io | library/debian | - | - | debian
index.docker.io/debian | docker.io | library/debian | - | - | debian
index.docker.io/library/debian | docker.io | library/debian | - | - | debian
docker/docker | docker.io | docker/docker | - | - | docker/docker
docker.io/docker/docker | docker.io | docker/docker | - | - | docker/docker
index.docker.io/docker/docker | docker.io | docker/docker | - | - | docker/docker
fooo/bar | docker.io | fooo/bar | - | - | fooo/bar
index.docker.io/fooo/bar | docker.io | fooo/bar | - | - | fooo/bar
other/library | docker.io | other/library | - | - | other/library
library/ubuntu-12.04-base | docker.io | library/ubuntu-12.04-base | - | - | ubuntu-12.04-base
library/foo/bar | docker.io | library/foo/bar | - | - | library/foo/bar
docker.io/library/foo/bar | docker.io | library/foo/bar | - | - | library/foo/bar
store/foo/bar | docker.io | store/foo/bar | - | - | store/foo/bar
test_com/foo | docker.io | test_com/foo | - | - | test_com/foo
docker/migrator | docker.io | docker/migrator | - | - | docker/migrator
myhost/app | docker.io | myhost/app | - | - | myhost/app
foo/foo_bar.com:8080 | docker.io | foo/foo_bar.com | 8080 | - | foo/foo_bar.com:8080
redis:latest | docker.io | library/redis | latest | - | redis:latest
docker.io/mcgowan/myapp:latest | docker.io | mcgowan/myapp | latest | - | mcgowan/myapp:latest
busybox:latest@{BUSYBOX} | docker.io | library/busybox | latest | {BUSYBOX} | busybox:latest@{BUSYBOX}
dmcgowan/myapp@{BUSYBOX} | docker.io | dmcgowan/myapp | - | {BUSYBOX} | dmcgowan/myapp@{BUSYBOX}
# Separators inside path components.
docker-rules/docker | docker.io | docker-rules/docker | - | - | docker-rules/docker
docker---rules/docker | docker.io | docker---rules/docker | - | - | docker---rules/docker
dock__er/docker | docker.io | dock__er/docker | - | - | dock__er/docker
d/docker | docker.io | d/docker | - | - | d/docker
jess/t | docker.io | jess/t | - | - | jess/t
x/a.b_c__d-e--f/0.1 | docker.io | x/a.b_c__d-e--f/0.1 | - | - | x/a.b_c__d-e--f/0.1
# Domains.
test.com/repo:tag | test.com | repo | tag | - | test.com/repo:tag
test:5000/repo | test:5000 | repo | - | - | test:5000/repo
test:5000/repo:tag | test:5000 | repo | tag | - | test:5000/repo:tag
test:5000/repo@sha256:{FF} | test:5000 | repo | - | sha256:{FF} | test:5000/repo@sha256:{FF}
test:5000/repo:tag@sha256:{FF} | test:5000 | repo | tag | sha256:{FF} | test:5000/repo:tag@sha256:{FF}
test.com:8080/foo | test.com:8080 | foo | - | - | test.com:8080/foo
test-com:8080/foo | test-com:8080 | foo | - | - | test-com:8080/foo
xn--n3h.com:18080/foo | xn--n3h.com:18080 | foo | - | - | xn--n3h.com:18080/foo
sub-dom1.foo.com/bar/baz/quux | sub-dom1.foo.com | bar/baz/quux | - | - | sub-dom1.foo.com/bar/baz/quux
sub-dom1.foo.com/bar/baz/quux:some-long-tag | sub-dom1.foo.com | bar/baz/quux | some-long-tag | - | sub-dom1.foo.com/bar/baz/quux:some-long-tag
b.gcr.io/test.example.com/my-app:test.example.com | b.gcr.io | test.example.com/my-app | test.example.com | - | b.gcr.io/test.example.com/my-app:test.example.com
xn--n3h.com/myimage:xn--n3h.com | xn--n3h.com | myimage | xn--n3h.com | - | xn--n3h.com/myimage:xn--n3h.com
xn--7o8h.com/myimage:xn--7o8h.com@sha512:{FF}{FF} | xn--7o8h.com | myimage | xn--7o8h.com | sha512:{FF}{FF} | xn--7o8h.com/myimage:xn--7o8h.com@sha512:{FF}{FF}
192.168.1.1/repo | 192.168.1.1 | repo | - | - | 192.168.1.1/repo
192.168.1.1:5000/repo | 192.168.1.1:5000 | repo | - | - | 192.168.1.1:5000/repo
192.168.1.1:5000/repo:5050 | 192.168.1.1:5000 | repo | 5050 | - | 192.168.1.1:5000/repo:5050
192.168.0.1:8/debian | 192.168.0.1:8 | debian | - | - | 192.168.0.1:8/debian
127.0.0.1:5000/library/debian | 127.0.0.1:5000 | library/debian | - | - | 127.0.0.1:5000/library/debian
127.0.0.1:5000/debian | 127.0.0.1:5000 | debian | - | - | 127.0.0.1:5000/debian
127.0.0.1:5000/app:dev | 127.0.0.1:5000 | app | dev | - | 127.0.0.1:5000/app:dev
127.0.0.1:8000/private/moonbase | 127.0.0.1:8000 | private/moonbase | - | - | 127.0.0.1:8000/private/moonbase
example.com/privatebase | example.com | privatebase | - | - | example.com/privatebase
localhost/app | localhost | app | - | - | localhost/app
localhost:5000/app | localhost:5000 | app | - | - | localhost:5000/app
registry:5000/app | registry:5000 | app | - | - | registry:5000/app
[2001:db8::1]/repo | [2001:db8::1] | repo | - | - | [2001:db8::1]/repo
[2001:db8:1:2:3:4:5:6]/repo:tag | [2001:db8:1:2:3:4:5:6] | repo | tag | - | [2001:db8:1:2:3:4:5:6]/repo:tag
[2001:db8::1]:5000/repo | [2001:db8::1]:5000 | repo | - | - | [2001:db8::1]:5000/repo
[2001:db8::1]:5000/repo:tag@sha256:{FF} | [2001:db8::1]:5000 | repo | tag | sha256:{FF} | [2001:db8::1]:5000/repo:tag@sha256:{FF}
[2001:db8::]:5000/repo | [2001:db8::]:5000 | repo | - | - | [2001:db8::]:5000/repo
[::1]:5000/repo | [::1]:5000 | repo | - | - | [::1]:5000/repo
[fc00:1:2:3:4:5:6:7]:5000/library/debian | [fc00:1:2:3:4:5:6:7]:5000 | library/debian | - | - | [fc00:1:2:3:4:5:6:7]:5000/library/debian
# Hosts keep their case; an uppercase first component is a host, as in Docker.
Ghcr.io/org/app | Ghcr.io | org/app | - | - | Ghcr.io/org/app
Docker/docker | Docker | docker | - | - | Docker/docker
DOCKER/docker | DOCKER | docker | - | - | DOCKER/docker
Foo/bar | Foo | bar | - | - | Foo/bar
Z/0 | Z | 0 | - | - | Z/0
# Tag and digest are both kept.
app:v1@sha256:{FF} | docker.io | library/app | v1 | sha256:{FF} | app:v1@sha256:{FF}
app:_ | docker.io | library/app | _ | - | app:_
app:A-._ | docker.io | library/app | A-._ | - | app:A-._
# boltseal: docker.io/ stays in the familiar form when the rest would read as a host.
docker.io/foo.bar/baz | docker.io | foo.bar/baz | - | - | docker.io/foo.bar/baz
docker.io/localhost/x | docker.io | localhost/x | - | - | docker.io/localhost/x
docker.io/library/foo.bar | docker.io | library/foo.bar | - | - | foo.bar
# Only an input that is nothing but 64 hex digits reads as an image ID (distribution's
# ParseNormalizedNamed); with a registry, a tag or a digest it is a name like any other.
docker.io/{HEX64} | docker.io | library/{HEX64} | - | - | library/{HEX64}
docker.io/library/{HEX64} | docker.io | library/{HEX64} | - | - | library/{HEX64}
{HEX64}:tag | docker.io | library/{HEX64} | tag | - | {HEX64}:tag
index.docker.io/{HEX64}@sha256:{FF} | docker.io | library/{HEX64} | - | sha256:{FF} | {HEX64}@sha256:{FF}
ghcr.io/{HEX64} | ghcr.io | {HEX64} | - | - | ghcr.io/{HEX64}
";

/// An accepted input: registry, repository, tag, digest, `Display`, familiar form.
struct Ok {
    input: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
    display: String,
    familiar: String,
}

fn ok(
    input: impl Into<String>,
    registry: &str,
    repository: impl Into<String>,
    tag: Option<&str>,
    digest: Option<&str>,
    familiar: impl Into<String>,
) -> Ok {
    let repository = repository.into();
    let mut display = format!("{registry}/{repository}");
    if let Some(t) = tag {
        display.push(':');
        display.push_str(t);
    }
    if let Some(d) = digest {
        display.push('@');
        display.push_str(d);
    }
    Ok {
        input: input.into(),
        registry: registry.to_owned(),
        repository,
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
        display,
        familiar: familiar.into(),
    }
}

fn expand(field: &str) -> String {
    field
        .replace("{FF}", FF64)
        .replace("{HEX64}", HEX64)
        .replace("{HEX63}", &HEX64[..63])
        .replace("{BUSYBOX}", BUSYBOX)
}

fn accepted() -> Vec<Ok> {
    let mut cases: Vec<Ok> = ACCEPTED
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<String> = line.split(" | ").map(expand).collect();
            assert_eq!(f.len(), 6, "{line}");
            let opt = |s: &str| (s != "-").then(|| s.to_owned());
            let (tag, digest) = (opt(&f[3]), opt(&f[4]));
            ok(
                &*f[0],
                &f[1],
                &*f[2],
                tag.as_deref(),
                digest.as_deref(),
                &*f[5],
            )
        })
        .collect();
    // Length limits are exact, and apply to the repository path (without the registry), as
    // distribution's RepositoryNameTotalLengthMax: 255 bytes.
    let path255 = format!("{}a", "a/".repeat(127));
    cases.extend([
        ok(
            format!("a.b/{path255}"),
            "a.b",
            &*path255,
            None,
            None,
            format!("a.b/{path255}"),
        ),
        // distribution: without a registry the path is on Docker Hub, and still 255 bytes.
        ok(
            format!("{path255}:tag-puts-this-over-max"),
            "docker.io",
            &*path255,
            Some("tag-puts-this-over-max"),
            None,
            format!("{path255}:tag-puts-this-over-max"),
        ),
        // distribution: `example.com/` + 255 × `a` + `:tag`.
        ok(
            format!("example.com/{}:tag", "a".repeat(255)),
            "example.com",
            "a".repeat(255),
            Some("tag"),
            None,
            format!("example.com/{}:tag", "a".repeat(255)),
        ),
        // The registry does not count: a 300-byte host with a 255-byte path.
        ok(
            format!("{}.com/{}", "h".repeat(296), "p".repeat(255)),
            &format!("{}.com", "h".repeat(296)),
            "p".repeat(255),
            None,
            None,
            format!("{}.com/{}", "h".repeat(296), "p".repeat(255)),
        ),
        ok(
            format!("a:{}", "t".repeat(128)),
            "docker.io",
            "library/a",
            Some(&"t".repeat(128)),
            None,
            format!("a:{}", "t".repeat(128)),
        ),
        // Docker Hub adds `library/` (8 bytes): 247 bytes is the most a bare name may have.
        ok(
            "a".repeat(247),
            "docker.io",
            format!("library/{}", "a".repeat(247)),
            None,
            None,
            "a".repeat(247),
        ),
    ]);
    cases
}

#[test]
fn accepted_references() {
    let cases = accepted();
    assert!(cases.len() > 80);
    for c in cases {
        let r = Reference::parse(&c.input).unwrap_or_else(|e| panic!("{:?}: {e}", c.input));
        assert_eq!(r.registry(), c.registry, "registry of {:?}", c.input);
        assert_eq!(r.repository(), c.repository, "repository of {:?}", c.input);
        assert_eq!(r.tag(), c.tag.as_deref(), "tag of {:?}", c.input);
        assert_eq!(
            r.digest().map(Digest::as_str),
            c.digest.as_deref(),
            "digest of {:?}",
            c.input
        );
        assert_eq!(r.to_string(), c.display, "display of {:?}", c.input);
        assert_eq!(r.familiar(), c.familiar, "familiar of {:?}", c.input);
        assert_eq!(
            r.repository_name(),
            format!("{}/{}", c.registry, c.repository)
        );
        let normalized = if c.tag.is_none() && c.digest.is_none() {
            format!("{}:latest", c.display)
        } else {
            c.display.clone()
        };
        assert_eq!(r.normalized(), normalized, "normalized of {:?}", c.input);
        // Every written form parses back to the same reference.
        assert_eq!(
            Reference::parse(&r.to_string()).unwrap(),
            r,
            "display of {:?}",
            c.input
        );
        assert_eq!(
            Reference::parse(&r.familiar()).unwrap(),
            r,
            "familiar of {:?}",
            c.input
        );
        let n = Reference::parse(&r.normalized()).unwrap();
        assert_eq!(n.repository_name(), r.repository_name());
    }
}

/// The expected error, with its offset where it has one.
#[derive(Debug, PartialEq, Eq)]
enum E {
    Empty,
    TooLong,
    Domain(usize),
    Port(usize),
    Path(usize),
    Upper(usize),
    Tag(usize),
    TagLong,
    DigestSep,
    DigestAlg,
    DigestLen,
    DigestHex(usize),
    NameIsDigest,
}

fn kind(e: &ReferenceError) -> E {
    match e {
        ReferenceError::Empty => E::Empty,
        ReferenceError::NameTooLong { .. } => E::TooLong,
        ReferenceError::InvalidDomain { offset, .. } => E::Domain(*offset),
        ReferenceError::InvalidPort { offset, .. } => E::Port(*offset),
        ReferenceError::InvalidPathComponent { offset, .. } => E::Path(*offset),
        ReferenceError::UppercaseRepository { offset, .. } => E::Upper(*offset),
        ReferenceError::InvalidTag { offset, .. } => E::Tag(*offset),
        ReferenceError::TagTooLong { .. } => E::TagLong,
        ReferenceError::DigestError(DigestError::MissingSeparator { .. }) => E::DigestSep,
        ReferenceError::DigestError(DigestError::UnsupportedAlgorithm { .. }) => E::DigestAlg,
        ReferenceError::DigestError(DigestError::InvalidLength { .. }) => E::DigestLen,
        ReferenceError::DigestError(DigestError::InvalidHex { offset, .. }) => {
            E::DigestHex(*offset)
        }
        ReferenceError::NameIsDigest { .. } => E::NameIsDigest,
        other => panic!("unexpected error variant {other:?}"),
    }
}

fn rejected() -> Vec<(String, E)> {
    let s = |x: &str| x.to_owned();
    vec![
        (s(""), E::Empty),
        (s(":justtag"), E::Path(0)),
        (format!("@sha256:{FF64}"), E::Path(0)),
        (format!("repo@sha256:{}", &FF64[..34]), E::DigestLen),
        (format!("validname@invaliddigest:{FF64}"), E::DigestAlg),
        (format!("app@md5:{}", &FF64[..32]), E::DigestAlg),
        (s("app@sha256:0123"), E::DigestLen),
        (format!("app@sha512:{FF64}"), E::DigestLen),
        (
            format!("app@sha256:{}", FF64.to_uppercase()),
            E::DigestHex(11),
        ),
        (format!("app@sha256:{}F", &FF64[..63]), E::DigestHex(74)),
        (s("app@"), E::DigestSep),
        (s("app@sha256"), E::DigestSep),
        (s("Uppercase:tag"), E::Upper(0)),
        (s("test:5000/Uppercase/lowercase:tag"), E::Upper(10)),
        (s("docker/Docker"), E::Upper(7)),
        (s("docker.io/docker/Docker"), E::Upper(17)),
        (s("ghcr.io/Org/app"), E::Upper(8)),
        (s("ghcr.io/org/apP:v1"), E::Upper(14)),
        (s("aa/asdf$$^/aa"), E::Path(7)),
        (s("[2001:db8::1]"), E::Path(0)),
        (s("[2001:db8::1]:5000"), E::Path(0)),
        (s("[2001:db8::1]:tag"), E::Path(0)),
        (s("[fc00::1]"), E::Path(0)),
        (s("[fc00::1]:5000"), E::Path(0)),
        (s("[fe80::1%eth0]:5000/repo"), E::Domain(8)),
        (s("[fe80::1%@invalidzone]:5000/repo"), E::Path(0)),
        (s("[2001:db8:3:4::192.0.2.33]:5000/debian"), E::Domain(18)),
        (s("fc00::1:5000/debian"), E::Port(5)),
        (s("https://github.com/docker/docker"), E::Port(6)),
        (s("-docker"), E::Path(0)),
        (s("-docker/docker"), E::Path(0)),
        (s("-docker.io/docker/docker"), E::Domain(0)),
        (s("docker///docker"), E::Path(7)),
        (s("docker.io/docker///docker"), E::Path(17)),
        (s("docker-/docker"), E::Path(7)),
        (s("-docker-/docker"), E::Path(0)),
        (s("____/____"), E::Path(0)),
        (s("_docker/_docker"), E::Path(0)),
        // A first component with a '.' is a registry host, so these fail as hosts.
        (s("dock..er/docker"), E::Domain(5)),
        (s("dock_.er/docker"), E::Domain(4)),
        (s("dock-.er/docker"), E::Domain(4)),
        (s("x/dock..er/docker"), E::Path(7)),
        (s("x/dock_.er/docker"), E::Path(7)),
        (s("x/dock-.er/docker"), E::Path(7)),
        (s("dock___er/docker"), E::Path(6)),
        (s("docker/"), E::Path(7)),
        (s("localhost/"), E::Path(10)),
        (s("/app"), E::Path(0)),
        (s("a b"), E::Path(1)),
        (s("é"), E::Path(0)),
        (s("docker.io/é"), E::Path(10)),
        (s("a_b.com/foo"), E::Domain(1)),
        (s("exa mple.com/x"), E::Domain(3)),
        (s("ex-.com/x"), E::Domain(2)),
        (s("ex..com/x"), E::Domain(3)),
        (s(".com/x"), E::Domain(0)),
        (s("[]/x"), E::Path(0)),
        (s("[]:5/x"), E::Domain(1)),
        (s("[::1/x"), E::Domain(4)),
        (s("[::1]x/y"), E::Domain(5)),
        (s("host:/app"), E::Port(5)),
        (s("host:12a/app"), E::Port(7)),
        (s("Host_1/app"), E::Domain(4)),
        (s("app:"), E::Tag(4)),
        (s("app:tag!"), E::Tag(7)),
        (s("app:-x"), E::Tag(4)),
        (s("app:.x"), E::Tag(4)),
        (s("app:v1:v2"), E::Tag(6)),
        (format!("app:{}", "t".repeat(129)), E::TagLong),
        (format!("{}a:tag", "a/".repeat(128)), E::TooLong),
        (format!("a.b/{}aa", "a/".repeat(127)), E::TooLong),
        ("a".repeat(248), E::TooLong),
        // distribution's cases: 256 bytes of path, with or without a registry.
        (format!("domain/{}:tag", "a".repeat(256)), E::TooLong),
        (format!("example.com/{}", "a".repeat(256)), E::TooLong),
        (
            format!(
                "{}/docker",
                ["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"; 4]
                    .join("_")
            ),
            E::TooLong,
        ),
        // distribution: only an input that is nothing but an image ID is refused as one.
        (s(HEX64), E::NameIsDigest),
    ]
}

#[test]
fn rejected_references() {
    let cases = rejected();
    assert!(cases.len() > 70);
    for (input, expected) in cases {
        let err = Reference::parse(&input).expect_err(&input);
        assert_eq!(kind(&err), expected, "{input:?}: {err}");
        if expected != E::Empty {
            assert_eq!(err.input(), input, "input carried by {err:?}");
        }
        if let Some(offset) = err.offset() {
            assert!(offset <= input.len());
            assert!(input.is_char_boundary(offset));
        }
        // The message is one line and never empty.
        let msg = err.to_string();
        assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
    }
}

#[test]
fn error_messages_are_precise() {
    let e = Reference::parse("ghcr.io/Org/app").unwrap_err();
    assert_eq!(
        e.to_string(),
        "repository must be lowercase: unexpected 'O' at byte 8"
    );
    let e = Reference::parse("app:").unwrap_err();
    assert_eq!(e.to_string(), "invalid tag: unexpected end at byte 4");
    let e = Reference::parse("host:x1/app").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid registry port: unexpected 'x' at byte 5"
    );
    let e = Reference::parse("docker.io/é").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid repository path: unexpected 'é' at byte 10"
    );
    let e = Reference::parse(&format!("a@sha256:{}", "F".repeat(64))).unwrap_err();
    assert_eq!(e.offset(), Some(9));
    assert!(e.to_string().contains("offset 9"), "{e}");
    assert_eq!(
        Reference::parse("").unwrap_err().to_string(),
        "reference is empty"
    );
    // The digest error is reachable both by matching and through the variant.
    assert!(matches!(
        Reference::parse("a@md5:00"),
        Err(ReferenceError::DigestError(
            DigestError::UnsupportedAlgorithm { .. }
        ))
    ));
}

#[test]
fn no_implicit_latest() {
    let r = Reference::parse("alpine").unwrap();
    assert_eq!(r.tag(), None);
    assert_eq!(r.to_string(), "docker.io/library/alpine");
    assert_eq!(r.normalized(), "docker.io/library/alpine:latest");
    let latest = Reference::parse("alpine:latest").unwrap();
    assert_ne!(r, latest);
    assert_eq!(r.normalized(), latest.normalized());
    let pinned = Reference::parse(&format!("alpine@sha256:{FF64}")).unwrap();
    assert_eq!(pinned.tag(), None);
    assert_eq!(
        pinned.normalized(),
        format!("docker.io/library/alpine@sha256:{FF64}")
    );
}

#[test]
fn with_tag_digest_and_without_tag() {
    let d: Digest = format!("sha256:{FF64}").parse().unwrap();
    let r = Reference::parse("quay.io/org/app:v1").unwrap();
    let pinned = r.with_digest(d);
    assert_eq!(
        pinned.to_string(),
        format!("quay.io/org/app:v1@sha256:{FF64}")
    );
    assert_eq!(pinned.digest(), Some(&d));
    let untagged = pinned.without_tag();
    assert_eq!(
        untagged.to_string(),
        format!("quay.io/org/app@sha256:{FF64}")
    );
    assert_eq!(
        untagged.familiar(),
        format!("quay.io/org/app@sha256:{FF64}")
    );
    let retagged = pinned.with_tag("v2").unwrap();
    assert_eq!(retagged.to_string(), "quay.io/org/app:v2");
    assert_eq!(retagged.digest(), None);
    assert_eq!(r.without_tag().to_string(), "quay.io/org/app");
    assert_eq!(r.without_tag().normalized(), "quay.io/org/app:latest");
    assert!(matches!(
        r.with_tag("bad tag"),
        Err(ReferenceError::InvalidTag { offset: 3, .. })
    ));
    assert!(matches!(
        r.with_tag(""),
        Err(ReferenceError::InvalidTag { offset: 0, .. })
    ));
    assert!(matches!(
        r.with_tag(&"x".repeat(129)),
        Err(ReferenceError::TagTooLong { len: 129, .. })
    ));
    for x in [&pinned, &untagged, &retagged] {
        assert_eq!(&Reference::parse(&x.to_string()).unwrap(), x);
    }
}

#[test]
fn new_validates_each_part() {
    let d: Digest = format!("sha256:{FF64}").parse().unwrap();
    let r = Reference::new("index.docker.io", "library/nginx", Some("1.27"), Some(d)).unwrap();
    assert_eq!(r.registry(), "docker.io");
    assert_eq!(
        r,
        Reference::parse(&format!("nginx:1.27@sha256:{FF64}")).unwrap()
    );
    let r = Reference::new("[::1]:5000", "a/b", None, None).unwrap();
    assert_eq!(r.to_string(), "[::1]:5000/a/b");
    assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
    let r = Reference::new("Example.COM", "a", None, None).unwrap();
    assert_eq!(r.registry(), "Example.COM");
    // library/ is not added by new().
    let r = Reference::new("docker.io", "nginx", None, None).unwrap();
    assert_eq!(r.repository(), "nginx");

    let err = |reg: &str, repo: &str, tag: Option<&str>| {
        kind(&Reference::new(reg, repo, tag, None).unwrap_err())
    };
    assert_eq!(err("", "a", None), E::Domain(0));
    assert_eq!(err("a_b.io", "a", None), E::Domain(1));
    assert_eq!(err("a.io:", "a", None), E::Port(5));
    assert_eq!(err("a.io", "", None), E::Path(0));
    assert_eq!(err("a.io", "a/B", None), E::Upper(2));
    assert_eq!(err("a.io", "a//b", None), E::Path(2));
    assert_eq!(err("a.io", "a", Some("-x")), E::Tag(0));
    // The path alone is limited (255 bytes), whatever the registry's length.
    assert_eq!(err("a.io", &"a".repeat(256), None), E::TooLong);
    let long_host = format!("{}.io", "h".repeat(300));
    assert!(Reference::new(&long_host, &"a".repeat(255), None, None).is_ok());
    // A repository that is an image ID is a name: only a whole input of 64 hex digits is refused.
    assert!(Reference::new("docker.io", &format!("library/{HEX64}"), None, None).is_ok());
    assert!(Reference::new("a.io", HEX64, None, None).is_ok());
    assert!(matches!(
        Reference::new("myhost", "app", None, None),
        Err(ReferenceError::UnqualifiedRegistry { .. })
    ));
    assert!(Reference::new("localhost", "app", None, None).is_ok());
    assert!(Reference::new("myhost:80", "app", None, None).is_ok());
}

#[test]
fn traits() {
    use std::collections::HashSet;
    let a: Reference = "nginx".parse().unwrap();
    let b = Reference::try_from("docker.io/library/nginx").unwrap();
    let c = Reference::try_from(String::from("index.docker.io/nginx")).unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    let set: HashSet<Reference> = [a.clone(), b, c].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_eq!(
        format!("{a:?}"),
        r#"Reference { registry: "docker.io", repository: "library/nginx", tag: None, digest: None }"#
    );
    assert!("Nginx".parse::<Reference>().is_err());
}

#[test]
fn serde_by_string() {
    let r = Reference::parse(&format!("ghcr.io/o/app:v1@sha256:{FF64}")).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(json, format!("\"ghcr.io/o/app:v1@sha256:{FF64}\""));
    assert_eq!(serde_json::from_str::<Reference>(&json).unwrap(), r);
    assert_eq!(
        serde_json::from_str::<Reference>("\"busybox\"").unwrap(),
        Reference::parse("docker.io/library/busybox").unwrap()
    );
    let e = serde_json::from_str::<Reference>("\"Busybox\"").unwrap_err();
    assert!(e.to_string().contains("lowercase"), "{e}");
    assert!(serde_json::from_str::<Reference>("42").is_err());
}
