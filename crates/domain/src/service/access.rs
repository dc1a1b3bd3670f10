use std::fmt;

use crate::caller::Caller;
use crate::errors::AdminError;
use crate::ids::{OrganizationId, UserId};
use crate::permission::Permission;
use crate::ports::{AdminAccess, Ports};
use crate::role::Role;

use super::admin::AdminService;

/// The query of an access check: the organization asked about, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessQuery {
    organization_id: String,
}

impl AccessQuery {
    /// Asks about the organization named `organization_id`. Any text is accepted: one that is
    /// not an organization id simply names no organization.
    pub fn new(organization_id: String) -> Self {
        Self { organization_id }
    }
}

/// The role an access check reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRole {
    /// The caller's own role in the organization.
    Member(Role),
    /// The caller is not a member but administers the platform.
    PlatformAdmin,
}

impl AccessRole {
    /// `owner`, `admin`, `member`, `viewer` or `platform_admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccessRole::Member(role) => role.as_str(),
            AccessRole::PlatformAdmin => "platform_admin",
        }
    }
}

impl fmt::Display for AccessRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to "may I administer this organization?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    /// Whether the caller administers the organization.
    pub has_access: bool,
    /// The caller.
    pub user_id: UserId,
    /// The organization asked about, echoed as given.
    pub organization_id: String,
    /// The caller's role there; `None` when neither a member nor a platform administrator.
    pub role: Option<AccessRole>,
}

impl<P: Ports> AdminService<P> {
    /// Whether the caller administers the organization: as its owner or admin, or as a
    /// platform administrator. An unknown organization answers exactly as one the caller is
    /// not a member of.
    pub async fn check_access(
        &self,
        caller: &Caller,
        query: &AccessQuery,
    ) -> Result<AccessDecision, AdminError> {
        caller.require(Permission::AccessCheck)?;
        let role = match query.organization_id.parse::<OrganizationId>() {
            Ok(organization) => self.access.role_in(caller.user_id(), organization).await?,
            Err(_) => None,
        };
        let platform_admin = caller.is_platform_admin();
        Ok(AccessDecision {
            has_access: role.is_some_and(Role::administers) || platform_admin,
            user_id: caller.user_id(),
            organization_id: query.organization_id.clone(),
            role: match role {
                Some(role) => Some(AccessRole::Member(role)),
                None if platform_admin => Some(AccessRole::PlatformAdmin),
                None => None,
            },
        })
    }

    /// Whether the organization the caller's token is scoped to is the platform organization
    /// (false for a token scoped to none).
    pub fn platform_status(&self, caller: &Caller) -> Result<bool, AdminError> {
        caller.require(Permission::PlatformStatus)?;
        Ok(caller.scoped_to_platform())
    }
}
