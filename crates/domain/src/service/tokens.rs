//! Issuing and revoking tokens: the operator's token commands (`via: cli`), and revoking
//! over the API.

use crate::audit::{Action, AuditEntry, Details, Origin, Target};
use crate::caller::Caller;
use crate::entities::{Revocation, TokenRecord, UserRevocation};
use crate::errors::{AdminError, Missing};
use crate::ids::{OrganizationId, TokenId, UserId};
use crate::inputs::Ttl;
use crate::permission::Permission;
use crate::ports::{AdminAccess, Ports, TokenAuthority, TokenStore};
use crate::timestamp::Timestamp;
use crate::token::{BearerToken, IssuedToken, TokenClaims};

use super::admin::AdminService;
use super::provisioning::{require_organization, require_user};

impl<P: Ports> AdminService<P> {
    /// Signs a token for the user, optionally scoped to an organization it is a member of
    /// (else [`AdminError::NotAMember`]), living `ttl`, and records it. The expiry is whole
    /// seconds, as Biscuit dates are.
    pub async fn issue_token(
        &self,
        user_id: UserId,
        organization_id: Option<OrganizationId>,
        ttl: Ttl,
    ) -> Result<IssuedToken, AdminError> {
        require_user(&self.directory, user_id).await?;
        if let Some(organization_id) = organization_id {
            require_organization(&self.directory, organization_id).await?;
            if self
                .access
                .role_in(user_id, organization_id)
                .await?
                .is_none()
            {
                return Err(AdminError::NotAMember);
            }
        }
        let issued_at = Timestamp::now();
        let claims = TokenClaims {
            token_id: TokenId::generate(),
            user_id,
            organization_id,
            expires_at: issued_at
                .saturating_add(ttl.duration())
                .truncated_to_seconds(),
        };
        let issued = self
            .authority
            .issue(&claims)
            .map_err(AdminError::Internal)?;
        let record = TokenRecord {
            id: claims.token_id,
            user_id,
            organization_id,
            revocation_id: issued.revocation_id.clone(),
            issued_at,
            expires_at: claims.expires_at,
            revoked_at: None,
        };
        let event = AuditEntry::new(
            &Origin::Cli,
            Action::TokenIssue,
            Some(Target::token(record.id)),
            Details::new()
                .with("user_id", Some(user_id))
                .with("organization_id", organization_id)
                .with("expires_at", Some(record.expires_at)),
        );
        self.tokens.record(&[record], &[event]).await?;
        Ok(issued)
    }

    /// Revokes a token signed by this service, by its text. Revoking it again keeps the first
    /// revocation.
    pub async fn revoke_text_by_operator(
        &self,
        token: &BearerToken,
    ) -> Result<Revocation, AdminError> {
        let verified = self.authority.verify(token).await?;
        self.revoke_by_operator(verified.token_id).await
    }

    /// Revokes the token whose record is `id` for a caller holding `tokens:revoke`.
    pub async fn revoke(&self, caller: &Caller, id: TokenId) -> Result<Revocation, AdminError> {
        caller.require(Permission::TokensRevoke)?;
        self.revoke_from(&caller.origin(), id).await
    }

    /// Revokes every token of `user` that could still authenticate (`tokens:revoke`); an
    /// unknown user is [`Missing::User`]. A token issued after it is not affected.
    pub async fn revoke_all(
        &self,
        caller: &Caller,
        user: UserId,
    ) -> Result<UserRevocation, AdminError> {
        caller.require(Permission::TokensRevoke)?;
        let event = AuditEntry::new(
            &caller.origin(),
            Action::UserRevokeTokens,
            Some(Target::user(user)),
            Details::new(),
        )
        .counting("revoked_count");
        let revoked_at = event.at;
        let revoked_count = self.tokens.revoke_all(user, revoked_at, &event).await?;
        Ok(UserRevocation {
            revoked_count,
            revoked_at,
        })
    }

    /// Revokes the token whose record is `id` (the operator's command). Revoking it again
    /// keeps the first revocation.
    pub async fn revoke_by_operator(&self, id: TokenId) -> Result<Revocation, AdminError> {
        self.revoke_from(&Origin::Cli, id).await
    }

    /// Revokes the record `id`, recording it as from `origin` unless it was revoked already.
    async fn revoke_from(&self, origin: &Origin, id: TokenId) -> Result<Revocation, AdminError> {
        let event = AuditEntry::new(
            origin,
            Action::TokenRevoke,
            Some(Target::token(id)),
            Details::new(),
        );
        match self.tokens.revoke(id, event.at, &event).await? {
            Some(revocation) => Ok(revocation),
            None => Err(AdminError::NotFound(Missing::Token)),
        }
    }
}
