//! The authenticated caller, and the facts about it read fresh on every request.

use crate::audit::{Actor, Origin};
use crate::entities::TokenRecord;
use crate::errors::{AdminError, AuthFailure};
use crate::ids::{TokenId, UserId};
use crate::permission::Permission;
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::token::VerifiedToken;

/// What the admin access port reads about the holder of a token, in one round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerRecord {
    /// The token's record.
    pub token: TokenRecord,
    /// Whether the token's user is active.
    pub user_active: bool,
    /// The user's role in the platform organization, if it is a member there.
    pub platform_role: Option<Role>,
    /// Whether the organization the token is scoped to is the platform organization.
    pub scoped_to_platform: bool,
}

impl CallerRecord {
    /// Checks that this record is the one of `verified` and lets it authenticate at `now`.
    pub fn admits(&self, verified: &VerifiedToken, now: Timestamp) -> Result<(), AuthFailure> {
        let token = &self.token;
        if token.id != verified.token_id
            || token.user_id != verified.user_id
            || token.organization_id != verified.organization_id
        {
            return Err(AuthFailure::Unknown);
        }
        if token.revoked_at.is_some() {
            return Err(AuthFailure::Revoked);
        }
        if !token.can_authenticate(now) {
            return Err(AuthFailure::Expired);
        }
        if !self.user_active {
            return Err(AuthFailure::InactiveUser);
        }
        Ok(())
    }
}

/// A caller whose token was verified and whose record admits it.
///
/// Only [`crate::AdminService::authenticate`] makes one, so holding a `Caller` means the
/// token was checked on this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    user_id: UserId,
    token_id: TokenId,
    platform_role: Option<Role>,
    scoped_to_platform: bool,
    request_id: String,
}

impl Caller {
    pub(crate) fn from_record(record: &CallerRecord) -> Self {
        Self {
            user_id: record.token.user_id,
            token_id: record.token.id,
            platform_role: record.platform_role,
            scoped_to_platform: record.scoped_to_platform,
            request_id: String::new(),
        }
    }

    /// The same caller, on the request with this id (its `X-Request-Id`), which the events
    /// it causes carry.
    pub fn on_request(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// The caller's user id.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// Where the caller's actions come from, for the audit trail.
    pub fn origin(&self) -> Origin {
        Origin::Api {
            actor: Actor {
                user_id: self.user_id,
                token_id: self.token_id,
            },
            request_id: self.request_id.clone(),
        }
    }

    /// Whether the caller's token is scoped to the platform organization.
    pub fn scoped_to_platform(&self) -> bool {
        self.scoped_to_platform
    }

    /// A platform administrator is an `owner` or `admin` of the platform organization.
    pub fn is_platform_admin(&self) -> bool {
        self.platform_role.is_some_and(Role::administers)
    }

    /// Platform administrators hold every permission; everyone else only the open ones.
    pub fn holds(&self, permission: Permission) -> bool {
        !permission.is_platform_only() || self.is_platform_admin()
    }

    /// [`AdminError::Forbidden`] naming `permission` unless the caller holds it.
    pub fn require(&self, permission: Permission) -> Result<(), AdminError> {
        if self.holds(permission) {
            Ok(())
        } else {
            Err(AdminError::Forbidden(permission))
        }
    }
}
