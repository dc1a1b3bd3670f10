//! The kinds of parameter the endpoints declare, each read as pydantic v2 reads its type and
//! described by its schema.

use admin_domain::{Cursor, Limit, LimitError, Listing, ListingKind, Order};
use serde_json::json;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use uuid::Uuid;

use super::{Kind, Refusal};

fn too_small(ge: i64) -> Refusal {
    Refusal::new(
        "greater_than_equal",
        format!("Input should be greater than or equal to {ge}"),
        Some(json!({ "ge": ge })),
    )
}

fn too_large(le: i64) -> Refusal {
    Refusal::new(
        "less_than_equal",
        format!("Input should be less than or equal to {le}"),
        Some(json!({ "le": le })),
    )
}

/// pydantic's lax reading of an `int`: surrounding whitespace, a sign, a fraction of zeros
/// (`"7"`, `" +7 "`, `"7.00"`); values beyond `i64` saturate, so `"99999999999999999999"` is
/// a number too large rather than not a number.
fn integer(raw: &str) -> Result<i64, Refusal> {
    let refused = || {
        Refusal::new(
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
            None,
        )
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

/// A page size: an `int` within the domain's [`Limit`] bounds, read as pydantic reads an
/// integer ([`integer`]).
#[derive(Debug, Clone, Copy)]
pub struct PageSize;

impl Kind for PageSize {
    type Value = Limit;

    fn read(&self, raw: &str) -> Result<Limit, Refusal> {
        Limit::new(integer(raw)?).map_err(|error| match error {
            LimitError::TooSmall => too_small(Limit::MIN),
            LimitError::TooLarge => too_large(Limit::MAX),
        })
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(Limit::MIN as f64))
            .maximum(Some(Limit::MAX as f64))
            .build()
            .into()
    }

    /// As pydantic read it (`" +7 "` is `7`); a text that is no integer as it came.
    fn recorded(&self, raw: &str) -> String {
        integer(raw).map_or_else(|_| raw.to_owned(), |value| value.to_string())
    }
}

/// `bool`: `true/false`, `1/0`, `yes/no`, `on/off`, `t/f`, `y/n`, in any case, and nothing
/// around them (pydantic does not trim a boolean, though it trims an integer).
#[derive(Debug, Clone, Copy)]
pub struct Boolean;

impl Kind for Boolean {
    type Value = bool;

    fn read(&self, raw: &str) -> Result<bool, Refusal> {
        match raw.to_ascii_lowercase().as_str() {
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
            _ => Err(Refusal::new(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
                None,
            )),
        }
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .build()
            .into()
    }
}

/// `str`, any text at all.
#[derive(Debug, Clone, Copy)]
pub struct AnyText;

impl Kind for AnyText {
    type Value = String;

    fn read(&self, raw: &str) -> Result<String, Refusal> {
        Ok(raw.to_owned())
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .build()
            .into()
    }
}

/// `str` of `min..=max` characters (code points, as pydantic counts them).
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// The fewest characters.
    pub min: usize,
    /// The most characters.
    pub max: usize,
}

impl Kind for Text {
    type Value = String;

    fn read(&self, raw: &str) -> Result<String, Refusal> {
        let length = raw.chars().count();
        if length < self.min {
            let s = if self.min == 1 { "" } else { "s" };
            Err(Refusal::new(
                "string_too_short",
                format!("String should have at least {} character{s}", self.min),
                Some(json!({ "min_length": self.min })),
            ))
        } else if length > self.max {
            let s = if self.max == 1 { "" } else { "s" };
            Err(Refusal::new(
                "string_too_long",
                format!("String should have at most {} character{s}", self.max),
                Some(json!({ "max_length": self.max })),
            ))
        } else {
            Ok(raw.to_owned())
        }
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(self.min))
            .max_length(Some(self.max))
            .build()
            .into()
    }
}

/// `UUID`, read as pydantic reads one (hyphenated, simple, braced or `urn:uuid:`, any case),
/// and refused in its words (which are the `uuid` crate's), made into an id by `T`.
#[derive(Debug, Clone, Copy)]
pub struct Id<T>(pub fn(Uuid) -> T);

impl<T> Kind for Id<T> {
    type Value = T;

    fn read(&self, raw: &str) -> Result<T, Refusal> {
        Uuid::parse_str(raw).map(self.0).map_err(|error| {
            Refusal::new(
                "uuid_parsing",
                format!("Input should be a valid UUID, {error}"),
                Some(json!({ "error": error.to_string() })),
            )
        })
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".to_owned())))
            .build()
            .into()
    }
}

/// `Literal[...]`: one of `choices`, by the exact name `name` gives it.
#[derive(Debug, Clone, Copy)]
pub struct Choice<T: 'static> {
    /// The values allowed, in the order the refusal names them.
    pub choices: &'static [T],
    /// The name of each on the wire.
    pub name: fn(T) -> &'static str,
}

impl<T: Copy> Kind for Choice<T> {
    type Value = T;

    fn read(&self, raw: &str) -> Result<T, Refusal> {
        let name = self.name;
        self.choices
            .iter()
            .copied()
            .find(|choice| name(*choice) == raw)
            .ok_or_else(|| {
                let expected = expected(self.choices.iter().map(|choice| name(*choice)));
                Refusal::new(
                    "literal_error",
                    format!("Input should be {expected}"),
                    Some(json!({ "expected": expected })),
                )
            })
    }

    fn schema(&self) -> Schema {
        let name = self.name;
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(self.choices.iter().map(|choice| name(*choice))))
            .build()
            .into()
    }
}

/// pydantic's list of the literals expected: `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`.
fn expected<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|name| format!("'{name}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A listing's cursor: one this API issued for a listing of `kind` and, when they are known
/// (the path and `order` were valid), for exactly `listing` in exactly `order`.
#[derive(Debug, Clone, Copy)]
pub struct CursorOf {
    /// The kind of listing the cursor must be of (for a sub-listing, of any parent).
    pub kind: ListingKind,
    /// The listing it must continue.
    pub listing: Option<Listing>,
    /// The order it must continue.
    pub order: Option<Order>,
}

impl Kind for CursorOf {
    type Value = Cursor;

    fn read(&self, raw: &str) -> Result<Cursor, Refusal> {
        let continues = |cursor: &Cursor| {
            self.listing.is_none_or(|listing| cursor.listing == listing)
                && self.order.is_none_or(|order| cursor.order == order)
        };
        Cursor::decode(self.kind, raw)
            .filter(continues)
            .ok_or_else(|| {
                Refusal::new(
                    "value_error",
                    "Value error, invalid cursor",
                    Some(json!({ "error": "invalid cursor" })),
                )
            })
    }

    fn schema(&self) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(self.kind.cursor_pattern()))
            .build()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    fn kind_of(result: Result<i64, Refusal>) -> Option<&'static str> {
        result.err().map(|e| e.kind)
    }

    #[test]
    fn integers_are_read_leniently_like_pydantic() {
        assert_eq!(integer("7").ok(), Some(7));
        assert_eq!(integer(" +7 ").ok(), Some(7));
        assert_eq!(integer("-3").ok(), Some(-3));
        assert_eq!(integer("7.000").ok(), Some(7));
        assert_eq!(integer("99999999999999999999999").ok(), Some(i64::MAX));
        assert_eq!(integer("-99999999999999999999999").ok(), Some(-i64::MAX));
    }

    #[test]
    fn non_integers_are_refused() {
        for raw in ["", " ", "abc", "7.5", "1e3", "0x10", "+", "--1", "1_000"] {
            assert_eq!(kind_of(integer(raw)), Some("int_parsing"), "{raw:?}");
        }
    }

    #[test]
    fn booleans_accept_pydantic_spellings_only() {
        for raw in ["true", "TRUE", "1", "yes", "on", "t", "y"] {
            assert_eq!(Boolean.read(raw), Ok(true), "{raw}");
        }
        for raw in ["false", "0", "no", "off", "f", "N"] {
            assert_eq!(Boolean.read(raw), Ok(false), "{raw}");
        }
        for raw in ["maybe", "", " true", "true ", "\tfalse"] {
            assert_eq!(
                Boolean.read(raw).map_err(|e| e.kind),
                Err("bool_parsing"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_missing_required_parameter_has_no_input_and_every_refusal_is_kept() {
        struct Both;
        impl Parameters for Both {
            fn declare(declare: &mut impl Declare) -> Option<Self> {
                let id = declare.take(Param::required("organization_id", ""), AnyText);
                let limit = declare.take(Param::query("limit", ""), PageSize);
                let _ = (id?, limit);
                Some(Both)
            }
        }
        let raw = Raw {
            query: vec![("limit".to_owned(), "x".to_owned())],
            path: Vec::new(),
        };
        let refused = Both::read(&raw).err().unwrap_or_default();
        let summary: Vec<(&str, Option<&str>, &str)> = refused
            .iter()
            .map(|r| (r.name, r.input.as_deref(), r.refusal.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("organization_id", None, "missing"),
                ("limit", Some("x"), "int_parsing")
            ]
        );
    }

    #[test]
    fn the_last_value_of_a_repeated_parameter_counts() {
        let raw = Raw {
            query: vec![
                ("limit".to_owned(), "3".to_owned()),
                ("limit".to_owned(), "4".to_owned()),
            ],
            path: Vec::new(),
        };
        assert_eq!(raw.get(In::Query, "limit"), Some("4"));
        assert_eq!(raw.get(In::Path, "limit"), None);
    }
}
