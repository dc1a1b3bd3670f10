//! The routes: every path of the API and of the management listener, and what answers them.
//! Unknown paths get the 404 envelope, known paths asked with another method the 405 envelope
//! with `Allow`.

use actix_web::dev::{HttpServiceFactory, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, Error, FromRequest, Handler, HttpResponse, Resource, Responder};
use admin_domain::{AdminService, Permission, Ports};

use crate::errors::ApiError;
use crate::handlers::{access, audit, cleanup, health, listing, resources, tokens};
use crate::readiness::Health;
use crate::request_body::{self, HoldingBody};
use crate::{metrics, middleware, openapi};

/// The application's routes, one a line: `get|post PATH, OPERATION => HANDLER`, the operation
/// the callers must be authenticated for (`None` for open ones).
macro_rules! routes {
    ($app:expr, $($method:ident $path:literal, $operation:expr => $handler:expr;)*) => {
        $app$(.service($method($path, $operation, $handler)))*.default_service(web::to(not_found))
    };
}

/// What wraps every request on both listeners: a request id, one log line and the metrics,
/// JSON envelopes for framework errors, bounded heads and bodies, and a body's time bounded.
macro_rules! wrapped {
    ($app:expr) => {
        $app.wrap(from_fn(middleware::bounded_request))
            .wrap(from_fn(middleware::json_errors))
            .wrap(from_fn(middleware::request_id))
            .wrap(from_fn(request_body::bounded_body))
    };
}

/// What an application is once wrapped (its type, built of closures, cannot be named).
pub trait Application:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<HoldingBody>,
        Error = Error,
        InitError = (),
    >
{
}

impl<T> Application for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<HoldingBody>,
            Error = Error,
            InitError = (),
        >
{
}

/// The public application: the API, health and readiness for load balancers, the OpenAPI
/// document. (No metrics: they are on the management listener.)
pub fn app<P: Ports>(
    service: Data<AdminService<P>>,
    health: Data<Health>,
) -> App<impl Application> {
    use Permission::*;
    let app = App::new()
        .app_data(service)
        .app_data(health)
        .wrap(from_fn(middleware::slow_refusals));
    routes!(wrapped!(app),
        get "/v1/admin/access", AccessCheck => access::check_access::<P>;
        get "/v1/admin/platform-status", PlatformStatus => access::platform_status::<P>;
        post "/v1/admin/cleanup-tokens", TokensCleanup => cleanup::cleanup_tokens::<P>;
        get "/v1/admin/platform/users", UsersList => listing::users::<P>;
        get "/v1/admin/platform/organizations", OrganizationsList => listing::organizations::<P>;
        get "/v1/admin/platform/workspaces", WorkspacesList => listing::workspaces::<P>;
        get "/v1/admin/platform/users/{user_id}", UsersList => resources::user::<P>;
        get "/v1/admin/platform/users/{user_id}/memberships", UsersList => listing::memberships::<P>;
        get "/v1/admin/platform/organizations/{organization_id}", OrganizationsList => resources::organization::<P>;
        get "/v1/admin/platform/organizations/{organization_id}/members", OrganizationsList => listing::members::<P>;
        get "/v1/admin/platform/workspaces/{workspace_id}", WorkspacesList => resources::workspace::<P>;
        get "/v1/admin/platform/users/{user_id}/tokens", TokensList => tokens::tokens::<P>;
        post "/v1/admin/platform/tokens/{token_id}/revoke", TokensRevoke => tokens::revoke::<P>;
        post "/v1/admin/platform/users/{user_id}/revoke-tokens", TokensRevoke => tokens::revoke_all::<P>;
        get "/v1/admin/platform/audit-events", AuditList => audit::audit_events::<P>;
        get "/healthz", None => health::healthz;
        get "/readyz", None => health::readyz;
        get "/openapi.json", None => openapi::openapi_json;
    )
}

/// The management application, for operators and their scrapers: metrics, health and
/// readiness. Bind it where only they reach it (`ADMIN_API_MANAGEMENT_BIND`).
pub fn management(health: Data<Health>) -> App<impl Application> {
    routes!(wrapped!(App::new().app_data(health)),
        get "/metrics", None => metrics::metrics_endpoint;
        get "/healthz", None => health::healthz;
        get "/readyz", None => health::readyz;
    )
}

/// A path answering GET (and HEAD, as any GET route of the service this API replaces did),
/// for callers authenticated for `operation` when it has one (the `Authenticated` extractor
/// reads it from the resource).
fn get<F, Args>(
    path: &str,
    operation: impl Into<Option<Permission>>,
    handler: F,
) -> impl HttpServiceFactory
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let resource = web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(|| method_not_allowed("GET, HEAD")));
    authenticated(resource, operation.into())
}

/// A path answering POST, for callers authenticated for `operation`.
fn post<F, Args>(
    path: &str,
    operation: impl Into<Option<Permission>>,
    handler: F,
) -> impl HttpServiceFactory
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let resource = web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(|| method_not_allowed("POST")));
    authenticated(resource, operation.into())
}

/// The resource, for callers authenticated for `operation` when it has one: what it answers
/// them (user emails, token metadata, audit events) is never stored by a cache. Its handler's
/// panics are contained (the request must be routed before they can be).
fn authenticated(resource: Resource, operation: Option<Permission>) -> impl HttpServiceFactory {
    let no_store = DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"));
    let resource = match operation {
        Some(operation) => resource.app_data(operation),
        None => resource,
    };
    resource
        .wrap(Condition::new(operation.is_some(), no_store))
        .wrap(from_fn(middleware::contain_panics))
}

async fn method_not_allowed(allow: &'static str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(allow))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
