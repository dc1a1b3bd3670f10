//! Prometheus metrics, one recorder per process, rendered by `GET /metrics` on the management
//! listener. Every family is described (`# HELP`), and every label takes its values from a
//! fixed set, so nothing a client sends can grow the output.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `admin_api_http_requests_total` | counter | `route`, `method`, `status` |
//! | `admin_api_http_request_duration_seconds` | histogram | `route`, `method`, `status` |
//! | `admin_api_token_verifications_total` | counter | `outcome` |
//! | `admin_api_token_cleanup_runs_total` | counter | `trigger` (`api`, `scheduler`), `dry_run` |
//! | `admin_api_token_cleanup_deleted_total` | counter | `trigger` |
//! | `admin_api_token_cleanup_last_success_timestamp_seconds` | gauge | `trigger` |
//! | `admin_api_db_pool_max_connections` | gauge | |
//! | `admin_api_db_pool_connections` | gauge | |
//! | `admin_api_db_pool_in_use` | gauge | |
//! | `admin_api_db_pool_waiting` | gauge | |
//! | `admin_api_db_pipelined_statements` | gauge | |
//! | `admin_api_db_replica_lag_seconds` | gauge | |
//! | `admin_api_db_replica_in_use` | gauge | |
//! | `process_*` (resident memory, CPU seconds, open fds, start time, …) | gauge, counter | |

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::web::Data;
use admin_domain::{AdminError, AuthFailure, CleanupReport, PoolStatus, ReplicaStatus};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;

use crate::readiness::Health;

const REQUESTS: &str = "admin_api_http_requests_total";
const DURATION: &str = "admin_api_http_request_duration_seconds";
const VERIFICATIONS: &str = "admin_api_token_verifications_total";
const CLEANUP_RUNS: &str = "admin_api_token_cleanup_runs_total";
const CLEANUP_DELETED: &str = "admin_api_token_cleanup_deleted_total";
const CLEANUP_SUCCESS: &str = "admin_api_token_cleanup_last_success_timestamp_seconds";
const POOL_MAX: &str = "admin_api_db_pool_max_connections";
const POOL_OPEN: &str = "admin_api_db_pool_connections";
const POOL_IN_USE: &str = "admin_api_db_pool_in_use";
const POOL_WAITING: &str = "admin_api_db_pool_waiting";
const PIPELINED: &str = "admin_api_db_pipelined_statements";
const REPLICA_LAG: &str = "admin_api_db_replica_lag_seconds";
const REPLICA_IN_USE: &str = "admin_api_db_replica_in_use";

/// Request latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed (and every family described) on first use. `None` if
/// another recorder was installed first (metrics then go there).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| {
                    let error = crate::errors::error_chain(&error);
                    tracing::warn!(%error, "metrics recorder not installed")
                })
                .ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time from request to response, by route template, method and status"
    );
    describe_counter!(
        VERIFICATIONS,
        "Bearer tokens presented, by outcome: valid, forbidden, or why they were refused"
    );
    describe_counter!(
        CLEANUP_RUNS,
        "Token cleanups run, by trigger (api, scheduler) and whether they were dry runs"
    );
    describe_counter!(
        CLEANUP_DELETED,
        "Token records deleted by cleanups, by trigger"
    );
    describe_gauge!(
        CLEANUP_SUCCESS,
        Unit::Seconds,
        "When a cleanup last completed without error, by trigger (Unix time)"
    );
    describe_gauge!(POOL_MAX, "The most database connections the pools may hold");
    describe_gauge!(POOL_OPEN, "Database connections open");
    describe_gauge!(POOL_IN_USE, "Database connections checked out");
    describe_gauge!(POOL_WAITING, "Requests waiting for a database connection");
    describe_gauge!(
        PIPELINED,
        "Statements holding a place on a shared (pipelined) PostgreSQL connection"
    );
    describe_gauge!(
        REPLICA_LAG,
        Unit::Seconds,
        "How far the replica was behind the primary at its last measure (-1 while it does not answer)"
    );
    describe_gauge!(
        REPLICA_IN_USE,
        "1 while listings and reads go to the replica, 0 while they fall back to the primary"
    );
    process().describe();
}

fn process() -> &'static Collector {
    static COLLECTOR: OnceLock<Collector> = OnceLock::new();
    COLLECTOR.get_or_init(Collector::default)
}

/// Installs the recorder now, so the first requests are counted too.
pub fn install() {
    let _ = handle();
}

/// How often the recorder folds the latency samples it holds into its histograms.
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the recorded latency samples into their histograms every [`UPKEEP`]. The recorder
/// keeps every sample until then: without this, a process nobody scrapes would hold every
/// request's sample, and grow by about 20 bytes a request for as long as it runs.
pub async fn keep_up() {
    let mut every = tokio::time::interval(UPKEEP);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Some(handle) = handle() {
            handle.run_upkeep();
        }
    }
}

/// The `method` label: GET, HEAD or POST, the methods the API answers; `other` for any other
/// a client sends, whatever it is.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        _ => "other",
    }
}

/// Counts a request and its latency. `route` is the matched template, or `unmatched`
/// (never the raw path).
pub fn observe_request(route: &str, method: &Method, status: u16, seconds: f64) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method_label(method).to_owned()),
        ("status", status.to_string()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(DURATION, &labels).record(seconds);
}

/// The `outcome` label of a refused token.
fn reason(failure: AuthFailure) -> &'static str {
    match failure {
        AuthFailure::Missing => "missing",
        AuthFailure::Malformed => "malformed",
        AuthFailure::BadSignature => "bad_signature",
        AuthFailure::Unknown => "unknown",
        AuthFailure::Revoked => "revoked",
        AuthFailure::Expired => "expired",
        AuthFailure::InactiveUser => "inactive_user",
    }
}

/// Counts an authentication's outcome: `valid`, `forbidden`, or the [`AuthFailure`] reason
/// (`missing`, `malformed`, `bad_signature`, `unknown`, `revoked`, `expired`,
/// `inactive_user`); other failures (the database) are not verification outcomes.
pub fn observe_authentication(outcome: Result<(), &AdminError>) {
    let label = match outcome {
        Ok(()) => "valid",
        Err(AdminError::Unauthenticated(failure)) => reason(*failure),
        Err(AdminError::Forbidden(_)) => "forbidden",
        Err(_) => return,
    };
    counter!(VERIFICATIONS, "outcome" => label).increment(1);
}

/// Counts a refusal before verification (no or malformed header).
pub fn observe_refused_token(reason: AuthFailure) {
    counter!(VERIFICATIONS, "outcome" => self::reason(reason)).increment(1);
}

/// What started a cleanup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `POST /v1/admin/cleanup-tokens`.
    Api,
    /// `ADMIN_API_CLEANUP_INTERVAL`.
    Scheduler,
}

impl Trigger {
    fn label(self) -> &'static str {
        match self {
            Trigger::Api => "api",
            Trigger::Scheduler => "scheduler",
        }
    }
}

/// Counts a cleanup that completed, the rows it deleted, and when.
pub fn observe_cleanup(report: &CleanupReport, trigger: Trigger) {
    let (trigger, dry_run) = (trigger.label(), report.dry_run.to_string());
    counter!(CLEANUP_RUNS, "trigger" => trigger, "dry_run" => dry_run).increment(1);
    if !report.dry_run {
        counter!(CLEANUP_DELETED, "trigger" => trigger).increment(report.deleted_count);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    gauge!(CLEANUP_SUCCESS, "trigger" => trigger).set(now);
}

fn observe_pool(status: PoolStatus) {
    let as_f64 = |n: usize| n as f64;
    gauge!(POOL_MAX).set(as_f64(status.max_size));
    gauge!(POOL_OPEN).set(as_f64(status.size));
    gauge!(POOL_IN_USE).set(as_f64(status.size.saturating_sub(status.available)));
    gauge!(POOL_WAITING).set(as_f64(status.waiting));
    gauge!(PIPELINED).set(as_f64(status.pipelined));
}

fn observe_replica(status: ReplicaStatus) {
    gauge!(REPLICA_LAG).set(status.lag.map_or(-1.0, |lag| lag.as_secs_f64()));
    gauge!(REPLICA_IN_USE).set(if status.in_use { 1.0 } else { 0.0 });
}

/// `GET /metrics`: every metric, in Prometheus text format.
pub async fn metrics_endpoint(health: Data<Health>) -> HttpResponse {
    if let Some(status) = health.pool_status() {
        observe_pool(status);
    }
    if let Some(status) = health.replica_status() {
        observe_replica(status);
    }
    let body = handle().map_or_else(String::new, |handle| {
        process().collect();
        handle.run_upkeep();
        handle.render()
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
