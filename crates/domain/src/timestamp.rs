//! Instants in UTC with microsecond precision: what both databases store exactly.

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

/// An instant in UTC, truncated to whole microseconds so it survives storage unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest instant both databases store: 0001-01-01T00:00:00 UTC.
    pub const MIN: Timestamp = Timestamp(-62_135_596_800_000_000);
    /// The latest instant both databases store: 9999-12-31T23:59:59.999999 UTC.
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999_999);

    /// The current instant.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// From microseconds since the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// From whole seconds since the Unix epoch.
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1_000_000))
    }

    /// Microseconds since the Unix epoch.
    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// This instant moved back by `duration`, saturating at the representable minimum.
    pub fn saturating_sub(self, duration: Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(micros))
    }

    /// This instant moved forward by `duration`, saturating at the representable maximum.
    pub fn saturating_add(self, duration: Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(micros))
    }

    /// This instant truncated to whole seconds (what a Biscuit date holds).
    pub const fn truncated_to_seconds(self) -> Self {
        Self::from_unix_seconds(self.unix_seconds())
    }

    /// The same instant as a `time` date-time in UTC.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// From a `time` date-time, dropping sub-microsecond digits.
    pub fn from_datetime(datetime: OffsetDateTime) -> Self {
        let micros = datetime.unix_timestamp_nanos().div_euclid(1_000);
        Self(i64::try_from(micros).unwrap_or(i64::MAX))
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff`: UTC, exactly six fractional digits, no zone. The contract's
/// form of an instant, and the audit trail's canonical one.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
        );
        match self.to_datetime().format(&format) {
            Ok(text) => f.write_str(&text),
            Err(_) => f.write_str("0001-01-01T00:00:00.000000"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_with_exactly_six_fractional_digits_and_no_zone() {
        assert_eq!(
            Timestamp::from_unix_micros(0).to_string(),
            "1970-01-01T00:00:00.000000"
        );
        assert_eq!(
            Timestamp::from_unix_micros(1_764_300_000_123_456).to_string(),
            "2025-11-28T03:20:00.123456"
        );
        assert_eq!(Timestamp::MIN.to_string(), "0001-01-01T00:00:00.000000");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59.999999");
    }

    #[test]
    fn now_is_truncated_to_microseconds_and_round_trips() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::from_datetime(now.to_datetime()), now);
    }

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let min = Timestamp::from_unix_micros(i64::MIN);
        assert_eq!(min.saturating_sub(Duration::from_secs(1)), min);
        assert_eq!(
            Timestamp::from_unix_micros(10)
                .saturating_sub(Duration::from_micros(4))
                .unix_micros(),
            6
        );
    }

    #[test]
    fn the_bounds_are_the_first_and_last_instants_of_the_calendar() {
        let (min, max) = (Timestamp::MIN.to_datetime(), Timestamp::MAX.to_datetime());
        assert_eq!((min.year(), min.month() as u8, min.day()), (1, 1, 1));
        assert_eq!((max.year(), max.month() as u8, max.day()), (9999, 12, 31));
        assert_eq!(
            (max.hour(), max.minute(), max.second(), max.microsecond()),
            (23, 59, 59, 999_999)
        );
    }

    #[test]
    fn seconds_truncate_down() {
        assert_eq!(
            Timestamp::from_unix_micros(1_999_999)
                .truncated_to_seconds()
                .unix_micros(),
            1_000_000
        );
        assert_eq!(Timestamp::from_unix_micros(-1).unix_seconds(), -1);
    }
}
