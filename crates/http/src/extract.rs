//! Extractors: the caller, authenticated for the handler's operation, and the raw query.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use admin_domain::{AdminService, AuthFailure, BearerToken, Caller, Permission, Ports};
use futures_util::future::{LocalBoxFuture, Ready, ready};

use crate::errors::ApiError;
use crate::metrics;

/// An operation of the API, named as a type so a handler's signature states its permission.
pub trait Operation {
    /// The permission the operation needs (and the `operation(...)` fact tokens are checked with).
    const PERMISSION: Permission;
}

macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;

            impl Operation for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

operations!(
    /// `access:check`
    AccessCheck,
    /// `platform:status`
    PlatformStatus,
    /// `tokens:cleanup`
    TokensCleanup,
    /// `users:list`
    UsersList,
    /// `organizations:list`
    OrganizationsList,
    /// `workspaces:list`
    WorkspacesList,
);

/// The caller, authenticated for operation `O`: the request's `Authorization: Bearer` token
/// verified, its record read fresh, its checks and the caller's permissions passed. Failing
/// that, the request is answered 401 or 403 before any other parameter is read.
#[derive(Debug)]
pub struct Authenticated<P, O> {
    /// Who is calling.
    pub caller: Caller,
    marker: PhantomData<fn() -> (P, O)>,
}

impl<P: Ports, O: Operation> FromRequest for Authenticated<P, O> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let service = request.app_data::<web::Data<AdminService<P>>>().cloned();
        let token = bearer_token(request);
        Box::pin(async move {
            let service = service.ok_or_else(|| {
                ApiError::Internal("the admin service is not configured".to_owned())
            })?;
            let token = token.inspect_err(|error| {
                if let ApiError::Unauthenticated(reason) = error {
                    metrics::observe_refused_token(*reason);
                }
            })?;
            let outcome = service.authenticate(&token, O::PERMISSION).await;
            metrics::observe_authentication(outcome.as_ref().map(|_| ()));
            Ok(Self {
                caller: outcome?,
                marker: PhantomData,
            })
        })
    }
}

/// The bearer token of `Authorization: Bearer <token>`: the scheme in any case, the token
/// bounded and of the base64url alphabet.
fn bearer_token(request: &HttpRequest) -> Result<BearerToken, ApiError> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(AuthFailure::Missing))?;
    let malformed = || ApiError::Unauthenticated(AuthFailure::Malformed);
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    BearerToken::parse(token.trim()).map_err(ApiError::Unauthenticated)
}

/// The query string's parameters as sent; where a name repeats, the last value counts (as it
/// did for the service this API replaces).
#[derive(Debug, Default)]
pub struct RawQuery(Vec<(String, String)>);

impl RawQuery {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl FromRequest for RawQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(request.query_string().as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        ready(Ok(RawQuery(pairs)))
    }
}
