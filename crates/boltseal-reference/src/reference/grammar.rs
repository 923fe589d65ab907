//! The reference grammar, scanned in one left-to-right pass: character classes, the
//! domain, path and tag scanners, and [`split`], which builds a [`Reference`] with Docker's
//! normalization.

use super::{
    DOCKER_HUB, DOCKER_HUB_LEGACY, INPUT_MAX, OFFICIAL_PREFIX, PATH_MAX, Reference, ReferenceError,
    TAG_MAX,
};
use crate::digest::Digest;

/// Character classes of the grammar, one bit each, looked up by byte.
const LOWER: u8 = 1; // a-z
const DIGIT: u8 = 2; // 0-9
const UPPER: u8 = 4; // A-Z
const TAG_PUNCT: u8 = 8; // _ . -
const HOST_PUNCT: u8 = 16; // -
const DOMAIN_HINT: u8 = 32; // . : A-Z: a first component with one of these is a domain
const DELIM: u8 = 64; // / @: ends the first component

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_uppercase() {
            UPPER | DOMAIN_HINT
        } else if b == b'-' {
            TAG_PUNCT | HOST_PUNCT
        } else if b == b'_' {
            TAG_PUNCT
        } else if b == b'.' {
            TAG_PUNCT | DOMAIN_HINT
        } else if b == b':' {
            DOMAIN_HINT
        } else if b == b'/' || b == b'@' {
            DELIM
        } else {
            0
        };
        c += 1;
    }
    t
};

#[inline(always)]
fn class(c: u8) -> u8 {
    CLASS[usize::from(c)]
}

const ALNUM: u8 = LOWER | DIGIT;

/// Validates `s` and builds the reference, applying Docker's normalization, in one
/// left-to-right pass (the first component is read twice when it is not a domain).
pub(super) fn split(s: &str) -> Result<Reference, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::Empty);
    }
    // distribution's ParseNormalizedNamed: an input that is only 64 hex digits reads as an
    // image ID. (`<hex>:tag` and `docker.io/<hex>` are names like any other.)
    if is_hex64(s) {
        return Err(ReferenceError::NameIsDigest {
            input: s.to_owned(),
        });
    }
    // Offsets are kept as `u32`, with room for `docker.io/library/`.
    if s.len() > INPUT_MAX {
        return Err(ReferenceError::NameTooLong {
            input: String::new(),
            len: s.len(),
        });
    }
    let b = s.as_bytes();

    // The first component ends at the first '/' (or '@', or the end). It is a domain when a
    // '/' follows it and it contains '.', ':' or an uppercase letter, or is `localhost`.
    let mut first_end = 0;
    let mut hints = 0;
    while first_end < b.len() {
        let c = class(b[first_end]);
        if c & DELIM != 0 {
            break;
        }
        hints |= c;
        first_end += 1;
    }
    let explicit = b.get(first_end) == Some(&b'/')
        && (hints & DOMAIN_HINT != 0 || &b[..first_end] == b"localhost");
    let (registry, path_start) = if explicit {
        check_domain(s, 0, first_end, s)?;
        let d = &s[..first_end];
        let d = if d == DOCKER_HUB_LEGACY {
            DOCKER_HUB
        } else {
            d
        };
        (d, first_end + 1)
    } else {
        (DOCKER_HUB, 0)
    };

    // The path ends at ':' (a tag follows), '@' (a digest follows) or the end.
    let (path_end, nested) = scan_path(b, path_start, s)?;
    let path = &s[path_start..path_end];
    let library = registry == DOCKER_HUB && !nested;
    let path_len = if library { OFFICIAL_PREFIX.len() } else { 0 } + path.len();
    if path_len > PATH_MAX {
        return Err(ReferenceError::NameTooLong {
            input: s.to_owned(),
            len: path_len,
        });
    }
    let name_len = registry.len() + 1 + path_len;

    let name_tag_end = if b.get(path_end) == Some(&b':') {
        scan_tag(b, path_end + 1, s)?
    } else {
        path_end
    };
    let digest = if name_tag_end < b.len() {
        // b[name_tag_end] is '@'.
        Some(Digest::parse_at(
            &s[name_tag_end + 1..],
            name_tag_end + 1,
            s,
        )?)
    } else {
        None
    };

    // The text is `registry/path[:tag]`: the input itself for an explicit, canonical registry.
    let verbatim = explicit && !library && registry.len() == first_end;
    let mut text;
    if verbatim {
        text = String::with_capacity(name_tag_end);
    } else {
        let extra = if library { OFFICIAL_PREFIX.len() } else { 0 };
        text = String::with_capacity(DOCKER_HUB.len() + 1 + extra + name_tag_end - path_start);
        text.push_str(DOCKER_HUB);
        text.push('/');
        if library {
            text.push_str(OFFICIAL_PREFIX);
        }
    }
    let copy_from = if verbatim { 0 } else { path_start };
    text.push_str(&s[copy_from..name_tag_end]);
    Ok(Reference {
        text,
        // Both are at most the input's length plus `docker.io/library/`: below INPUT_MAX + 18.
        registry_len: registry.len() as u32,
        name_len: name_len as u32,
        digest,
    })
}

/// Whether Docker takes a first path component as a domain.
pub(super) fn looks_like_domain(first: &str) -> bool {
    first == "localhost" || first.bytes().any(|c| class(c) & DOMAIN_HINT != 0)
}

pub(super) fn is_hex64(s: &str) -> bool {
    boltseal_core::hex::is_lower_hex(s, 64)
}

/// Checks `whole[start..end]` against `host [":" port]`; errors carry `input`.
pub(super) fn check_domain(
    whole: &str,
    start: usize,
    end: usize,
    input: &str,
) -> Result<(), ReferenceError> {
    let b = &whole.as_bytes()[..end];
    let bad = |offset| {
        Err(ReferenceError::InvalidDomain {
            input: input.to_owned(),
            offset,
        })
    };
    let mut i = start;
    if b.get(i) == Some(&b'[') {
        i += 1;
        let hex_start = i;
        while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b':') {
            i += 1;
        }
        if i == hex_start || b.get(i) != Some(&b']') {
            return bad(i);
        }
        i += 1;
    } else {
        loop {
            // A component: starts and ends with an alphanumeric, '-' allowed inside.
            if b.get(i).is_none_or(|&c| class(c) & (ALNUM | UPPER) == 0) {
                return bad(i);
            }
            i += 1;
            while i < b.len() && class(b[i]) & (ALNUM | UPPER | HOST_PUNCT) != 0 {
                i += 1;
            }
            if b[i - 1] == b'-' {
                return bad(i - 1);
            }
            if b.get(i) == Some(&b'.') {
                i += 1;
            } else {
                break;
            }
        }
    }
    if i < b.len() {
        if b[i] != b':' {
            return bad(i);
        }
        i += 1;
        let port = &b[i..];
        let bad_port = if port.is_empty() {
            Some(0)
        } else {
            port.iter().position(|c| !c.is_ascii_digit())
        };
        if let Some(j) = bad_port {
            return Err(ReferenceError::InvalidPort {
                input: input.to_owned(),
                offset: i + j,
            });
        }
    }
    Ok(())
}

/// Reads `path-comp ("/" path-comp)*` from `b[start..]` up to ':', '@' or the end; returns
/// where the path ends and whether it has more than one component.
#[inline(always)]
fn scan_path(b: &[u8], start: usize, input: &str) -> Result<(usize, bool), ReferenceError> {
    let fail = |offset: usize| {
        if b.get(offset).is_some_and(u8::is_ascii_uppercase) {
            Err(ReferenceError::UppercaseRepository {
                input: input.to_owned(),
                offset,
            })
        } else {
            Err(ReferenceError::InvalidPathComponent {
                input: input.to_owned(),
                offset,
            })
        }
    };
    let mut nested = false;
    let mut i = start;
    loop {
        // An alphanumeric run is required here: at a component start or after a separator.
        if b.get(i).is_none_or(|&c| class(c) & ALNUM == 0) {
            return fail(i);
        }
        i += 1;
        while i < b.len() && class(b[i]) & ALNUM != 0 {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Ok((i, nested));
        };
        match c {
            b'/' => nested = true,
            b'.' => {}
            b'_' => {
                if b.get(i + 1) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i + 1) == Some(&b'-') {
                    i += 1;
                }
            }
            b':' | b'@' => return Ok((i, nested)),
            _ => return fail(i),
        }
        i += 1;
    }
}

/// Reads a tag from `b[start..]` up to '@' or the end; returns where it ends.
#[inline(always)]
fn scan_tag(b: &[u8], start: usize, input: &str) -> Result<usize, ReferenceError> {
    let bad = |offset| {
        Err(ReferenceError::InvalidTag {
            input: input.to_owned(),
            offset,
        })
    };
    // The first character is a word character: not '.' or '-'.
    if b.get(start)
        .is_none_or(|&c| class(c) & (ALNUM | UPPER) == 0 && c != b'_')
    {
        return bad(start);
    }
    let mut i = start + 1;
    while i < b.len() && class(b[i]) & (ALNUM | UPPER | TAG_PUNCT) != 0 {
        i += 1;
    }
    if i < b.len() && b[i] != b'@' {
        return bad(i);
    }
    if i - start > TAG_MAX {
        return Err(ReferenceError::TagTooLong {
            input: input.to_owned(),
            len: i - start,
        });
    }
    Ok(i)
}

/// Checks that all of `path` is a repository path; returns whether it is nested.
pub(super) fn check_path(path: &str) -> Result<bool, ReferenceError> {
    let (end, nested) = scan_path(path.as_bytes(), 0, path)?;
    if end < path.len() {
        return Err(ReferenceError::InvalidPathComponent {
            input: path.to_owned(),
            offset: end,
        });
    }
    Ok(nested)
}

/// Checks that all of `tag` is a tag.
pub(super) fn check_tag(tag: &str) -> Result<(), ReferenceError> {
    let end = scan_tag(tag.as_bytes(), 0, tag)?;
    if end < tag.len() {
        return Err(ReferenceError::InvalidTag {
            input: tag.to_owned(),
            offset: end,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_domain, scan_path};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        /// The path scanner accepts exactly the grammar's paths.
        #[test]
        fn path_scanner_agrees_with_grammar(s in "[a-z0-9._/A-Z:@-]{0,24}") {
            let grammar = slow_path(&s);
            let scanned = scan_path(s.as_bytes(), 0, &s);
            prop_assert_eq!(scanned.is_ok(), grammar.is_ok(), "{:?}: {:?}", s, scanned);
            if let Ok(parts) = grammar {
                prop_assert_eq!(scanned.ok(), Some(parts), "{:?}", s);
            }
        }

        /// The host check accepts exactly the grammar's host names (with optional port).
        #[test]
        fn host_check_agrees_with_grammar(s in "[a-zA-Z0-9._:-]{0,20}") {
            let checked = check_domain(&s, 0, s.len(), &s).is_ok();
            prop_assert_eq!(checked, slow_host(&s), "{:?}", s);
        }
    }

    /// The grammar's path rule, written naively.
    fn slow_path(s: &str) -> Result<(usize, bool), ()> {
        let end = s.find([':', '@']).unwrap_or(s.len());
        let path = &s[..end];
        let comp_ok = |c: &str| {
            // [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
            let mut rest = c;
            let alnum = |r: &str| {
                r.len()
                    - r.trim_start_matches(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
                        .len()
            };
            let n = alnum(rest);
            if n == 0 {
                return false;
            }
            rest = &rest[n..];
            while !rest.is_empty() {
                let sep = if rest.starts_with("__") {
                    2
                } else if rest.starts_with(['.', '_']) {
                    1
                } else if rest.starts_with('-') {
                    rest.len() - rest.trim_start_matches('-').len()
                } else {
                    return false;
                };
                rest = &rest[sep..];
                let n = alnum(rest);
                if n == 0 {
                    return false;
                }
                rest = &rest[n..];
            }
            true
        };
        if path.split('/').all(comp_ok) {
            Ok((end, path.contains('/')))
        } else {
            Err(())
        }
    }

    /// The grammar's host rule (without IPv6), written naively.
    fn slow_host(s: &str) -> bool {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let comp_ok = |c: &str| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        };
        host.split('.').all(comp_ok)
            && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }
}
