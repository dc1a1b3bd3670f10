//! The caller, authenticated for the operation of the route it called.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use admin_domain::{AdminService, AuthFailure, BearerToken, Caller, Permission, Ports};
use futures_util::future::LocalBoxFuture;

use crate::errors::ApiError;
use crate::metrics;
use crate::middleware::RequestId;

/// The caller, authenticated for the operation its route requires (the [`Permission`] the
/// route table gives each `/v1/admin` resource as data): the request's `Authorization:
/// Bearer` token verified, its record read fresh, its checks and the caller's permissions
/// passed. Failing that, the request is answered 401 or 403 before any parameter is read.
#[derive(Debug)]
pub struct Authenticated<P> {
    /// Who is calling.
    pub caller: Caller,
    marker: PhantomData<fn() -> P>,
}

impl<P: Ports> FromRequest for Authenticated<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let service = request.app_data::<web::Data<AdminService<P>>>().cloned();
        let operation = request.app_data::<Permission>().copied();
        let token = bearer_token(request);
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        Box::pin(async move {
            let (Some(service), Some(operation)) = (service, operation) else {
                return Err(ApiError::Internal(
                    "the route has no admin service or no operation".to_owned(),
                ));
            };
            let token = token.inspect_err(|error| {
                if let ApiError::Unauthenticated(reason) = error {
                    metrics::observe_refused_token(*reason);
                }
            })?;
            let outcome = service.authenticate(&token, operation).await;
            metrics::observe_authentication(outcome.as_ref().map(|_| ()));
            Ok(Self {
                caller: outcome?.on_request(request_id),
                marker: PhantomData,
            })
        })
    }
}

/// The bearer token of `Authorization: Bearer <token>`: the scheme in any case, the token
/// bounded and of the base64url alphabet. A request carrying the header more than once is
/// refused: a proxy in front may read another one than we would.
fn bearer_token(request: &HttpRequest) -> Result<BearerToken, ApiError> {
    let malformed = || ApiError::Unauthenticated(AuthFailure::Malformed);
    let mut values = request.headers().get_all(header::AUTHORIZATION);
    let value = values
        .next()
        .ok_or(ApiError::Unauthenticated(AuthFailure::Missing))?;
    if values.next().is_some() {
        return Err(malformed());
    }
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    BearerToken::parse(token.trim()).map_err(ApiError::Unauthenticated)
}
