//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::web::{Data, Json};
use serde_json::{Value, json};

use crate::errors::{ApiError, Envelope};
use crate::readiness::Health;

/// The process is alive (no database involved).
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok"}))))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and the instance is not draining.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Object, example = json!({"status": "ready"})),
        (status = 503, description = "Not ready: database unreachable or draining", body = Envelope,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn readyz(health: Data<Health>) -> Result<Json<Value>, ApiError> {
    if health.is_draining() {
        return Err(ApiError::Unavailable("the instance is draining".to_owned()));
    }
    health.check().await.map_err(ApiError::Unavailable)?;
    Ok(Json(json!({ "status": "ready" })))
}
