//! Liveness and readiness, for load balancers and orchestrators.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::web::{Data, Json};
use admin_adapters::Database;
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use crate::errors::{ApiError, error_chain};

/// Something readiness depends on.
pub trait Probe: Send + Sync + 'static {
    /// `Ok` when it answers now; otherwise why not.
    fn check(&self) -> LocalBoxFuture<'_, Result<(), String>>;
}

impl Probe for Database {
    fn check(&self) -> LocalBoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.ping().await.map_err(|e| error_chain(&e)) })
    }
}

/// Whether this instance should get traffic: its database answers and it is not draining.
#[derive(Clone)]
pub struct Health {
    probe: Arc<dyn Probe>,
    draining: Arc<AtomicBool>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("draining", &self.is_draining())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Readiness depending on `probe`.
    pub fn new(probe: impl Probe) -> Self {
        Self {
            probe: Arc::new(probe),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// From now on readiness fails, so load balancers stop sending requests here.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the instance is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// `GET /healthz`: the process is alive (no database involved).
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and the instance is not draining; else 503.
pub async fn readyz(health: Data<Health>) -> Result<Json<Value>, ApiError> {
    if health.is_draining() {
        return Err(ApiError::Unavailable("the instance is draining".to_owned()));
    }
    health.probe.check().await.map_err(ApiError::Unavailable)?;
    Ok(Json(json!({ "status": "ready" })))
}
