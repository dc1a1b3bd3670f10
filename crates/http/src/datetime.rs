//! `datetime` as pydantic v2 reads a query parameter, with the parser pydantic-core reads it
//! with (speedate): an RFC 3339 date-time (`T`, `t`, `_` or a space between date and time;
//! seconds and fractional digits optional, digits past six dropped; `Z` or `±HH:MM`, none
//! meaning UTC here), a number of seconds since the epoch (of milliseconds beyond 2×10¹⁰), else
//! a bare date (its midnight). What it refuses has pydantic's `type` and message:
//! `datetime_from_date_parsing` with the date parser's error for text that is neither,
//! `datetime_parsing` for one Python cannot hold (year 0) or this service cannot (an instant
//! past 9999 once in UTC).

use admin_domain::Timestamp;
use serde_json::json;
use speedate::{
    Date as ParsedDate, DateTime as ParsedDateTime, DateTimeConfig,
    MicrosecondsPrecisionOverflowBehavior, ParseError, TimeConfig,
};
use strum::EnumMessage;
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};

use crate::params::{Kind, Refusal};

/// `datetime`.
#[derive(Debug, Clone, Copy)]
pub struct DateTime;

impl Kind for DateTime {
    type Value = Timestamp;

    /// As pydantic-core's lax `datetime`: a date-time (or a number), else a date's midnight.
    fn read(&self, raw: &str) -> Result<Timestamp, Refusal> {
        let config = DateTimeConfig {
            time_config: TimeConfig {
                microseconds_precision_overflow_behavior:
                    MicrosecondsPrecisionOverflowBehavior::Truncate,
                unix_timestamp_offset: Some(0),
            },
            ..DateTimeConfig::default()
        };
        match ParsedDateTime::parse_bytes_with_config(raw.as_bytes(), &config) {
            Ok(parsed) => {
                let time = &parsed.time;
                at(
                    &parsed.date,
                    (time.hour, time.minute, time.second, time.microsecond),
                    time.tz_offset.unwrap_or(0),
                )
            }
            Err(_) => match ParsedDate::parse_bytes(raw.as_bytes()) {
                Ok(date) => at(&date, (0, 0, 0, 0), 0),
                Err(error) => Err(neither(error)),
            },
        }
    }

    fn recorded(&self, raw: &str) -> String {
        self.read(raw)
            .map_or_else(|_| raw.to_owned(), |instant| instant.to_string())
    }

    /// What pydantic accepts, each part with its format, so that schema-valid text (an empty
    /// string, say) is never refused: a date-time, a date, or a number. The number's bounds
    /// hold every number accepted: seconds, or milliseconds beyond 2×10¹⁰; but a number written
    /// with a fraction or an exponent is divided by 1,000 once more past 2×10¹⁰ (speedate's
    /// float path, which pydantic answers with: `6.042149463502189e+16` is in the year 3884), so
    /// the bounds are those of that path, and a plain integer within them may still be refused.
    fn schema(&self) -> Schema {
        let text = |format: KnownFormat| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        let number = ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(FLOAT_MIN))
            .maximum(Some(FLOAT_MAX));
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

/// The least number accepted: the first microsecond of year 1 in the float path's units.
const FLOAT_MIN: f64 = -62_135_596_800_000_000.0;

/// The largest number accepted: the last second speedate takes in milliseconds, 9999-12-31
/// 23:59:59, in the float path's units.
const FLOAT_MAX: f64 = 253_402_300_799_000_000.0;

/// The instant of `date` at `time` (hour, minute, second, microsecond), `offset` seconds east
/// of UTC, if Python and the service can hold it.
fn at(date: &ParsedDate, time: (u8, u8, u8, u32), offset: i32) -> Result<Timestamp, Refusal> {
    if date.year == 0 {
        return Err(out_of_range("year 0 is out of range"));
    }
    let (hour, minute, second, micros) = time;
    let unheld = || out_of_range("year is out of range");
    let date = Month::try_from(date.month)
        .ok()
        .and_then(|month| Date::from_calendar_date(i32::from(date.year), month, date.day).ok())
        .ok_or_else(unheld)?;
    let time = Time::from_hms_micro(hour, minute, second, micros).map_err(|_| unheld())?;
    let offset = UtcOffset::from_whole_seconds(offset).map_err(|_| unheld())?;
    let instant =
        Timestamp::from_datetime(PrimitiveDateTime::new(date, time).assume_offset(offset));
    if instant < Timestamp::MIN || instant > Timestamp::MAX {
        return Err(unheld());
    }
    Ok(instant)
}

/// Neither a date-time nor a date: the date parser's error, as pydantic reports it.
fn neither(error: ParseError) -> Refusal {
    let error = error.get_documentation().unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Result<String, &'static str> {
        DateTime
            .read(raw)
            .map(|at| at.to_string())
            .map_err(|r| r.kind)
    }

    /// Every number past the schema's bounds is refused, in either form (found by schemathesis:
    /// `6.042149463502189e+16`, past bounds that counted milliseconds, was accepted).
    #[test]
    fn numbers_past_the_schemas_bounds_are_refused() {
        for raw in [
            format!("{}", FLOAT_MAX + 1_000_000.0),
            format!("{:e}", FLOAT_MAX * 1.000001),
            format!("{}", FLOAT_MIN - 1_000_000.0),
            format!("{:e}", FLOAT_MIN * 1.000001),
            "1e300".to_owned(),
            "-1e300".to_owned(),
        ] {
            assert!(read(&raw).is_err(), "{raw}");
        }
        assert!(read(&format!("{:e}", FLOAT_MAX)).is_ok());
        assert!(read(&format!("{:e}", FLOAT_MIN)).is_ok());
    }

    /// The schema's number bounds hold at the edge: milliseconds at year 10000 are refused
    /// (as pydantic does: "dates after 9999 are not supported as unix timestamps"), the last
    /// millisecond of 9999 is not (found by schemathesis: f64 rounded the largest instant up
    /// to the first one past it).
    #[test]
    fn a_number_just_past_the_largest_instant_is_out_of_range() {
        assert_eq!(read("253402300800000"), Err("datetime_from_date_parsing"));
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

    /// What pydantic 2.13.4 (pydantic-core 2.46.4) answers for each text, read with
    /// `TypeAdapter(datetime).validate_python(text)` (aware results in UTC): the value, or the
    /// error's type and message.
    #[test]
    fn answers_as_pydantic_does() {
        /// The instant as the contract writes it, or the error's type and message.
        type Answer = Result<&'static str, (&'static str, &'static str)>;
        let cases: &[(&str, Answer)] = &[
            ("6.042149463502189e+16", Ok("3884-09-05T20:30:35.911625")),
            ("2.53402300799e17", Ok("9999-12-31T23:59:59.000000")),
            ("-6.2135596800000001e16", Ok("0001-01-01T00:00:00.000000")),
            (
                "2.534023007999999e17",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, invalid character in year",
                )),
            ),
            (
                "-6.2135596801e16",
                Err((
                    "datetime_parsing",
                    "Input should be a valid datetime, year 0 is out of range",
                )),
            ),
            (
                "2.54e17",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            ("2026-01-01", Ok("2026-01-01T00:00:00.000000")),
            ("2026-01-01T10:00", Ok("2026-01-01T10:00:00.000000")),
            ("2026-01-01T10:00:00Z", Ok("2026-01-01T10:00:00.000000")),
            (
                "2026-01-01 10:00:00+05:00",
                Ok("2026-01-01T05:00:00.000000"),
            ),
            ("2026-01-01t10:00:00", Ok("2026-01-01T10:00:00.000000")),
            ("2026-01-01_10:00:00", Ok("2026-01-01T10:00:00.000000")),
            (
                "2026-01-01T10:00:00.1234567",
                Ok("2026-01-01T10:00:00.123456"),
            ),
            (
                "2026-01-01T10:00:00.5+01:30",
                Ok("2026-01-01T08:30:00.500000"),
            ),
            ("1700000000", Ok("2023-11-14T22:13:20.000000")),
            ("1700000000000", Ok("2023-11-14T22:13:20.000000")),
            ("20260101", Ok("1970-08-23T11:48:21.000000")),
            ("-1", Ok("1969-12-31T23:59:59.000000")),
            ("1.5", Ok("1970-01-01T00:00:01.500000")),
            (
                "abc",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            (
                "",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            (
                "2026-13-01",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, month value is outside expected range of 1-12",
                )),
            ),
            (
                "2026-01-01T25:00",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "2026-01-01T10:00:00+2",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "2026-02-30",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, day value is outside expected range",
                )),
            ),
            (
                "1e3",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            (
                "2026-01-01T10",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "2026-01-01T10:00:00ZZ",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "99999999999999999999",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, invalid date separator, expected `-`",
                )),
            ),
            (
                "inf",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            (
                "2026-01-01T10:00:60",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "0000-01-01",
                Err((
                    "datetime_parsing",
                    "Input should be a valid datetime, year 0 is out of range",
                )),
            ),
            (
                "253402300800000",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, dates after 9999 are not supported as unix timestamps",
                )),
            ),
            ("253402300799999", Ok("9999-12-31T23:59:59.999000")),
            ("1700000000.1234567", Ok("2023-11-14T22:13:20.123457")),
            (
                "  2026-01-01",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, invalid character in year",
                )),
            ),
            (
                "2026-01-01T10:00:00.999999999",
                Ok("2026-01-01T10:00:00.999999"),
            ),
            ("-62135596800000", Ok("0001-01-01T00:00:00.000000")),
            ("-62135596801", Ok("1968-01-12T20:06:43.199000")),
            ("2026-01-01T10:00:00,5", Ok("2026-01-01T10:00:00.500000")),
            ("2026-01-01T10:00:00+0530", Ok("2026-01-01T04:30:00.000000")),
            (
                "2026-01-01T10:00:00-23:59",
                Ok("2026-01-02T09:59:00.000000"),
            ),
            (
                "2026-01-01T10:00:00+24:00",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            (
                "2026-1-01",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
            (
                "20260101T100000",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, invalid date separator, expected `-`",
                )),
            ),
            (
                "2026-01-01T10:00:00.",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, unexpected extra characters at the end of the input",
                )),
            ),
            ("+1", Ok("1970-01-01T00:00:01.000000")),
            ("1.", Ok("1970-01-01T00:00:01.000000")),
            (".5", Ok("1970-01-01T00:00:00.500000")),
            ("0", Ok("1970-01-01T00:00:00.000000")),
            ("2026-01-01T10:00Z", Ok("2026-01-01T10:00:00.000000")),
            (
                "nan",
                Err((
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date, input is too short",
                )),
            ),
        ];
        for (raw, expected) in cases {
            let got = DateTime.read(raw);
            match (expected, got) {
                (Ok(at), Ok(got)) => assert_eq!(got.to_string(), *at, "{raw:?}"),
                (Err((kind, msg)), Err(got)) => {
                    assert_eq!((got.kind, got.msg.as_ref()), (*kind, *msg), "{raw:?}")
                }
                (expected, got) => panic!("{raw:?}: {expected:?}, got {got:?}"),
            }
        }
    }
}
