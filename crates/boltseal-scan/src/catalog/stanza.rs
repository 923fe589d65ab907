//! RFC 822-style stanzas (dpkg `status`, Python `METADATA`): `Key: value` lines, continuation
//! lines starting with a space or tab, stanzas separated by blank lines.

/// One stanza's fields in order; repeated keys are kept (Python's `Classifier`,
/// `Requires-Dist`).
pub(crate) type Stanza<'a> = Vec<(&'a str, String)>;

/// Splits `text` into stanzas. Lines that are neither fields nor continuations are ignored.
/// With `first_only`, stops after the first stanza (a METADATA body follows the headers).
pub(crate) fn parse(text: &str, first_only: bool) -> Vec<Stanza<'_>> {
    let mut out = Vec::new();
    let mut current: Stanza<'_> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
                if first_only {
                    return out;
                }
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, value)) = current.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The first value of `key` (case-sensitive).
pub(crate) fn get<'s>(stanza: &'s Stanza<'_>, key: &str) -> Option<&'s str> {
    stanza
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_and_blank_separators() {
        let s = parse("Package: a\nDescription: x\n y\n\n\nPackage: b\n", false);
        assert_eq!(s.len(), 2);
        assert_eq!(get(&s[0], "Description"), Some("x\ny"));
        assert_eq!(get(&s[1], "Package"), Some("b"));
    }
}
