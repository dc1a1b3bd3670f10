//! The domain's errors. The HTTP edge maps [`AdminError`] to the contract's envelopes in one
//! place; the CLI prints it as one line.

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

/// One refused query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The parameter's name, for example `limit`.
    pub field: &'static str,
    /// The raw value as received; `None` when the parameter was missing.
    pub input: Option<String>,
    /// What is wrong with it.
    pub kind: FieldErrorKind,
}

/// What is wrong with a query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// A required parameter is absent.
    Missing,
    /// Not an integer.
    NotAnInteger,
    /// Not a boolean.
    NotABoolean,
    /// Below the smallest allowed value.
    TooSmall {
        /// The smallest allowed value.
        min: i64,
    },
    /// Above the largest allowed value.
    TooLarge {
        /// The largest allowed value.
        max: i64,
    },
    /// Malformed for another reason, for example a cursor that was not issued by this API.
    Invalid {
        /// A short reason, for example `invalid cursor`.
        reason: &'static str,
    },
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

impl AuthFailure {
    /// A stable label for metrics: `missing`, `malformed`, `bad_signature`, `unknown`,
    /// `revoked`, `expired` or `inactive_user`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::Malformed => "malformed",
            AuthFailure::BadSignature => "bad_signature",
            AuthFailure::Unknown => "unknown",
            AuthFailure::Revoked => "revoked",
            AuthFailure::Expired => "expired",
            AuthFailure::InactiveUser => "inactive_user",
        }
    }
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

/// What a storage port may fail with.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool exhausted, timed out).
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// A uniqueness rule refused the write, for example a slug already taken.
    #[error("{0}")]
    Conflict(String),
    /// A referenced row does not exist, for example a membership for an unknown user.
    #[error("{0}")]
    NotFound(String),
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
    /// Query parameters were refused (422), one entry per bad parameter.
    #[error("invalid query parameters")]
    InvalidQuery(Vec<FieldError>),
    /// A command's input was refused.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A uniqueness rule refused the write.
    #[error("{0}")]
    Conflict(String),
    /// Something referenced does not exist.
    #[error("{0}")]
    NotFound(String),
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
            StoreError::Conflict(what) => AdminError::Conflict(what),
            StoreError::NotFound(what) => AdminError::NotFound(what),
            StoreError::Failed(source) => AdminError::Internal(source),
        }
    }
}
