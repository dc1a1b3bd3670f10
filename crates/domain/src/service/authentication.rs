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
    /// [`AuthFailure::Expired`], [`AuthFailure::InactiveUser`]; a family refused for good is
    /// remembered, and refused again without a read); the caller's permissions
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
        let id = &verified.revocation_id;
        if let Some(failure) = self.refused.get(id) {
            return Err(failure.into());
        }
        let admitted = match self.access.caller(id).await? {
            Some(record) => record.admits(&verified, now).map(|()| record),
            None => Err(AuthFailure::Unknown),
        };
        let record = admitted.inspect_err(|failure| self.refused.remember(id, *failure))?;
        let caller = Caller::from_record(&record);
        caller.require(operation)?;
        if !self.authority.authorize(token, operation, now).await? {
            return Err(AdminError::Forbidden(operation));
        }
        Ok(caller)
    }
}
