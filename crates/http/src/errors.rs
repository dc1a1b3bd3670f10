//! Every error response of the API, in one place: the contract's envelope
//! `{"error", "message", "details", "timestamp", "status_code"}`, or for bad query parameters
//! pydantic's `{"detail": [...]}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use admin_domain::{AdminError, AuthFailure, Missing, Permission, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::{IntoResponses, ToSchema};

use crate::params::Refused;
use crate::wire;

/// Seconds a client should wait before retrying while the database is unavailable.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// An error the API answers with.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no, malformed or invalid token (the reason is for logs only).
    Unauthenticated(AuthFailure),
    /// 403: the caller lacks this permission.
    Forbidden(Permission),
    /// 404: no such path.
    NotFound,
    /// 404: the path names something that does not exist.
    Missing(Missing),
    /// 405: the path exists but answers only these methods (for the `Allow` header).
    MethodNotAllowed(&'static str),
    /// 413: the request body is larger than the API accepts.
    PayloadTooLarge,
    /// 431: more or larger request headers than the API accepts.
    HeadersTooLarge,
    /// 422: query or path parameters refused, one entry each.
    InvalidParameters(Vec<Refused>),
    /// 503: the database cannot be reached, or the instance is shutting down.
    Unavailable(String),
    /// 500: anything else; the cause is logged, never shown.
    Internal(String),
    /// Any other 4xx the HTTP layer answered with (a malformed request, say).
    Rejected(StatusCode),
}

/// The contract's error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope {
    /// The machine-readable code.
    #[schema(example = "FORBIDDEN", value_type = String)]
    pub error: &'static str,
    /// A human sentence.
    #[schema(example = "You don't have permission to perform this action")]
    pub message: String,
    /// More about the error; `{}` when there is nothing more. A 403 names the permission it
    /// lacks as `required_permission`.
    #[schema(value_type = Object, example = json!({"required_permission": "users:list"}))]
    pub details: Value,
    /// When, in UTC, with exactly six fractional digits and no zone.
    #[schema(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$",
        example = "2025-01-01T00:00:00.000000"
    )]
    pub timestamp: String,
    /// The HTTP status code again.
    #[schema(example = 403)]
    pub status_code: u16,
}

impl ApiError {
    fn code_and_message(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => ("AUTHENTICATION_FAILED", "Authentication required"),
            ApiError::Forbidden(_) => (
                "FORBIDDEN",
                "You don't have permission to perform this action",
            ),
            ApiError::NotFound => ("NOT_FOUND", "Not found"),
            ApiError::Missing(missing) => ("NOT_FOUND", missing_message(*missing)),
            ApiError::MethodNotAllowed(_) => ("METHOD_NOT_ALLOWED", "Method not allowed"),
            ApiError::PayloadTooLarge => ("PAYLOAD_TOO_LARGE", "Request body too large"),
            ApiError::HeadersTooLarge => ("HEADERS_TOO_LARGE", "Request headers too large"),
            ApiError::InvalidParameters(_) => ("VALIDATION_ERROR", "Invalid parameters"),
            ApiError::Unavailable(_) => (
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable",
            ),
            ApiError::Internal(_) => ("INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
            ApiError::Rejected(status) => (
                "BAD_REQUEST",
                status.canonical_reason().unwrap_or("Bad request"),
            ),
        }
    }

    fn details(&self) -> Value {
        match self {
            ApiError::Forbidden(permission) => {
                json!({ "required_permission": permission.as_str() })
            }
            _ => json!({}),
        }
    }

    /// The envelope this error is answered with.
    pub fn envelope(&self) -> Envelope {
        let (error, message) = self.code_and_message();
        Envelope {
            error,
            message: message.to_owned(),
            details: self.details(),
            timestamp: wire::timestamp(Timestamp::now()),
            status_code: self.status_code().as_u16(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unauthenticated(reason) => write!(f, "unauthenticated: {reason}"),
            ApiError::Forbidden(permission) => write!(f, "forbidden: {permission} required"),
            ApiError::InvalidParameters(refused) => {
                write!(f, "{} invalid parameter(s)", refused.len())
            }
            ApiError::Unavailable(cause) | ApiError::Internal(cause) => f.write_str(cause),
            other => f.write_str(other.code_and_message().1),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::InvalidParameters(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Rejected(status) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthenticated(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        match self {
            ApiError::InvalidParameters(refused) => response.json(ValidationBody {
                detail: refused.iter().map(PydanticError::from).collect(),
            }),
            _ => response.json(self.envelope()),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::Unauthenticated(reason) => ApiError::Unauthenticated(reason),
            AdminError::Forbidden(permission) => ApiError::Forbidden(permission),
            AdminError::NotFound(missing) => ApiError::Missing(missing),
            AdminError::Unavailable(cause) => ApiError::Unavailable(error_chain(cause.as_ref())),
            other => ApiError::Internal(error_chain(&other)),
        }
    }
}

impl From<Vec<Refused>> for ApiError {
    fn from(refused: Vec<Refused>) -> Self {
        if refused.is_empty() {
            ApiError::Internal("parameters refused without saying why".to_owned())
        } else {
            ApiError::InvalidParameters(refused)
        }
    }
}

/// The contract's message for something named that does not exist.
fn missing_message(missing: Missing) -> &'static str {
    match missing {
        Missing::User => "User not found",
        Missing::Organization => "Organization not found",
        Missing::Workspace => "Workspace not found",
        Missing::Token => "Token not found",
        Missing::Referenced => "Not found",
    }
}

/// An error and its sources, one line, for the log.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// FastAPI's 422 body: one entry per refused query parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationBody<'a> {
    /// The refused parameters.
    pub detail: Vec<PydanticError<'a>>,
}

/// One refused parameter in pydantic v2's form, as the service this API replaces wrote it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PydanticError<'a> {
    /// What is wrong.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "less_than_equal")]
    pub kind: &'static str,
    /// Where: `["query", "<parameter>"]` or `["path", "<parameter>"]`.
    #[schema(value_type = Vec<String>, example = json!(["query", "limit"]))]
    pub loc: [&'static str; 2],
    /// A human sentence.
    #[schema(value_type = String, example = "Input should be less than or equal to 200")]
    pub msg: &'a str,
    /// The raw value received; null when the parameter was missing.
    #[schema(value_type = Option<String>, example = "500")]
    pub input: Option<&'a str>,
    /// The bound or reason, for bound and value errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"le": 200}))]
    pub ctx: Option<&'a Value>,
}

impl<'a> From<&'a Refused> for PydanticError<'a> {
    fn from(refused: &'a Refused) -> Self {
        Self {
            kind: refused.refusal.kind,
            loc: [refused.at.as_str(), refused.name],
            msg: &refused.refusal.msg,
            input: refused.input.as_deref(),
            ctx: refused.refusal.ctx.as_ref(),
        }
    }
}

/// The refusals every `/v1/admin` operation may answer with, for the OpenAPI document.
#[derive(Debug, IntoResponses)]
pub enum Refusals {
    /// No, malformed or invalid token. The body never says which check failed.
    #[response(status = 401, headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
    Unauthenticated(Envelope),
    /// The caller lacks the permission (named in `details.required_permission`), or the
    /// token's own checks refuse the operation.
    #[response(status = 403)]
    Forbidden(Envelope),
    /// The request declares a body over 64 KiB.
    #[response(status = 413)]
    PayloadTooLarge(Envelope),
    /// More than 64 request headers, or more than 16 KiB of them.
    #[response(status = 431)]
    HeadersTooLarge(Envelope),
    /// Anything unexpected; nothing internal is shown.
    #[response(status = 500)]
    Internal(Envelope),
    /// The database cannot be reached, or the instance is draining.
    #[response(status = 503, headers(("Retry-After" = String, description = "Seconds to wait")))]
    Unavailable(Envelope),
}

/// Bad parameters, in FastAPI/pydantic v2's form, for the OpenAPI document.
#[derive(Debug, IntoResponses)]
pub enum Invalid<'a> {
    /// One entry per refused parameter.
    #[response(status = 422)]
    Parameters(ValidationBody<'a>),
}

/// Something the path names does not exist, for the OpenAPI document.
#[derive(Debug, IntoResponses)]
pub enum Absent {
    /// `User not found`, `Organization not found`, `Workspace not found` or `Token not
    /// found`.
    #[response(status = 404)]
    Missing(Envelope),
}
