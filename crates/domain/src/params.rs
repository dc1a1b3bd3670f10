//! Query parameters read the way the service this API replaces read them (pydantic's lax
//! mode), so clients see the same acceptances and the same refusals.

use crate::errors::{FieldError, FieldErrorKind};

/// An integer parameter's value, or why it is not one.
///
/// Accepts surrounding whitespace, a sign, and a fraction of zeros (`"7"`, `" +7 "`, `"7.00"`);
/// values beyond `i64` saturate, so `"99999999999999999999"` is a number too large rather
/// than not a number.
pub fn integer(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    let refused = || FieldError {
        field,
        input: Some(raw.to_owned()),
        kind: FieldErrorKind::NotAnInteger,
    };
    let text = raw.trim();
    let text = match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err(refused()),
        None => text,
    };
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let magnitude = digits.bytes().fold(0i64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'))
    });
    Ok(if negative { -magnitude } else { magnitude })
}

/// A boolean parameter's value, or why it is not one: `true/false`, `1/0`, `yes/no`, `on/off`,
/// `t/f`, `y/n`, in any case.
pub fn boolean(field: &'static str, raw: &str) -> Result<bool, FieldError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
        _ => Err(FieldError {
            field,
            input: Some(raw.to_owned()),
            kind: FieldErrorKind::NotABoolean,
        }),
    }
}

/// The value of a required parameter, or [`FieldErrorKind::Missing`].
pub fn required<'a>(field: &'static str, raw: Option<&'a str>) -> Result<&'a str, FieldError> {
    raw.ok_or(FieldError {
        field,
        input: None,
        kind: FieldErrorKind::Missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(result: Result<i64, FieldError>) -> Option<FieldErrorKind> {
        result.err().map(|e| e.kind)
    }

    #[test]
    fn integers_are_read_leniently_like_pydantic() {
        assert_eq!(integer("limit", "7").ok(), Some(7));
        assert_eq!(integer("limit", " +7 ").ok(), Some(7));
        assert_eq!(integer("limit", "-3").ok(), Some(-3));
        assert_eq!(integer("limit", "7.000").ok(), Some(7));
        assert_eq!(
            integer("limit", "99999999999999999999999").ok(),
            Some(i64::MAX)
        );
        assert_eq!(
            integer("limit", "-99999999999999999999999").ok(),
            Some(-i64::MAX)
        );
    }

    #[test]
    fn non_integers_are_refused_with_their_raw_input() {
        for raw in ["", " ", "abc", "7.5", "1e3", "0x10", "+", "--1", "1_000"] {
            assert_eq!(
                kind_of(integer("limit", raw)),
                Some(FieldErrorKind::NotAnInteger),
                "{raw:?}"
            );
        }
        let error = integer("limit", " x ").err();
        assert_eq!(error.and_then(|e| e.input).as_deref(), Some(" x "));
    }

    #[test]
    fn booleans_accept_pydantic_spellings_only() {
        for raw in ["true", "TRUE", "1", "yes", "on", "t", "y"] {
            assert_eq!(boolean("dry_run", raw).ok(), Some(true), "{raw}");
        }
        for raw in ["false", "0", "no", "off", "f", "N"] {
            assert_eq!(boolean("dry_run", raw).ok(), Some(false), "{raw}");
        }
        assert_eq!(
            boolean("dry_run", "maybe").err().map(|e| e.kind),
            Some(FieldErrorKind::NotABoolean)
        );
    }

    #[test]
    fn a_missing_required_parameter_has_no_input() {
        let error = required("organization_id", None).err();
        assert_eq!(
            error,
            Some(FieldError {
                field: "organization_id",
                input: None,
                kind: FieldErrorKind::Missing
            })
        );
    }
}
