//! Every error response of the API, in one place: the contract's envelope
//! `{"error", "message", "details", "timestamp", "status_code"}`, or for bad query parameters
//! pydantic's `{"detail": [...]}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use admin_domain::{AdminError, AuthFailure, FieldError, FieldErrorKind, Permission, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

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
    /// 405: the path exists but answers only these methods (for the `Allow` header).
    MethodNotAllowed(&'static str),
    /// 413: the request body is larger than the API accepts.
    PayloadTooLarge,
    /// 431: more or larger request headers than the API accepts.
    HeadersTooLarge,
    /// 422: query parameters refused.
    InvalidQuery(Vec<FieldError>),
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
            ApiError::MethodNotAllowed(_) => ("METHOD_NOT_ALLOWED", "Method not allowed"),
            ApiError::PayloadTooLarge => ("PAYLOAD_TOO_LARGE", "Request body too large"),
            ApiError::HeadersTooLarge => ("HEADERS_TOO_LARGE", "Request headers too large"),
            ApiError::InvalidQuery(_) => ("VALIDATION_ERROR", "Invalid query parameters"),
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
            timestamp: Timestamp::now().to_string(),
            status_code: self.status_code().as_u16(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unauthenticated(reason) => write!(f, "unauthenticated: {reason}"),
            ApiError::Forbidden(permission) => write!(f, "forbidden: {permission} required"),
            ApiError::InvalidQuery(errors) => {
                write!(f, "{} invalid query parameter(s)", errors.len())
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
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::InvalidQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
            ApiError::InvalidQuery(errors) => response.json(ValidationBody {
                detail: errors.iter().map(PydanticError::from).collect(),
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
            AdminError::InvalidQuery(errors) => ApiError::InvalidQuery(errors),
            AdminError::Unavailable(cause) => ApiError::Unavailable(error_chain(cause.as_ref())),
            other => ApiError::Internal(error_chain(&other)),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::InvalidQuery(errors)
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

/// One refused query parameter in pydantic v2's form, as the service this API replaces wrote it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PydanticError<'a> {
    /// What is wrong.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "less_than_equal")]
    pub kind: &'static str,
    /// Where: `["query", "<parameter>"]`.
    #[schema(value_type = Vec<String>, example = json!(["query", "limit"]))]
    pub loc: [&'static str; 2],
    /// A human sentence.
    #[schema(example = "Input should be less than or equal to 200")]
    pub msg: String,
    /// The raw value received; null when the parameter was missing.
    #[schema(value_type = Option<String>, example = "500")]
    pub input: Option<&'a str>,
    /// The bound or reason, for bound and value errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"le": 200}))]
    pub ctx: Option<Value>,
}

impl<'a> From<&'a FieldError> for PydanticError<'a> {
    fn from(error: &'a FieldError) -> Self {
        let (kind, msg, ctx) = match &error.kind {
            FieldErrorKind::Missing => ("missing", "Field required".to_owned(), None),
            FieldErrorKind::NotAnInteger => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer".to_owned(),
                None,
            ),
            FieldErrorKind::NotABoolean => (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input".to_owned(),
                None,
            ),
            FieldErrorKind::TooSmall { min } => (
                "greater_than_equal",
                format!("Input should be greater than or equal to {min}"),
                Some(json!({ "ge": min })),
            ),
            FieldErrorKind::TooLarge { max } => (
                "less_than_equal",
                format!("Input should be less than or equal to {max}"),
                Some(json!({ "le": max })),
            ),
            FieldErrorKind::Invalid { reason } => (
                "value_error",
                format!("Value error, {reason}"),
                Some(json!({ "error": reason })),
            ),
        };
        Self {
            kind,
            loc: ["query", error.field],
            msg,
            input: error.input.as_deref(),
            ctx,
        }
    }
}
