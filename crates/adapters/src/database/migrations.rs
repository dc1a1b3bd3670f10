//! Migrations, embedded in the binary: one folder per backend, kept in step.
//!
//! They run on a blocking thread through a synchronous connection (diesel-async's harness
//! panics on a current-thread runtime: diesel_async#266).

use diesel::Connection;
use diesel::backend::Backend;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use thiserror::Error;

use super::connect::connect_postgres;
use super::url::DatabaseUrl;
use super::url::Role;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// A migration could not be applied or inspected.
#[derive(Debug, Error)]
#[error("migrations failed: {0}")]
pub struct MigrationError(String);

/// Applies pending migrations; returns how many.
pub async fn run(url: &DatabaseUrl) -> Result<usize, MigrationError> {
    on_blocking_connection(url, Task::Apply).await
}

/// Counts pending migrations.
pub async fn pending(url: &DatabaseUrl) -> Result<usize, MigrationError> {
    on_blocking_connection(url, Task::Count).await
}

/// Reverts the latest applied migrations, newest first, through the one whose folder starts
/// with `version` (`2026-12-01-000000`): for tests of what a migration does to rows that exist
/// before it. Returns how many it reverted.
#[cfg(feature = "testing")]
pub async fn revert_through(
    url: &DatabaseUrl,
    version: &'static str,
) -> Result<usize, MigrationError> {
    on_blocking_connection(url, Task::RevertThrough(version)).await
}

#[derive(Debug, Clone, Copy)]
enum Task {
    Apply,
    Count,
    #[cfg(feature = "testing")]
    RevertThrough(&'static str),
}

async fn on_blocking_connection(url: &DatabaseUrl, task: Task) -> Result<usize, MigrationError> {
    let failed = |e: &dyn std::fmt::Display| MigrationError(e.to_string());
    match url {
        DatabaseUrl::Postgres(url) => {
            let conn = connect_postgres(url, Role::Primary)
                .await
                .map_err(|e| failed(&e))?;
            tokio::task::spawn_blocking(move || {
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
                perform(&mut conn, || POSTGRES, task)
            })
            .await
            .map_err(|e| failed(&e))?
        }
        DatabaseUrl::Sqlite(path) => {
            let path = path.to_string_lossy().into_owned();
            tokio::task::spawn_blocking(move || {
                let mut conn =
                    diesel::SqliteConnection::establish(&path).map_err(|e| failed(&e))?;
                perform(&mut conn, || SQLITE, task)
            })
            .await
            .map_err(|e| failed(&e))?
        }
    }
}

fn perform<DB: Backend>(
    conn: &mut impl MigrationHarness<DB>,
    migrations: impl Fn() -> EmbeddedMigrations,
    task: Task,
) -> Result<usize, MigrationError> {
    let outcome = match task {
        Task::Apply => conn
            .run_pending_migrations(migrations())
            .map(|done| done.len()),
        Task::Count => conn
            .pending_migrations(migrations())
            .map(|pending| pending.len()),
        #[cfg(feature = "testing")]
        Task::RevertThrough(version) => {
            // Diesel's version is the folder's leading digits.
            let wanted: String = version.chars().filter(char::is_ascii_digit).collect();
            let mut reverted = 0;
            loop {
                match conn.revert_last_migration(migrations()) {
                    Ok(done) => {
                        reverted += 1;
                        if done.to_string() == wanted {
                            break Ok(reverted);
                        }
                    }
                    Err(error) => break Err(error),
                }
            }
        }
    };
    outcome.map_err(|e| MigrationError(e.to_string()))
}
