//! Kyverno's wildcard matching: `*` matches any run of characters (including `/`, `:` and `@`),
//! `?` exactly one character; everything else matches itself. Whole-string and case-sensitive,
//! on Unicode scalar values. No escapes, no character classes.
//!
//! The matcher is the greedy two-pointer algorithm: it never backtracks further than the last
//! `*`, so a match costs at most `O(len(pattern) · len(text))` steps (Kyverno's recursive matcher
//! is exponential on patterns like `*a*a*a*b`) and allocates nothing.

/// Whether `text` matches the wildcard `pattern`.
///
/// ```
/// use boltseal_policy::wildcard::matches;
///
/// assert!(matches("ghcr.io/org/*", "ghcr.io/org/team/app:v1"));
/// assert!(matches("*:*", "localhost:5000/app"));
/// assert!(!matches("*:*", "nginx"));
/// assert!(matches("my-bucket?abc*", "my-bucket/abc"));
/// assert!(!matches("my-bucket/abc?", "my-bucket/abc"));
/// assert!(matches("", ""));
/// assert!(!matches("", "a"));
/// ```
#[must_use]
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // Fast paths: no wildcard at all, or a lone star.
    if !p.iter().any(|&b| b == b'*' || b == b'?') {
        return p == t;
    }
    if p == b"*" {
        return true;
    }
    let mut pi = 0usize;
    let mut ti = 0usize;
    // (pattern index after the last `*`, text index that star's run ends at)
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let tc_len = char_len(t[ti]);
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, ti));
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += tc_len;
                    continue;
                }
                _ => {
                    let pc_len = char_len(p[pi]);
                    if pc_len == tc_len && p.get(pi..pi + pc_len) == t.get(ti..ti + tc_len) {
                        pi += pc_len;
                        ti += tc_len;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((after_star, run_end)) => {
                // Let the last star swallow one more character and retry from there.
                let next = run_end + char_len(t[run_end]);
                star = Some((after_star, next));
                pi = after_star;
                ti = next;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// Whether the pattern contains a wildcard character.
#[must_use]
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.bytes().any(|b| b == b'*' || b == b'?')
}

/// Length in bytes of the UTF-8 sequence starting with `first`.
fn char_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    /// A naive recursive matcher with the reference semantics, for cross-checking.
    fn naive(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| naive(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && naive(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && naive(rest, &t[1..]),
        }
    }

    #[test]
    fn vectors() {
        let cases = [
            ("*", "", true),
            ("?", "", false),
            ("?*", "", false),
            ("?*", "x", true),
            ("a*b*c", "abbbc", true),
            ("a*b*c", "acb", false),
            ("*@*", "nginx@sha256:1", true),
            ("!*:latest", "!a:latest", true),
            ("é?", "éa", true),
            ("?", "é", true),
            (
                "*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("eu.foo.io/*", "eu.foo.io/nginx", true),
            ("eu.foo.io/*", "nginx", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(matches(p, t), want, "{p:?} vs {t:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_naive_matcher(p in "[ab*?é/]{0,8}", t in "[abé/]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            proptest::prop_assert_eq!(matches(&p, &t), naive(&pc, &tc));
        }
    }
}
