use crate::caller::Caller;
use crate::errors::{AdminError, AuthFailure};
use crate::permission::Permission;
use crate::ports::{AdminAccess, Ports, TokenAuthority};
use crate::timestamp::Timestamp;
use crate::token::BearerToken;

use super::AdminService;

impl<P: Ports> AdminService<P> {
    /// Authenticates the holder of `token` for `operation`.
    ///
    /// In order: the signature and format ([`AuthFailure::Malformed`],
    /// [`AuthFailure::BadSignature`]); the token's record, read fresh ([`AuthFailure::Unknown`],
    /// [`AuthFailure::Revoked`], [`AuthFailure::Expired`], [`AuthFailure::InactiveUser`]); then
    /// the token's own checks for `operation` and the caller's permissions
    /// ([`AdminError::Forbidden`] naming `operation`).
    pub async fn authenticate(
        &self,
        token: &BearerToken,
        operation: Permission,
    ) -> Result<Caller, AdminError> {
        let now = Timestamp::now();
        let verified = self.authority.verify(token, operation, now)?;
        let record = self
            .access
            .caller(&verified.revocation_id)
            .await?
            .ok_or(AuthFailure::Unknown)?;
        record.admits(&verified, now)?;
        if !verified.allows_operation {
            return Err(AdminError::Forbidden(operation));
        }
        let caller = Caller::from_record(&record);
        caller.require(operation)?;
        Ok(caller)
    }
}
