//! [`Timestamp`]: an instant in UTC with nanosecond precision, written as RFC 3339.
//!
//! One implementation of the proleptic Gregorian calendar serves every crate: certificate
//! validity, transparency-log times, SBOM creation times, RPM install times.

use std::fmt;
use std::str::FromStr;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// An instant: nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
///
/// Parsed from RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, as protojson, Kubernetes
/// and SBOMs write it) and displayed as RFC 3339 in UTC with the shortest exact fraction.
/// Serialized as that text.
///
/// ```
/// use boltseal_core::Timestamp;
/// let t: Timestamp = "2021-01-12T12:53:27+01:00".parse().unwrap();
/// assert_eq!(t, Timestamp::from_unix_seconds(1_610_452_407));
/// assert_eq!(t.to_string(), "2021-01-12T11:53:27Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i128);

/// The civil (calendar) fields of a [`Timestamp`] in UTC.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year (proleptic Gregorian; may be zero or negative).
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
    /// Nanoseconds within the second.
    pub nanosecond: u32,
}

/// RFC 3339 text that is not a valid timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp {0:?}")]
pub struct TimestampError(String);

impl crate::Classify for TimestampError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// The current time of the system clock.
    #[must_use]
    pub fn now() -> Self {
        Self::from(std::time::SystemTime::now())
    }

    /// Whole seconds since the Unix epoch.
    #[must_use]
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(i128::from(seconds) * NANOS_PER_SECOND)
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub fn from_unix_millis(millis: i64) -> Self {
        Self(i128::from(millis) * 1_000_000)
    }

    /// Nanoseconds since the Unix epoch.
    #[must_use]
    pub fn from_unix_nanos(nanos: i128) -> Self {
        Self(nanos)
    }

    /// Seconds since the Unix epoch, rounded down (saturating).
    #[must_use]
    pub fn unix_seconds(self) -> i64 {
        i64::try_from(self.0.div_euclid(NANOS_PER_SECOND)).unwrap_or(if self.0 < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// Nanoseconds since the Unix epoch.
    #[must_use]
    pub fn unix_nanos(self) -> i128 {
        self.0
    }

    /// A civil date and time in UTC, or `None` when a field is out of range (a leap second
    /// `:60` is accepted and folds into the next second).
    #[must_use]
    pub fn from_civil(civil: Civil) -> Option<Self> {
        let Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond,
        } = civil;
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || nanosecond >= 1_000_000_000
        {
            return None;
        }
        let seconds = i128::from(days_from_civil(year, month, day)) * 86_400
            + i128::from(hour * 3600 + minute * 60 + second);
        Some(Self(seconds * NANOS_PER_SECOND + i128::from(nanosecond)))
    }

    /// A date at midnight UTC (see [`Timestamp::from_civil`]).
    #[must_use]
    pub fn from_date(year: i64, month: u32, day: u32) -> Option<Self> {
        Self::from_civil(Civil::new(year, month, day, 0, 0, 0, 0))
    }

    /// The civil fields in UTC.
    #[must_use]
    pub fn civil(self) -> Civil {
        let seconds = self.0.div_euclid(NANOS_PER_SECOND);
        let nanosecond = u32::try_from(self.0.rem_euclid(NANOS_PER_SECOND)).unwrap_or(0);
        let days = seconds.div_euclid(86_400);
        let of_day = u32::try_from(seconds.rem_euclid(86_400)).unwrap_or(0);
        let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
        Civil {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
            nanosecond,
        }
    }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t` and `z` accepted, at
    /// most nine fraction digits).
    ///
    /// # Errors
    /// [`TimestampError`] naming the text.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        parse(text).ok_or_else(|| {
            let shown: String = text.chars().take(64).collect();
            TimestampError(shown)
        })
    }

    /// RFC 3339 in UTC: `2021-01-12T11:53:27Z`, with the shortest exact fraction when the
    /// instant is not a whole second. Years outside 0000–9999 are written with a sign.
    #[must_use]
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// RFC 3339 in UTC with whole seconds (the fraction dropped), as Go's `time.RFC3339`.
    #[must_use]
    pub fn to_rfc3339_seconds(self) -> String {
        Self(self.0 - self.0.rem_euclid(NANOS_PER_SECOND)).to_string()
    }

    /// This instant plus a duration (saturating).
    #[must_use]
    pub fn saturating_add(self, by: std::time::Duration) -> Self {
        Self(
            self.0
                .saturating_add(i128::try_from(by.as_nanos()).unwrap_or(i128::MAX)),
        )
    }

    /// This instant minus a duration (saturating).
    #[must_use]
    pub fn saturating_sub(self, by: std::time::Duration) -> Self {
        Self(
            self.0
                .saturating_sub(i128::try_from(by.as_nanos()).unwrap_or(i128::MAX)),
        )
    }

    /// The duration from `earlier` to this instant, or `None` when `earlier` is later.
    #[must_use]
    pub fn duration_since(self, earlier: Self) -> Option<std::time::Duration> {
        let nanos = u128::try_from(self.0.checked_sub(earlier.0)?).ok()?;
        let seconds = u64::try_from(nanos / 1_000_000_000).ok()?;
        Some(std::time::Duration::new(
            seconds,
            u32::try_from(nanos % 1_000_000_000).ok()?,
        ))
    }
}

impl Civil {
    /// Civil fields (not checked; [`Timestamp::from_civil`] checks them).
    #[must_use]
    pub fn new(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        nanosecond: u32,
    ) -> Self {
        Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond,
        }
    }
}

impl From<std::time::SystemTime> for Timestamp {
    fn from(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Self(i128::try_from(d.as_nanos()).unwrap_or(i128::MAX)),
            Err(e) => Self(-i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX)),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.civil();
        if (0..=9999).contains(&c.year) {
            write!(f, "{:04}", c.year)?;
        } else {
            write!(f, "{:+05}", c.year)?;
        }
        write!(
            f,
            "-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.month, c.day, c.hour, c.minute, c.second
        )?;
        if c.nanosecond != 0 {
            let fraction = format!("{:09}", c.nanosecond);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
#[must_use]
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date (year, month, day) `days` after 1970-01-01.
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse(text: &str) -> Option<Timestamp> {
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
    let mut nanosecond = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 || len > 9 {
            return None;
        }
        nanosecond = digits(&fraction[..len])? * 10u32.pow(u32::try_from(9 - len).ok()?);
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
    let local = Timestamp::from_civil(Civil::new(
        year, month, day, hour, minute, second, nanosecond,
    ))?;
    Some(Timestamp(
        local.0 - i128::from(offset_seconds) * NANOS_PER_SECOND,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(text: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(text).ok()
    }

    #[test]
    fn rfc3339_in() {
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(Timestamp::UNIX_EPOCH));
        assert_eq!(
            at("2022-12-31T23:59:59.999Z"),
            Some(Timestamp::from_unix_nanos(1_672_531_199_999_000_000))
        );
        assert_eq!(
            at("2021-01-12T12:53:27+01:00"),
            Some(Timestamp::from_unix_seconds(1_610_452_407))
        );
        for bad in [
            "2021-02-29T00:00:00Z",
            "2021-01-12 11:53:27Z",
            "2021-01-12T11:53:27",
            "2021-01-12T11:53:27.Z",
            "2021-01-12T11:53:27.1234567890Z",
            "2021-13-12T11:53:27Z",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_out() {
        assert_eq!(Timestamp::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00Z");
        let t = Timestamp::from_unix_nanos(1_672_531_199_120_000_000);
        assert_eq!(t.to_string(), "2022-12-31T23:59:59.12Z");
        assert_eq!(t.to_rfc3339_seconds(), "2022-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::from_unix_seconds(-1).to_string(),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn serde_round_trip() {
        let t = Timestamp::from_unix_seconds(1_610_452_407);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2021-01-12T11:53:27Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn display_parse_round_trip(nanos in -62_135_596_800_000_000_000i128..253_402_300_799_999_999_999i128) {
            let t = Timestamp::from_unix_nanos(nanos);
            proptest::prop_assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }

        #[test]
        fn civil_days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
