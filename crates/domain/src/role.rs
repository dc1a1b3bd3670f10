//! Membership roles.

use std::fmt;
use std::str::FromStr;

use crate::errors::InvalidInput;

/// A user's role in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Owns the organization.
    Owner,
    /// Administers the organization.
    Admin,
    /// An ordinary member.
    Member,
    /// May look, not touch.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    /// The stored and wire form: `owner`, `admin`, `member` or `viewer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Owners and admins administer their organization.
    pub const fn administers(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl FromStr for Role {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| InvalidInput::new("role", "must be one of owner, admin, member, viewer"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_own_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("Owner".parse::<Role>().is_err());
    }

    #[test]
    fn only_owners_and_admins_administer() {
        let administering: Vec<Role> = Role::ALL.into_iter().filter(|r| r.administers()).collect();
        assert_eq!(administering, [Role::Owner, Role::Admin]);
    }
}
