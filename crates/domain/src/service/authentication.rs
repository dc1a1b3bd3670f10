use crate::caller::Caller;
use crate::errors::{AdminError, AuthFailure};
use crate::permission::Permission;
use crate::ports::{AdminAccess, Ports, TokenAuthority};
use crate::timestamp::Timestamp;
use crate::token::BearerToken;

use super::admin::AdminService;

impl<P: Ports> AdminService<P> {
    /// Authenticates the holder of `token` for `operation`.
    ///
    /// In order: the signature and the authority block's claims, nothing else of the token
    /// evaluated ([`AuthFailure::Malformed`], [`AuthFailure::BadSignature`]); the token's
    /// record, read fresh ([`AuthFailure::Unknown`], [`AuthFailure::Revoked`],
    /// [`AuthFailure::Expired`], [`AuthFailure::InactiveUser`]); the caller's permissions
    /// ([`AdminError::Forbidden`] naming `operation`); and only then the token's own checks,
    /// those its holders appended included (the same 403 when they refuse `operation`, or
    /// cannot be decided within the token authority's bound).
    pub async fn authenticate(
        &self,
        token: &BearerToken,
        operation: Permission,
    ) -> Result<Caller, AdminError> {
        let now = Timestamp::now();
        let verified = self.authority.verify(token).await?;
        let record = self
            .access
            .caller(&verified.revocation_id)
            .await?
            .ok_or(AuthFailure::Unknown)?;
        record.admits(&verified, now)?;
        let caller = Caller::from_record(&record);
        caller.require(operation)?;
        if !self.authority.authorize(token, operation, now).await? {
            return Err(AdminError::Forbidden(operation));
        }
        Ok(caller)
    }
}
