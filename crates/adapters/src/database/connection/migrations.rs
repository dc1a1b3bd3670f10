//! Migrations, embedded in the binary: one folder per backend, kept in step.
//!
//! They run on a blocking thread through a synchronous connection (diesel-async's harness
//! panics on a current-thread runtime: diesel_async#266).

use diesel::query_builder::SqlQuery;
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::database::connection::connect::connect_postgres;
use crate::database::connection::setup_errors::MigrationError;
use crate::database::connection::url::DatabaseUrl;
use crate::database::connection::url::Role;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

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

/// The migration that lowercases the stored emails (its version, as diesel gives it).
const LOWERCASE_EMAILS: &str = "20261205000000";

/// Users whose emails differ only in case: at most 20 of them, the same address together.
const EMAIL_COLLISIONS: &str = "SELECT CAST(id AS TEXT) AS id, email FROM users \
     WHERE lower(email) IN (SELECT lower(email) FROM users GROUP BY lower(email) HAVING count(*) > 1) \
     ORDER BY lower(email), email LIMIT 20";

/// A user whose email another one's differs from only in case.
#[derive(Debug, QueryableByName)]
struct Collision {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    email: String,
}

/// Applies the pending migrations in order; before [`LOWERCASE_EMAILS`], refuses, naming
/// them, users whose emails differ only in case (written in mixed case behind the service's
/// back), which lowercasing would make equal: their owner decides which address each keeps,
/// then `migrate` runs again.
fn apply<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<usize, MigrationError>
where
    C: Connection + MigrationHarness<C::Backend>,
    SqlQuery: for<'a> LoadQuery<'a, C, Collision>,
{
    let failed = |e: &dyn std::fmt::Display| MigrationError(e.to_string());
    let pending = conn
        .pending_migrations(migrations)
        .map_err(|e| failed(&e))?;
    for migration in &pending {
        if migration.name().version().to_string() == LOWERCASE_EMAILS {
            let collisions: Vec<Collision> = diesel::sql_query(EMAIL_COLLISIONS)
                .load(conn)
                .map_err(|e| failed(&e))?;
            if !collisions.is_empty() {
                let named: Vec<String> = collisions
                    .iter()
                    .map(|user| format!("{} ({})", user.id, user.email))
                    .collect();
                return Err(MigrationError(format!(
                    "users' emails must be lowercase, and these users' emails differ only in \
                     case: {}; give each a distinct address (or delete the duplicate), then run \
                     `admin-api migrate` again",
                    named.join(", ")
                )));
            }
        }
        conn.run_migration(&**migration).map_err(|e| failed(&e))?;
    }
    Ok(pending.len())
}

fn perform<C>(
    conn: &mut C,
    migrations: impl Fn() -> EmbeddedMigrations,
    task: Task,
) -> Result<usize, MigrationError>
where
    C: Connection + MigrationHarness<C::Backend>,
    SqlQuery: for<'a> LoadQuery<'a, C, Collision>,
{
    let outcome = match task {
        Task::Apply => return apply(conn, migrations()),
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
