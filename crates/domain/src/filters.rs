//! What a listing may be narrowed to: the filters of each, and text matched without regard to
//! case.

use crate::ids::OrganizationId;
use crate::role::Role;
use crate::timestamp::Timestamp;

/// Text matched without regard to case, kept lowercase (as emails are stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caseless(String);

impl Caseless {
    /// `text`, lowercased.
    pub fn new(text: &str) -> Self {
        Self(text.to_lowercase())
    }

    /// The lowercase text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The least text greater than every text that starts with this one, in the order of
    /// their code points (which is the order of their UTF-8 bytes): so the texts starting with
    /// `p` are exactly those in `p ..< p.prefix_end()`. `None` when there is no such text (a
    /// prefix made only of U+10FFFF): then every text from `p` on starts with it.
    pub fn prefix_end(&self) -> Option<String> {
        let mut chars: Vec<char> = self.0.chars().collect();
        while let Some(last) = chars.pop() {
            let next = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32);
            if let Some(next) = next {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
        }
        None
    }
}

/// The filters of the users listing, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// The email, exactly.
    pub email: Option<Caseless>,
    /// The start of the email.
    pub email_prefix: Option<Caseless>,
    /// Active, or deactivated.
    pub is_active: Option<bool>,
}

/// The filters of the organizations listing, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// The slug, exactly.
    pub slug: Option<Caseless>,
    /// The start of the name.
    pub name_prefix: Option<Caseless>,
    /// The platform organization, or every other.
    pub is_platform: Option<bool>,
}

/// The filters of the workspaces listing, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceFilter {
    /// The organization's workspaces only.
    pub organization_id: Option<OrganizationId>,
    /// The start of the name.
    pub name_prefix: Option<Caseless>,
}

/// The filter of a listing of memberships (an organization's members, a user's
/// organizations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleFilter {
    /// Members with this role only.
    pub role: Option<Role>,
}

/// What a token record is at a moment: revoked, else expired, else active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenState {
    /// It may still authenticate.
    Active,
    /// Past its expiry, never revoked.
    Expired,
    /// Revoked (whether or not past its expiry).
    Revoked,
}

impl TokenState {
    /// Every state, in the order listed above.
    pub const ALL: [TokenState; 3] = [TokenState::Active, TokenState::Expired, TokenState::Revoked];

    /// Its name: `active`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

/// The filter of a user's token listing, by state at `at` (the time of the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenFilter {
    /// Tokens in this state only.
    pub state: Option<TokenState>,
    /// The moment states are taken at.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caseless_text_is_lowercase() {
        assert_eq!(Caseless::new("Ada@Example.COM").as_str(), "ada@example.com");
        assert_eq!(Caseless::new("ÜBER").as_str(), "über");
    }

    #[test]
    fn a_prefix_ends_just_after_every_text_it_starts() {
        let end = |p: &str| Caseless::new(p).prefix_end();
        assert_eq!(end("ab").as_deref(), Some("ac"));
        assert_eq!(end("a%").as_deref(), Some("a&"));
        assert_eq!(end("a\\").as_deref(), Some("a]"));
        assert_eq!(
            end("z\u{D7FF}").as_deref(),
            Some("z\u{E000}"),
            "surrogates are skipped"
        );
        assert_eq!(end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(end("\u{10FFFF}"), None);
        for text in ["ab", "abz", "ab\u{10FFFF}x", "abé"] {
            let (start, end) = ("ab", end("ab").unwrap_or_default());
            assert!(start <= text && text < end.as_str(), "{text}");
        }
        assert!("ac" >= end("ab").unwrap_or_default().as_str());
    }
}
