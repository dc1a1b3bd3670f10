//! The OpenAPI 3.1 document, generated from the handlers' annotations and the body types:
//! `GET /openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::errors::{PydanticError, ValidationBody};
use crate::handlers::{access, audit, cleanup, health, listing, resources, tokens};

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Platform admin API",
        description = "Who may administer what on the platform; every user, organization and \
            workspace for the platform's operators, found by filters, one by one and by what they \
            belong to; their tokens, listed and revoked; token cleanup; the audit trail. Every error is the envelope \
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
        resources::user,
        listing::memberships,
        resources::organization,
        listing::members,
        resources::workspace,
        tokens::tokens,
        tokens::revoke,
        tokens::revoke_all,
        audit::audit_events,
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
