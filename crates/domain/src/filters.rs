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
}
