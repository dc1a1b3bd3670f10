//! What wraps every request: a request id, one log line with its outcome, and the guarantee
//! that no error leaves as a framework page.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::errors::ApiError;

/// The request id header, echoed on every response.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in its extensions: what the events it causes carry as `request_id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives the request an id (the caller's `X-Request-Id` when it is a sane one, else a new
/// UUID), runs it inside a span carrying that id, logs and counts its outcome once, and returns
/// the id in `X-Request-Id`.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|value| is_sane_request_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!(
        "request",
        request_id = %String::from_utf8_lossy(id.as_bytes()),
        method = %request.method(),
        path = %request.path(),
    );
    request.extensions_mut().insert(RequestId(
        String::from_utf8_lossy(id.as_bytes()).into_owned(),
    ));
    let started = Instant::now();
    // Handlers' and extractors' errors arrive here as responses; an `Err` can only come from a
    // middleware, and actix answers it itself.
    let mut response = next
        .call(request)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1_000.0;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    crate::metrics::observe_request(
        &route,
        response.request().method(),
        status.as_u16(),
        elapsed,
    );
    // A 503 is transient and says when to retry (draining, the database away, the pool full):
    // worth a warning, not the error that a 500, a fault of ours, is.
    span.in_scope(|| match response.response().error() {
        Some(error) if status == StatusCode::SERVICE_UNAVAILABLE => {
            tracing::warn!(status = status.as_u16(), elapsed_ms, error = %error, "request deferred");
        }
        Some(error) if status.is_server_error() => {
            tracing::error!(status = status.as_u16(), elapsed_ms, error = %error, "request failed");
        }
        Some(error) => {
            tracing::info!(status = status.as_u16(), elapsed_ms, error = %error, "request refused")
        }
        None => tracing::info!(status = status.as_u16(), elapsed_ms, "request served"),
    });
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    Ok(response)
}

fn is_sane_request_id(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> HeaderValue {
    let id = uuid::Uuid::new_v4();
    HeaderValue::from_str(&id.hyphenated().to_string())
        .unwrap_or(HeaderValue::from_static("unknown"))
}

/// How long after its request arrived a 401 is answered. Each refused request is cheap to
/// answer (a token decoded, two lookups), so a flood of them from many connections, each
/// sending its next as soon as it has an answer, would take the cores from everyone else; held
/// back this long (a timer, no thread), each such connection sends at most 2 a second. Every
/// 401 waits alike, so the wait tells nothing about why a token was refused.
pub const REFUSAL_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// Holds a 401 back until [`REFUSAL_DELAY`] after its request arrived.
pub async fn slow_refusals(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let arrived = tokio::time::Instant::now();
    let response = next.call(request).await?.map_into_boxed_body();
    if response.status() == StatusCode::UNAUTHORIZED {
        tokio::time::sleep_until(arrived + REFUSAL_DELAY).await;
    }
    Ok(response)
}

/// The largest request body accepted. No endpoint reads a body; this only bounds what a client
/// may make the server receive.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// The most request header bytes (names and values) accepted.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The most request headers accepted.
pub const MAX_HEADERS: usize = 64;

/// Refuses, before anything else reads them, requests with more or larger headers than
/// accepted (431) or declaring a body over [`MAX_BODY_BYTES`] (413), with the contract's
/// envelope. (Heads beyond the HTTP layer's own hard limits, 96 headers or 128 KiB, or a URI
/// over 65,534 bytes, never reach the application: that layer answers a bare 431 or 400 and
/// closes.)
pub async fn bounded_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let declared_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let refusal = if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge)
    } else if declared_body.is_some_and(|length| length > MAX_BODY_BYTES) {
        Some(ApiError::PayloadTooLarge)
    } else {
        None
    };
    match refusal {
        Some(error) => Ok(request.into_response(error.error_response())),
        None => Ok(next.call(request).await?.map_into_boxed_body()),
    }
}

/// A handler or port that panics answers the 500 envelope instead of dropping the connection
/// (and the worker's other requests with it). A panic is a bug: it is logged as one.
pub async fn contain_panics(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let http_request = request.request().clone();
    match AssertUnwindSafe(next.call(request)).catch_unwind().await {
        Ok(response) => response.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            let error = ApiError::Internal("a handler panicked".to_owned());
            Ok(ServiceResponse::new(
                http_request,
                HttpResponse::from_error(error),
            ))
        }
    }
}

/// Any error response that is not JSON yet (a framework default) becomes the contract's
/// envelope with the same status.
pub async fn json_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(response);
    }
    let replacement = envelope_for(status);
    Ok(response.into_response(replacement))
}

fn envelope_for(status: StatusCode) -> HttpResponse {
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::HeadersTooLarge,
        StatusCode::SERVICE_UNAVAILABLE => {
            ApiError::Unavailable(format!("the HTTP layer answered {status}"))
        }
        _ if status.is_server_error() => {
            ApiError::Internal(format!("the HTTP layer answered {status}"))
        }
        _ => ApiError::Rejected(status),
    };
    error.error_response()
}
