//! Permissions: `resource:action` strings, one per operation of the API.

use std::fmt;

/// An operation a caller may perform. Each endpoint's operation is its permission, and the
/// token is authorized with it as the Datalog fact `operation("...")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `access:check`: ask whether one administers an organization (any caller).
    AccessCheck,
    /// `platform:status`: ask whether one's token is scoped to the platform organization (any caller).
    PlatformStatus,
    /// `tokens:cleanup`: delete token records that can never authenticate again.
    TokensCleanup,
    /// `users:list`: list every user of the platform.
    UsersList,
    /// `organizations:list`: list every organization of the platform.
    OrganizationsList,
    /// `workspaces:list`: list every workspace of the platform.
    WorkspacesList,
    /// `tokens:list`: list a user's tokens.
    TokensList,
    /// `tokens:revoke`: revoke a token, or every token of a user.
    TokensRevoke,
    /// `audit:list`: read the audit trail.
    AuditList,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 9] = [
        Permission::AccessCheck,
        Permission::PlatformStatus,
        Permission::TokensCleanup,
        Permission::UsersList,
        Permission::OrganizationsList,
        Permission::WorkspacesList,
        Permission::TokensList,
        Permission::TokensRevoke,
        Permission::AuditList,
    ];

    /// The `resource:action` form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::AccessCheck => "access:check",
            Permission::PlatformStatus => "platform:status",
            Permission::TokensCleanup => "tokens:cleanup",
            Permission::UsersList => "users:list",
            Permission::OrganizationsList => "organizations:list",
            Permission::WorkspacesList => "workspaces:list",
            Permission::TokensList => "tokens:list",
            Permission::TokensRevoke => "tokens:revoke",
            Permission::AuditList => "audit:list",
        }
    }

    /// Whether only platform administrators hold this permission (the others any caller holds).
    pub const fn is_platform_only(self) -> bool {
        !matches!(self, Permission::AccessCheck | Permission::PlatformStatus)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_resource_action_strings() {
        let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "access:check",
                "platform:status",
                "tokens:cleanup",
                "users:list",
                "organizations:list",
                "workspaces:list",
                "tokens:list",
                "tokens:revoke",
                "audit:list"
            ]
        );
    }

    #[test]
    fn only_the_two_open_operations_are_for_everyone() {
        let open: Vec<Permission> = Permission::ALL
            .into_iter()
            .filter(|p| !p.is_platform_only())
            .collect();
        assert_eq!(open, [Permission::AccessCheck, Permission::PlatformStatus]);
    }
}
