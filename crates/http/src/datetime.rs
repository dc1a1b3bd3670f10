//! `datetime` as pydantic v2 reads a query parameter: an ISO 8601 date-time (`T`, `t`, `_`
//! or a space between date and time; seconds and up to six fractional digits optional, more
//! digits dropped; `Z` or `±HH:MM`, none meaning UTC here), a bare date (its midnight), or a
//! number of seconds since the epoch (of milliseconds beyond 2×10¹⁰). What it refuses has
//! pydantic's `type`: `datetime_from_date_parsing` for text that is neither a date-time nor a
//! date, `datetime_parsing` for one out of range.

use admin_domain::Timestamp;
use serde_json::json;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};

use crate::params::{Kind, Refusal};

/// `datetime`.
#[derive(Debug, Clone, Copy)]
pub struct DateTime;

/// Past this, a number counts milliseconds, not seconds (as pydantic reads one).
const MILLIS_FROM: f64 = 2e10;

impl Kind for DateTime {
    type Value = Timestamp;

    fn read(&self, raw: &str) -> Result<Timestamp, Refusal> {
        if let Some(seconds) = number(raw) {
            let seconds = if seconds.abs() > MILLIS_FROM {
                seconds / 1_000.0
            } else {
                seconds
            };
            let micros = (seconds * 1_000_000.0).round();
            let (min, max) = (Timestamp::MIN.unix_micros(), Timestamp::MAX.unix_micros());
            // In f64 the largest instant rounds to the first one past it: compare with that.
            if micros < min as f64 || micros >= (max + 1) as f64 {
                return Err(out_of_range("year is out of range"));
            }
            return Ok(Timestamp::from_unix_micros(micros as i64));
        }
        let (date, rest) = date(raw).map_err(neither)?;
        if rest.is_empty() {
            return at(date, Time::MIDNIGHT, UtcOffset::UTC);
        }
        let extra = || neither("unexpected extra characters at the end of the input");
        let rest = rest.strip_prefix(['T', 't', '_', ' ']).ok_or_else(extra)?;
        let (time, rest) = time_of_day(rest).ok_or_else(extra)?;
        let offset = offset(rest).ok_or_else(extra)?;
        at(date, time, offset)
    }

    fn recorded(&self, raw: &str) -> String {
        self.read(raw)
            .map_or_else(|_| raw.to_owned(), |instant| instant.to_string())
    }

    /// What pydantic accepts, each part with its format, so that schema-valid text (an empty
    /// string, say) is never refused: a date-time, a date, or a number of seconds (or
    /// milliseconds) within the years the service holds.
    fn schema(&self) -> Schema {
        let text = |format: KnownFormat| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        let number = ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some((Timestamp::MIN.unix_micros() / 1_000) as f64))
            .maximum(Some((Timestamp::MAX.unix_micros() / 1_000) as f64));
        AnyOfBuilder::new()
            .item(text(KnownFormat::DateTime))
            .item(text(KnownFormat::Date))
            .item(number)
            .description(Some(
                "An ISO 8601 date-time (no zone: UTC), a date (its midnight), or seconds since the epoch (milliseconds beyond 2e10)",
            ))
            .into()
    }
}

/// The instant of `date` at `time` at `offset`, if the service can hold it.
fn at(date: Date, time: Time, offset: UtcOffset) -> Result<Timestamp, Refusal> {
    if date.year() < 1 {
        return Err(out_of_range("year 0 is out of range"));
    }
    let instant: OffsetDateTime = PrimitiveDateTime::new(date, time).assume_offset(offset);
    let instant = Timestamp::from_datetime(instant);
    if instant < Timestamp::MIN || instant > Timestamp::MAX {
        return Err(out_of_range("year is out of range"));
    }
    Ok(instant)
}

fn neither(error: &str) -> Refusal {
    Refusal::new(
        "datetime_from_date_parsing",
        format!("Input should be a valid datetime or date, {error}"),
        Some(json!({ "error": error })),
    )
}

fn out_of_range(error: &str) -> Refusal {
    Refusal::new(
        "datetime_parsing",
        format!("Input should be a valid datetime, {error}"),
        Some(json!({ "error": error })),
    )
}

/// A plain decimal number: digits, an optional sign and fraction; no exponent.
fn number(raw: &str) -> Option<f64> {
    let unsigned = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || raw.len() >= 20 {
        return None;
    }
    raw.parse().ok()
}

/// `YYYY-MM-DD` at the start of `raw`, and what follows it.
fn date(raw: &str) -> Result<(Date, &str), &'static str> {
    let bytes = raw.as_bytes();
    if bytes.len() < 10 {
        return Err("input is too short");
    }
    let digits = |range: std::ops::Range<usize>, what: &'static str| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| {
                bytes[range]
                    .iter()
                    .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
            })
            .ok_or(what)
    };
    let year = digits(0..4, "invalid character in year")?;
    if bytes[4] != b'-' {
        return Err("invalid date separator, expected `-`");
    }
    let month = digits(5..7, "invalid character in month")?;
    if bytes[7] != b'-' {
        return Err("invalid date separator, expected `-`");
    }
    let day = digits(8..10, "invalid character in day")?;
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or("month value is outside expected range of 1-12")?;
    let year = i32::try_from(year).map_err(|_| "invalid character in year")?;
    let day = u8::try_from(day).map_err(|_| "day value is outside expected range")?;
    let date = if year == 0 {
        // Valid text, out of Python's range: refused as out of range by `at`.
        Date::from_calendar_date(0, month, day.min(28))
    } else {
        Date::from_calendar_date(year, month, day)
    }
    .map_err(|_| "day value is outside expected range")?;
    Ok((date, &raw[10..]))
}

/// `HH:MM[:SS[.f…]]` at the start of `raw`, and what follows it.
fn time_of_day(raw: &str) -> Option<(Time, &str)> {
    let two = |text: &str| -> Option<u8> {
        let part = text.get(..2)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let hour = two(raw)?;
    let rest = raw.get(2..)?.strip_prefix(':')?;
    let minute = two(rest)?;
    let mut rest = &rest[2..];
    let (mut second, mut micros) = (0, 0u32);
    if let Some(after) = rest.strip_prefix(':') {
        second = two(after)?;
        rest = &after[2..];
        if let Some(after) = rest.strip_prefix(['.', ',']) {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let kept: String = after[..digits.min(6)].chars().collect();
            micros = format!("{kept:0<6}").parse().ok()?;
            rest = &after[digits..];
        }
    }
    let time = Time::from_hms_micro(hour, minute, second, micros).ok()?;
    Some((time, rest))
}

/// Nothing (UTC), `Z`, or `±HH:MM` / `±HHMM`, and nothing after it.
fn offset(raw: &str) -> Option<UtcOffset> {
    match raw {
        "" | "Z" | "z" => return Some(UtcOffset::UTC),
        _ => {}
    }
    let sign: i8 = match raw.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &raw[1..];
    let rest = rest.replacen(':', "", 1);
    if rest.len() != 4 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i8 = rest[..2].parse().ok()?;
    let minutes: i8 = rest[2..].parse().ok()?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Result<String, &'static str> {
        DateTime
            .read(raw)
            .map(|at| at.to_string())
            .map_err(|r| r.kind)
    }

    /// The schema's number bounds hold at the edge: milliseconds at year 10000 are out of
    /// range, the last millisecond of 9999 is not (found by schemathesis: f64 rounded the
    /// largest instant up to the first one past it).
    #[test]
    fn a_number_just_past_the_largest_instant_is_out_of_range() {
        assert_eq!(read("253402300800000"), Err("datetime_parsing"));
        assert!(read("253402300799999").is_ok_and(|at| at.starts_with("9999-12-31T23:59:59.999")));
        assert_eq!(
            read("-62135596800000"),
            Ok("0001-01-01T00:00:00.000000".to_owned())
        );
    }

    #[test]
    fn reads_what_pydantic_reads() {
        for (raw, at) in [
            ("2026-01-01", "2026-01-01T00:00:00.000000"),
            ("2026-01-01T10:00", "2026-01-01T10:00:00.000000"),
            ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000000"),
            ("2026-01-01 10:00:00+05:00", "2026-01-01T05:00:00.000000"),
            ("2026-01-01t10:00:00", "2026-01-01T10:00:00.000000"),
            ("2026-01-01_10:00:00", "2026-01-01T10:00:00.000000"),
            ("2026-01-01T10:00:00.1234567", "2026-01-01T10:00:00.123456"),
            ("2026-01-01T10:00:00.5+01:30", "2026-01-01T08:30:00.500000"),
            ("1700000000", "2023-11-14T22:13:20.000000"),
            ("1700000000000", "2023-11-14T22:13:20.000000"),
            ("20260101", "1970-08-23T11:48:21.000000"),
            ("-1", "1969-12-31T23:59:59.000000"),
            ("1.5", "1970-01-01T00:00:01.500000"),
        ] {
            assert_eq!(read(raw), Ok(at.to_owned()), "{raw}");
        }
    }

    #[test]
    fn refuses_with_pydantics_types() {
        for raw in [
            "abc",
            "",
            "2026-13-01",
            "2026-01-01T25:00",
            "2026-01-01T10:00:00+2",
            "2026-02-30",
            "1e3",
            "2026-01-01T10",
            "2026-01-01T10:00:00ZZ",
            "99999999999999999999",
            "inf",
            "2026-01-01T10:00:60",
        ] {
            assert_eq!(read(raw), Err("datetime_from_date_parsing"), "{raw}");
        }
        assert_eq!(read("0000-01-01"), Err("datetime_parsing"));
    }
}
