//! Parsed input for the commands that create things: every value of these types is valid.

use std::fmt;
use std::time::Duration;

use validator::ValidateEmail;

use crate::errors::InvalidInput;

/// A lowercase email address of at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Accepts an address `validator` considers valid; stores it lowercase so that addresses
    /// differing only in case are the same user.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        if text.len() <= 254 && text.validate_email() {
            Ok(Self(text.to_lowercase()))
        } else {
            Err(InvalidInput::new(
                "email",
                format!("{text:?} is not an email address"),
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1 to 200 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// The longest name accepted, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims `text` and accepts it if it is not empty, not too long and printable.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidInput::new("name", "must not be empty"));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput::new("name", "must be at most 200 characters"));
        }
        if text.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL-safe name: 1 to 63 of `a-z`, `0-9` and `-`, neither starting nor ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted.
    pub const MAX_LEN: usize = 63;

    /// Accepts a slug as given.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && !text.starts_with('-')
            && !text.ends_with('-')
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidInput::new(
                "slug",
                format!(
                    "{text:?} must be 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'"
                ),
            ))
        }
    }

    /// Derives a slug from a name: lowercase ASCII letters and digits, every other run of
    /// characters one `-`.
    pub fn from_name(name: &Name) -> Result<Self, InvalidInput> {
        let mut slug = String::new();
        for c in name.as_str().chars().map(|c| c.to_ascii_lowercase()) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        slug.truncate(Self::MAX_LEN);
        Self::parse(slug.trim_end_matches('-'))
            .map_err(|_| InvalidInput::new("slug", "cannot be derived from this name"))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a token lives: a positive whole number of `s`, `m`, `h` or `d`, at most 365 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(Duration);

impl Ttl {
    /// The longest lifetime accepted.
    pub const MAX: Duration = Duration::from_secs(365 * 86_400);

    /// Reads `30s`, `15m`, `12h`, `7d` and the like: positive, at most 365 days.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let duration = parse_duration("ttl", text)?;
        if duration.is_zero() || duration > Self::MAX {
            return Err(InvalidInput::new(
                "ttl",
                format!("{text:?} must be positive and at most 365d"),
            ));
        }
        Ok(Self(duration))
    }

    /// The lifetime.
    pub fn duration(self) -> Duration {
        self.0
    }
}

/// Reads a duration written as a whole number and a unit: `ms`, `s`, `m`, `h` or `d`
/// (`500ms`, `0s`, `15m`, `12h`, `7d`). `field` names it in the error.
pub fn parse_duration(field: &'static str, text: &str) -> Result<Duration, InvalidInput> {
    let refused = || {
        InvalidInput::new(
            field,
            format!(
                "{text:?} must be a whole number with ms, s, m, h or d (like 30s, 15m, 12h, 7d)"
            ),
        )
    };
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(refused()),
    };
    let count: u64 = number.parse().map_err(|_| refused())?;
    count
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(refused)
}

/// How much synthetic data `seed` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedPlan {
    /// Users, each a member of one organization (when there are organizations).
    pub users: usize,
    /// Organizations.
    pub organizations: usize,
    /// Workspaces, spread over the organizations.
    pub workspaces: usize,
    /// Token records that expired a day ago, spread over the users.
    pub expired_tokens: usize,
}

impl SeedPlan {
    /// The most rows of one kind one seed creates.
    pub const MAX_ROWS: usize = 10_000_000;

    /// Checks the plan is within bounds and consistent.
    pub fn validate(self) -> Result<Self, InvalidInput> {
        let counts = [
            self.users,
            self.organizations,
            self.workspaces,
            self.expired_tokens,
        ];
        if counts.iter().any(|&n| n > Self::MAX_ROWS) {
            return Err(InvalidInput::new(
                "seed",
                "creates at most 10000000 rows of each kind",
            ));
        }
        if self.workspaces > 0 && self.organizations == 0 {
            return Err(InvalidInput::new(
                "seed",
                "workspaces need at least one organization",
            ));
        }
        if self.expired_tokens > 0 && self.users == 0 {
            return Err(InvalidInput::new(
                "seed",
                "expired tokens need at least one user",
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_validated_and_lowercased() {
        assert_eq!(
            Email::parse("Ada@Example.COM").map(|e| e.0),
            Ok("ada@example.com".to_owned())
        );
        for bad in ["", "ada", "ada@", "@example.com", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(Name::parse("  Acme  ").map(|n| n.0), Ok("Acme".to_owned()));
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse("a\u{0}b").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn slugs_are_url_safe() {
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["", "-acme", "acme-", "Acme", "ac me", &"a".repeat(64)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_derive_from_names() {
        let slug = |name: &str| {
            Name::parse(name)
                .and_then(|n| Slug::from_name(&n))
                .map(|s| s.0)
        };
        assert_eq!(slug("Acme Corp, Inc."), Ok("acme-corp-inc".to_owned()));
        assert_eq!(slug("  Über Gmbh "), Ok("ber-gmbh".to_owned()));
        assert!(slug("日本").is_err());
    }

    #[test]
    fn ttls_take_a_unit_and_stay_bounded() {
        assert_eq!(
            Ttl::parse("30s").map(Ttl::duration),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            Ttl::parse("15m").map(Ttl::duration),
            Ok(Duration::from_secs(900))
        );
        assert_eq!(
            Ttl::parse("12h").map(Ttl::duration),
            Ok(Duration::from_secs(43_200))
        );
        assert_eq!(
            Ttl::parse("7d").map(Ttl::duration),
            Ok(Duration::from_secs(604_800))
        );
        for bad in [
            "",
            "s",
            "0s",
            "15",
            "15x",
            "-1m",
            "1.5h",
            "366d",
            "99999999999999999999d",
            "1é",
        ] {
            assert!(Ttl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_a_whole_number_and_a_unit() {
        assert_eq!(parse_duration("retention", "0s"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration("grace", "500ms"),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            parse_duration("retention", "7d"),
            Ok(Duration::from_secs(604_800))
        );
        for bad in ["", "7", "d", " 7d", "7 d", "7D", "-7d", "7.5h", "1y"] {
            assert!(parse_duration("retention", bad).is_err(), "{bad}");
        }
        let error = parse_duration("ADMIN_API_TOKEN_RETENTION", "x")
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("ADMIN_API_TOKEN_RETENTION \"x\" must be")));
    }

    #[test]
    fn seed_plans_are_bounded() {
        assert!(
            SeedPlan {
                users: 10,
                organizations: 1,
                workspaces: 3,
                expired_tokens: 2
            }
            .validate()
            .is_ok()
        );
        assert!(
            SeedPlan {
                workspaces: 1,
                ..SeedPlan::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            SeedPlan {
                users: SeedPlan::MAX_ROWS + 1,
                ..SeedPlan::default()
            }
            .validate()
            .is_err()
        );
    }
}
