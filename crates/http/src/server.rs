//! Serving: build the application on the real adapters, bind, and drain cleanly on SIGTERM.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::KeepAlive;
use actix_web::web::Data;
use admin_adapters::{Adapters, BiscuitAuthority, CleanupSchedule, Database};
use admin_domain::{AdminService, PoolStatus, ReplicaStatus, Settings};
use anyhow::Context;
use futures_util::future::LocalBoxFuture;

use crate::config::Config;
use crate::errors::error_chain;
use crate::readiness::{Health, Probe};
use crate::routes;
use crate::schedule::Scheduler;

/// Readiness and the pools' occupancy, from the database.
impl Probe for Database {
    fn check(&self) -> LocalBoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.ping().await.map_err(|e| error_chain(&e)) })
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        Some(Database::pool_status(self))
    }

    fn replica_status(&self) -> Option<ReplicaStatus> {
        Database::replica_status(self)
    }
}

/// A bound, running server: the public listener and the management one.
pub struct Running {
    port: u16,
    management_port: u16,
    server: Server,
    management: Server,
    health: Health,
    drain_delay: Duration,
    scheduler: Option<tokio::task::JoinHandle<()>>,
    watchers: Vec<tokio::task::JoinHandle<()>>,
}

/// Connections an instance keeps for token cleanup, beside `ADMIN_API_DB_POOL_SIZE`.
pub const CLEANUP_CONNECTIONS: usize = 2;

/// The composition root: the production ports assembled into the use cases. The token store
/// (whose only work over HTTP is cleanup) may have a pool of its own.
pub fn admin_service(
    config: &Config,
    database: Database,
    tokens: Database,
    authority: BiscuitAuthority,
) -> AdminService<Adapters> {
    let settings = Settings {
        token_retention: config.token_retention,
        audit_reads: config.audit_reads,
        ..Settings::default()
    };
    AdminService::new(
        database.clone(),
        tokens,
        database.clone(),
        authority,
        database,
        settings,
    )
}

/// Binds `address`, and tells which port it got (port 0 picks a free one).
fn bind(address: &str, what: &str) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address)
        .with_context(|| format!("cannot listen on {address} ({what})"))?;
    let address = listener
        .local_addr()
        .with_context(|| format!("the {what} listener has no address"))?;
    Ok((listener, address))
}

/// Builds the service on `database` and `authority` and starts serving the API on
/// `config.bind` and the management endpoints on `config.management_bind` (port 0 picks a
/// free port: see [`Running::port`] and [`Running::management_port`]), as the instance
/// `instance_id` (what its scheduled runs record, and its logs name).
pub fn start(
    config: &Config,
    database: Database,
    authority: BiscuitAuthority,
    instance_id: String,
) -> anyhow::Result<Running> {
    crate::metrics::install();
    let health = Health::new(database.clone());
    let (listener, address) = bind(&config.bind, "ADMIN_API_BIND")?;
    let (management_listener, management_address) =
        bind(&config.management_bind, "ADMIN_API_MANAGEMENT_BIND")?;
    let (port, management_port) = (address.port(), management_address.port());
    // Each worker gets its own share of the pool: its connections are then driven on its own
    // thread, instead of waking another worker's on every query. At least two: one that
    // statements share, one for transactions.
    let per_worker = config.pool.max_size.div_ceil(config.workers.max(1)).max(2);
    // Token cleanup has two connections of its own, shared by the workers: its long batches
    // then neither queue behind request traffic nor take a worker's connection from it.
    let cleanup = database.another_pool(CLEANUP_CONNECTIONS)?;
    health.attach_pool(cleanup.clone());
    let authority_threads = authority.decider_threads();
    let scheduler = config.cleanup_interval.map(|interval| {
        let service = admin_service(config, cleanup.clone(), cleanup.clone(), authority.clone());
        tokio::spawn(
            Scheduler {
                interval,
                rate: config.cleanup_rate,
                service: Data::new(service),
                schedule: CleanupSchedule::new(cleanup.clone(), instance_id.clone()),
                instance: instance_id.clone(),
                health: health.clone(),
            }
            .run(),
        )
    });
    // One watcher per instance for every worker's pools: is the primary's server still the
    // writable one, and how far behind is the replica; and the metrics' upkeep.
    let watchers: Vec<_> = [
        Some(tokio::spawn(crate::metrics::keep_up())),
        database.watch_primary().map(|watch| tokio::spawn(watch)),
        database.watch_replica().map(|watch| tokio::spawn(watch)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let cleanup_schedule = match config.cleanup_interval {
        Some(interval) => format!(
            "every {} at {} rows/s",
            humantime_ish(interval),
            config.cleanup_rate
        ),
        None => "off".to_owned(),
    };
    let (worker_config, worker_health) = (config.clone(), health.clone());
    let server = HttpServer::new(move || {
        let pool = database.another_pool(per_worker).unwrap_or_else(|error| {
            let error = error_chain(&error);
            tracing::warn!(%error, "no pool of its own for this worker: sharing the first");
            database.clone()
        });
        worker_health.attach_pool(pool.clone());
        let service = admin_service(&worker_config, pool, cleanup.clone(), authority.clone());
        routes::app(Data::new(service), Data::new(worker_health.clone()))
    })
    .workers(config.workers)
    .keep_alive(KeepAlive::Timeout(config.keep_alive))
    .client_request_timeout(config.request_timeout)
    .client_disconnect_timeout(Duration::from_secs(1))
    .max_connections(config.max_connections)
    .shutdown_timeout(config.shutdown_grace.as_secs().max(1))
    .disable_signals()
    .listen(listener)
    .context("cannot serve on the listener")?
    .run();
    let management_health = health.clone();
    let management =
        HttpServer::new(move || routes::management(Data::new(management_health.clone())))
            .workers(1)
            .shutdown_timeout(1)
            .disable_signals()
            .listen(management_listener)
            .context("cannot serve on the management listener")?
            .run();
    // What an operator reading the first lines wants: which build, on which data, where.
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        backend = config.database_url.backend(),
        database = %config.database_url.location(),
        replica = %config
            .replica
            .as_ref()
            .map_or("none".to_owned(), |(url, max_lag)| format!(
                "{} while at most {} behind",
                url.location(),
                humantime_ish(*max_lag)
            )),
        %address,
        %management_address,
        port,
        management_port,
        workers = config.workers,
        decider_threads = authority_threads,
        %cleanup_schedule,
        %instance_id,
        "serving"
    );
    Ok(Running {
        port,
        management_port,
        server,
        management,
        health,
        drain_delay: config.drain_delay,
        scheduler,
        watchers,
    })
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("port", &self.port)
            .field("management_port", &self.management_port)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The port the API listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port the management endpoints listen on.
    pub fn management_port(&self) -> u16 {
        self.management_port
    }

    /// A handle to stop it.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C. On SIGTERM: `/readyz` fails at once, requests keep
    /// being served for the drain delay (so load balancers notice), then the listener closes
    /// and the requests in flight finish, within the shutdown grace; the management listener
    /// closes last. Ctrl-C skips the delay.
    pub async fn until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let management = self.management.handle();
        // A server starts when first polled: the management one runs beside the API.
        let managed = tokio::spawn(self.management);
        let health = self.health.clone();
        let drain_delay = self.drain_delay;
        let stopper = tokio::spawn(async move {
            let delay = match shutdown_signal().await {
                Signal::Terminate => drain_delay,
                Signal::Interrupt => Duration::ZERO,
            };
            health.start_draining();
            tracing::info!(
                delay_ms = delay.as_millis() as u64,
                "draining: /readyz now fails"
            );
            tokio::time::sleep(delay).await;
            tracing::info!("closing the listener; finishing the requests in flight");
            handle.stop(true).await;
        });
        let served = self.server.await.context("the server failed");
        if let Some(scheduler) = self.scheduler {
            // It notices the drain within a batch and a tick.
            let _ = scheduler.await;
        }
        for watcher in self.watchers {
            watcher.abort();
        }
        management.stop(true).await;
        let managed = managed.await;
        stopper.abort();
        tracing::info!("stopped");
        served?;
        managed
            .context("the management server panicked")?
            .context("the management server failed")
    }
}

enum Signal {
    Terminate,
    Interrupt,
}

async fn shutdown_signal() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => Signal::Terminate,
                _ = tokio::signal::ctrl_c() => Signal::Interrupt,
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                Signal::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// A duration as the configuration writes it: `90s`, `15m`, `1h`, `2d` when whole.
fn humantime_ish(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_millis() != 0 || seconds == 0 {
        return format!("{}ms", duration.as_millis());
    }
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}
