//! A token holder described by the facts the rules look at, presented to the mocked ports.

use std::time::Duration;

pub use admin_domain::mocks::{World, ready};
use admin_domain::*;

/// Everything about a token holder that authentication reads.
#[derive(Debug, Clone)]
pub struct Holder {
    pub user_id: UserId,
    pub organization_id: Option<OrganizationId>,
    pub platform_role: Option<Role>,
    pub scoped_to_platform: bool,
    pub user_active: bool,
    pub revoked: bool,
    pub expires_in: Duration,
    pub expired: bool,
    pub allows_operation: bool,
}

impl Holder {
    /// An active user with a valid, unscoped token and no platform role.
    pub fn new() -> Self {
        Self {
            user_id: UserId::generate(),
            organization_id: None,
            platform_role: None,
            scoped_to_platform: false,
            user_active: true,
            revoked: false,
            expires_in: Duration::from_secs(900),
            expired: false,
            allows_operation: true,
        }
    }

    pub fn platform(role: Role) -> Self {
        Self {
            platform_role: Some(role),
            ..Self::new()
        }
    }

    pub fn revocation_id() -> RevocationId {
        RevocationId::parse("ab12").expect("hex")
    }

    /// What verifying this holder's token reports.
    pub fn verified(&self) -> VerifiedToken {
        VerifiedToken {
            token_id: TokenId::generate(),
            user_id: self.user_id,
            organization_id: self.organization_id,
            revocation_id: Self::revocation_id(),
        }
    }

    /// The record of a verified token of this holder's.
    pub fn record(&self, verified: &VerifiedToken) -> CallerRecord {
        let expires_at = if self.expired {
            Timestamp::now().saturating_sub(Duration::from_secs(1))
        } else {
            Timestamp::now().saturating_add(self.expires_in)
        };
        CallerRecord {
            token: TokenRecord {
                id: verified.token_id,
                user_id: verified.user_id,
                organization_id: verified.organization_id,
                revocation_id: Self::revocation_id(),
                issued_at: Timestamp::now().saturating_sub(Duration::from_secs(60)),
                expires_at,
                revoked_at: self.revoked.then(Timestamp::now),
            },
            user_active: self.user_active,
            platform_role: self.platform_role,
            scoped_to_platform: self.scoped_to_platform,
        }
    }

    /// Expects one verification of this holder's token and one read of its record; its own
    /// checks are left to expect (see [`Holder::authenticate`]).
    pub fn present_to(&self, world: &mut World) {
        let verified = self.verified();
        let record = self.record(&verified);
        world
            .authority
            .expect_verify()
            .times(1)
            .returning(move |_| ready(Ok(verified.clone())));
        world
            .access
            .expect_caller()
            .withf(|id| *id == Holder::revocation_id())
            .times(1)
            .returning(move |_| ready(Ok(Some(record.clone()))));
    }

    /// Authenticates this holder for `operation` against a fresh world, its own checks
    /// answering `allows_operation` (if they are asked at all).
    pub async fn authenticate(&self, operation: Permission) -> Result<Caller, AdminError> {
        let mut world = World::default();
        self.present_to(&mut world);
        let allows = self.allows_operation;
        world
            .authority
            .expect_authorize()
            .times(0..=1)
            .returning(move |_, _, _| ready(Ok(allows)));
        world.service().authenticate(&token(), operation).await
    }

    /// The caller this holder authenticates as, for an open operation.
    pub async fn caller(&self) -> Caller {
        self.authenticate(Permission::AccessCheck)
            .await
            .expect("the holder authenticates")
    }
}

/// Any well-formed bearer token: the mocked authority decides what it says.
pub fn token() -> BearerToken {
    BearerToken::parse("En0KEwoEdXNlchgDIgkKBwgKEgMYgAg").expect("well formed")
}

pub fn forbidden(permission: Permission) -> impl Fn(&Result<Caller, AdminError>) -> bool {
    move |outcome| matches!(outcome, Err(AdminError::Forbidden(p)) if *p == permission)
}

pub fn unauthenticated(failure: AuthFailure) -> impl Fn(&Result<Caller, AdminError>) -> bool {
    move |outcome| matches!(outcome, Err(AdminError::Unauthenticated(f)) if *f == failure)
}
