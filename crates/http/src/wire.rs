//! The contract's wire form of the domain's values where it has one of its own: timestamps
//! and a listing's order.

use admin_domain::{Order, Timestamp};
use time::macros::format_description;

/// `YYYY-MM-DDTHH:MM:SS.ffffff`: UTC, exactly six fractional digits, no zone.
pub fn timestamp(at: Timestamp) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]");
    at.to_datetime()
        .format(&format)
        .unwrap_or_else(|_| "0001-01-01T00:00:00.000000".to_owned())
}

/// `asc` or `desc`.
pub const fn order(order: Order) -> &'static str {
    match order {
        Order::Asc => "asc",
        Order::Desc => "desc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_exactly_six_fractional_digits_and_no_zone() {
        assert_eq!(
            timestamp(Timestamp::from_unix_micros(0)),
            "1970-01-01T00:00:00.000000"
        );
        assert_eq!(
            timestamp(Timestamp::from_unix_micros(1_764_300_000_123_456)),
            "2025-11-28T03:20:00.123456"
        );
    }

    #[test]
    fn the_bounds_format_as_the_first_and_last_instants_of_the_calendar() {
        assert_eq!(timestamp(Timestamp::MIN), "0001-01-01T00:00:00.000000");
        assert_eq!(timestamp(Timestamp::MAX), "9999-12-31T23:59:59.999999");
    }
}
