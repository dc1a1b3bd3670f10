//! The OpenAPI 3.1 document, generated from the handlers' annotations and the body types:
//! `GET /openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::errors::{Envelope, PydanticError, ValidationBody};
use crate::handlers::{access, cleanup, health, listing};

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Platform admin API",
        description = "Who may administer what on the platform; every user, organization and \
            workspace for the platform's operators; token cleanup. Every error is the envelope \
            `{error, message, details, timestamp, status_code}`, except 422, which keeps \
            FastAPI's `{detail: [...]}`."
    ),
    paths(
        access::check_access,
        access::platform_status,
        cleanup::cleanup_tokens,
        listing::users,
        listing::organizations,
        listing::workspaces,
        health::healthz,
        health::readyz,
    ),
    components(schemas(ValidationBody, PydanticError)),
    modifiers(&BearerAuth),
    tags(
        (name = "admin", description = "Any authenticated caller"),
        (name = "platform", description = "Platform administrators"),
        (name = "operations", description = "For load balancers and operators"),
    )
)]
pub struct ApiDoc;

/// The Biscuit bearer token every `/v1/admin` operation requires.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("Biscuit")
                    .description(Some(
                        "A Biscuit signed by the service's root key (`admin-api token issue`).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The refusals every `/v1/admin` operation may answer with.
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

/// Bad query parameters, in FastAPI/pydantic v2's form.
#[derive(Debug, IntoResponses)]
pub enum Invalid<'a> {
    /// One entry per refused parameter.
    #[response(status = 422)]
    Query(ValidationBody<'a>),
}

/// `GET /openapi.json`: the document, rendered once per process.
pub async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| "{}".to_owned())
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.as_str())
}
