//! Instants as nanoseconds since the Unix epoch, for the arithmetic of validity windows; the
//! calendar and RFC 3339 are [`boltseal_core::Timestamp`]'s.

use boltseal_core::Timestamp;
use boltseal_core::time::Civil;

/// Nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
pub(crate) type Nanos = i128;

/// Unix seconds as [`Nanos`].
pub(crate) fn from_unix(seconds: i64) -> Nanos {
    Timestamp::from_unix_seconds(seconds).unix_nanos()
}

/// [`Nanos`] as Unix seconds (rounded down).
pub(crate) fn to_unix(nanos: Nanos) -> i64 {
    Timestamp::from_unix_nanos(nanos).unix_seconds()
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
    Timestamp::from_civil(Civil::new(year, month, day, hour, minute, second, nanos))
        .map(Timestamp::unix_nanos)
}

/// Parses an RFC 3339 timestamp as protojson writes `google.protobuf.Timestamp`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Nanos> {
    Timestamp::parse_rfc3339(text)
        .ok()
        .map(Timestamp::unix_nanos)
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
