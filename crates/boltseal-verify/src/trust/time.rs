//! Instants as nanoseconds since the Unix epoch, and RFC 3339 parsing for `validFor`.

/// Nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
pub(crate) type Nanos = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Unix seconds as [`Nanos`].
pub(crate) fn from_unix(seconds: i64) -> Nanos {
    i128::from(seconds) * NANOS_PER_SECOND
}

/// [`Nanos`] as Unix seconds (rounded down).
pub(crate) fn to_unix(nanos: Nanos) -> i64 {
    i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).unwrap_or(i64::MAX)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A civil date and time (UTC) as [`Nanos`], or `None` when a field is out of range.
pub(crate) fn from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> Option<Nanos> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
        || nanos >= 1_000_000_000
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Some(from_unix(seconds) + i128::from(nanos))
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses an RFC 3339 timestamp as protojson writes `google.protobuf.Timestamp`:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Nanos> {
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let year = i64::from(digits(text.get(0..4)?)?);
    let month = digits(text.get(5..7)?)?;
    let day = digits(text.get(8..10)?)?;
    let hour = digits(text.get(11..13)?)?;
    let minute = digits(text.get(14..16)?)?;
    let second = digits(text.get(17..19)?)?;
    let mut rest = text.get(19..)?;
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 || len > 9 {
            return None;
        }
        let value = digits(&fraction[..len])?;
        nanos = value * 10u32.pow(u32::try_from(9 - len).ok()?);
        rest = &fraction[len..];
    }
    let offset_seconds: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours = i64::from(digits(&rest[1..3])?);
            let minutes = i64::from(digits(&rest[4..6])?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let local = from_civil(year, month, day, hour, minute, second, nanos)?;
    Some(local - from_unix(offset_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2021-01-12T11:53:27Z"),
            Some(from_unix(1_610_452_407))
        );
        assert_eq!(
            parse_rfc3339("2022-12-31T23:59:59.999Z"),
            Some(from_unix(1_672_531_199) + 999_000_000)
        );
        assert_eq!(
            parse_rfc3339("2021-01-12T12:53:27+01:00"),
            Some(from_unix(1_610_452_407))
        );
        assert_eq!(parse_rfc3339("2021-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2021-01-12 11:53:27Z"), None);
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27"), None);
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27.Z"), None);
    }
}
