//! What the platform is made of, as the listings and the token store report it.

use crate::filters::TokenState;
use crate::ids::{OrganizationId, RevocationId, TokenId, UserId, WorkspaceId};
use crate::inputs::{Email, Name, Slug};
use crate::role::Role;
use crate::timestamp::Timestamp;

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its email address, lowercase.
    pub email: Email,
    /// The name it goes by, if it gave one.
    pub display_name: Option<Name>,
    /// Whether it may sign in; a deactivated user's tokens do not authenticate.
    pub is_active: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An organization: a tenant of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its id.
    pub id: OrganizationId,
    /// Its display name.
    pub name: Name,
    /// Its unique URL-safe name.
    pub slug: Slug,
    /// Whether it is the platform organization (at most one is).
    pub is_platform: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An organization with the sizes the platform listing reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationSummary {
    /// The organization.
    pub organization: Organization,
    /// How many memberships it has.
    pub member_count: u64,
    /// How many workspaces it has.
    pub workspace_count: u64,
}

/// A workspace, which belongs to exactly one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Its id.
    pub id: WorkspaceId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// Its display name.
    pub name: Name,
    /// Its URL-safe name, unique within its organization.
    pub slug: Slug,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A user's membership in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The member.
    pub user_id: UserId,
    /// The organization.
    pub organization_id: OrganizationId,
    /// The member's role there.
    pub role: Role,
    /// When the user joined, for a membership being added (one that exists keeps its own).
    pub joined_at: Timestamp,
}

/// A member of an organization, as its members are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Their email address.
    pub email: Email,
    /// The name they go by, if they gave one.
    pub display_name: Option<Name>,
    /// Its role in the organization.
    pub role: Role,
    /// When it joined (a role change keeps it).
    pub joined_at: Timestamp,
}

/// An organization a user belongs to, as its memberships are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationMembership {
    /// The organization.
    pub organization: Organization,
    /// The user's role there.
    pub role: Role,
    /// When the user joined (a role change keeps it).
    pub joined_at: Timestamp,
}

/// The record kept for every token issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id (also carried in the token as `token_id`).
    pub id: TokenId,
    /// The user the token authenticates.
    pub user_id: UserId,
    /// The organization the token is scoped to, if any.
    pub organization_id: Option<OrganizationId>,
    /// The revocation id of the token's authority block.
    pub revocation_id: RevocationId,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it stops authenticating.
    pub expires_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl TokenRecord {
    /// What the record is at `now`: revoked, else expired, else active.
    pub fn state(&self, now: Timestamp) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if now < self.expires_at {
            TokenState::Active
        } else {
            TokenState::Expired
        }
    }

    /// Whether a token with this record may still authenticate at `now`.
    pub fn can_authenticate(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// What revoking a token record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// When the record was revoked: now, or the first time if it already was.
    pub revoked_at: Timestamp,
    /// Whether it was revoked before this call.
    pub already_revoked: bool,
}

/// What revoking every token of a user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRevocation {
    /// How many tokens it revoked.
    pub revoked_count: u64,
    /// When it revoked them (also when it revoked none).
    pub revoked_at: Timestamp,
}
