//! The domain's errors, typed: the HTTP edge maps [`AdminError`] to the contract's envelopes
//! in one place, and the CLI words it as one line in another. Nothing here is a sentence for
//! a user.

use std::borrow::Cow;

use thiserror::Error;

use crate::permission::Permission;

/// Any error from below the domain, kept whole for the logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A value that failed to parse: an id, an email, a slug, a duration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} {problem}")]
pub struct InvalidInput {
    /// What was being parsed, for example `email`.
    pub field: &'static str,
    /// What is wrong with it, for example `is not an email address`.
    pub problem: Cow<'static, str>,
}

impl InvalidInput {
    /// An input error about `field`.
    pub fn new(field: &'static str, problem: impl Into<Cow<'static, str>>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// Why a presented token did not authenticate. Callers never see which: every case is the
/// same 401. It is for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum AuthFailure {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// Not a Biscuit at all: bad header syntax, not base64, truncated, oversized.
    #[error("malformed token")]
    Malformed,
    /// A Biscuit, but not signed by this service's root key, or tampered with.
    #[error("bad signature")]
    BadSignature,
    /// Signed by this service but unknown to the token store.
    #[error("unknown token")]
    Unknown,
    /// Revoked.
    #[error("revoked token")]
    Revoked,
    /// Past its expiry.
    #[error("expired token")]
    Expired,
    /// Its user is deactivated.
    #[error("inactive user")]
    InactiveUser,
}

/// What the token verification port may fail with.
#[derive(Debug, Error)]
pub enum AuthorityError {
    /// The token does not authenticate (401).
    #[error(transparent)]
    Refused(#[from] AuthFailure),
    /// The port cannot take the work now: every thread it decides tokens on stayed busy
    /// (503, like an unreachable database).
    #[error("token verification is saturated")]
    Busy,
}

/// A uniqueness rule that refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conflict {
    /// Another organization has this slug.
    SlugTaken,
    /// Another user has this email.
    EmailTaken,
    /// A platform organization exists already: there is at most one.
    SecondPlatform,
    /// The organization has another workspace with this slug.
    WorkspaceSlugTaken,
    /// A row with this id (or a token record with this revocation id) exists already.
    DuplicateId,
}

/// Something named that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// No user has this id.
    User,
    /// No organization has this id.
    Organization,
    /// No workspace has this id.
    Workspace,
    /// No token record has this id.
    Token,
    /// A row a write refers to (a user or an organization) does not exist, and storage
    /// cannot say which.
    Referenced,
}

/// What a storage port may fail with.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool exhausted, timed out).
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// A uniqueness rule refused the write.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A referenced row does not exist.
    #[error("not found: {0:?}")]
    NotFound(Missing),
    /// Anything else.
    #[error("storage failed")]
    Failed(#[source] BoxError),
}

/// Every way a use case can fail.
#[derive(Debug, Error)]
pub enum AdminError {
    /// The caller did not authenticate (401).
    #[error("authentication failed: {0}")]
    Unauthenticated(AuthFailure),
    /// The caller authenticated but lacks the permission (403).
    #[error("permission {0} required")]
    Forbidden(Permission),
    /// A command's input was refused.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A uniqueness rule refused the write.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Something named does not exist.
    #[error("not found: {0:?}")]
    NotFound(Missing),
    /// A token cannot be scoped to an organization its user is not a member of.
    #[error("the user is not a member of the organization")]
    NotAMember,
    /// The database, or the threads tokens are verified on, cannot take the work now (503).
    #[error("unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything unexpected (500).
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl From<AuthFailure> for AdminError {
    fn from(failure: AuthFailure) -> Self {
        AdminError::Unauthenticated(failure)
    }
}

impl From<AuthorityError> for AdminError {
    fn from(error: AuthorityError) -> Self {
        match error {
            AuthorityError::Refused(failure) => AdminError::Unauthenticated(failure),
            busy @ AuthorityError::Busy => AdminError::Unavailable(Box::new(busy)),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(source) => AdminError::Unavailable(source),
            StoreError::Conflict(conflict) => AdminError::Conflict(conflict),
            StoreError::NotFound(missing) => AdminError::NotFound(missing),
            StoreError::Failed(source) => AdminError::Internal(source),
        }
    }
}
