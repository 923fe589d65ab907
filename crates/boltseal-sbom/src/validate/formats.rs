//! The string formats the schemas assert (`date-time`, `uri`, `iri-reference`, `idn-email`)
//! and the patterns of their string types (UUIDs, BOM links, hex digests, CPE 2.3 names).

use super::schema::Format;

/// RFC 3339 `date-time` (as JSON Schema's format): full date, `T`, time with seconds,
/// optional fraction, and `Z` or an offset.
pub(super) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') <= 23
                && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

fn valid_chars_and_escapes(s: &str, allow_non_ascii: bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(i + 2 < b.len() + 1
                && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if c >= 0x80 {
            if !allow_non_ascii {
                return false;
            }
        } else if c <= 0x20
            || c == 0x7f
            || matches!(
                c,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            return false;
        }
        i += 1;
    }
    s.matches('#').count() <= 1
}

fn scheme_of(s: &str) -> Option<&str> {
    let end = s.find(':')?;
    let scheme = &s[..end];
    if scheme.contains(['/', '?', '#']) {
        return None;
    }
    Some(scheme)
}

fn valid_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// An RFC 3987 IRI reference (relative references allowed): no spaces, controls or
/// characters outside the grammar, well-formed percent escapes, a valid scheme when present.
pub(super) fn is_iri_reference(s: &str) -> bool {
    if !valid_chars_and_escapes(s, true) {
        return false;
    }
    match scheme_of(s) {
        Some(scheme) => valid_scheme(scheme),
        None => true,
    }
}

/// An RFC 3986 URI: a scheme, then ASCII characters of the grammar.
pub(super) fn is_uri(s: &str) -> bool {
    valid_chars_and_escapes(s, false) && scheme_of(s).is_some_and(valid_scheme)
}

pub(super) fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !s.contains(char::is_whitespace)
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

pub(super) fn is_hex_digest(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn is_uuid_lower(s: &str) -> bool {
    let g: Vec<&str> = s.split('-').collect();
    g.len() == 5
        && g.iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// `urn:cdx:<uuid>/<version>` (document) or with `#<ref>` (element).
pub(super) fn is_bom_link(s: &str, element: bool) -> bool {
    let Some(rest) = s.strip_prefix("urn:cdx:") else {
        return false;
    };
    let Some((uuid, rest)) = rest.split_once('/') else {
        return false;
    };
    let (version, fragment) = match rest.split_once('#') {
        Some((v, f)) => (v, Some(f)),
        None => (rest, None),
    };
    is_uuid_lower(uuid)
        && version.starts_with(|c: char| ('1'..='9').contains(&c))
        && version.bytes().all(|b| b.is_ascii_digit())
        && (element == fragment.is_some_and(|f| !f.is_empty()))
        && fragment.is_none_or(|f| !f.is_empty())
        && is_iri_reference(s)
}

/// CPE 2.3 formatted string (the shape of the NIST pattern: 13 colon-separated fields).
pub(super) fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else {
        return false;
    };
    let mut fields = 0;
    let mut escaped = false;
    let mut current_len = 0;
    for c in rest.chars() {
        if escaped {
            escaped = false;
            current_len += 1;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                if current_len == 0 {
                    return false;
                }
                fields += 1;
                current_len = 0;
            }
            c if c.is_whitespace() => return false,
            _ => current_len += 1,
        }
    }
    fields == 10 && current_len > 0 && rest.starts_with(['a', 'h', 'o', '*', '-'])
}

// ------------------------------------------------------------------------------------------
// CycloneDX schema rules.

/// `format: date-time`.
pub(super) const DATE_TIME: Format = Format {
    test: is_date_time,
    is_not: "is not an RFC 3339 date-time",
};

/// `format: iri-reference`.
pub(super) const IRI: Format = Format {
    test: is_iri_reference,
    is_not: "is not an IRI reference",
};

/// `format: idn-email`.
pub(super) const EMAIL: Format = Format {
    test: is_email,
    is_not: "is not an e-mail address",
};
