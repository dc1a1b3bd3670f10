//! Storage failures in the domain's terms: unreachable (503), conflicts and missing references
//! (for the commands), anything else (500).

use admin_domain::{Conflict, Missing, StoreError};
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};
use diesel_async::pooled_connection::deadpool::PoolError;

/// SQLite's one writer was busy for longer than the service waits: what to do about it.
#[derive(Debug, thiserror::Error)]
#[error(
    "the SQLite database stayed locked by another writer (another admin-api process writing to \
     the same file?): try again once it is done"
)]
pub struct Locked;

/// A pool checkout that failed: no connection could be had in time, so the database is
/// unavailable.
pub fn pool(error: PoolError) -> StoreError {
    // A new SQLite connection's settings could not be applied while another writer held the
    // file.
    if error.to_string().contains("database is locked") {
        return StoreError::Unavailable(Box::new(Locked));
    }
    StoreError::Unavailable(Box::new(error))
}

/// A connection that could not be made: the database is unavailable.
pub fn connection(error: diesel::ConnectionError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// A query that failed.
pub fn query(error: Error) -> StoreError {
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(conflict(info.as_ref()))
        }
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            StoreError::NotFound(Missing::Referenced)
        }
        // A server that no longer accepts writes is a primary no more: the writable one is
        // elsewhere, or coming (a failover), and the request may be tried again.
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction,
            _,
        )
        | Error::BrokenTransactionManager => StoreError::Unavailable(Box::new(error)),
        Error::DatabaseError(_, ref info) if is_connection_failure(info.message()) => {
            StoreError::Unavailable(Box::new(error))
        }
        // SQLite's file stayed locked by another writer past the busy timeout: try again.
        Error::DatabaseError(_, ref info) if info.message().contains("database is locked") => {
            StoreError::Unavailable(Box::new(Locked))
        }
        other => StoreError::Failed(Box::new(other)),
    }
}

/// The rule a unique violation broke, from PostgreSQL's constraint name or SQLite's message
/// (which names the columns); a primary key or revocation id otherwise.
fn conflict(info: &dyn DatabaseErrorInformation) -> Conflict {
    let said = [info.constraint_name().unwrap_or_default(), info.message()].join(" ");
    let rules = [
        (
            "organizations_slug_key",
            "organizations.slug",
            Conflict::SlugTaken,
        ),
        (
            "organizations_one_platform",
            "organizations.is_platform",
            Conflict::SecondPlatform,
        ),
        ("users_email_key", "users.email", Conflict::EmailTaken),
        (
            "workspaces_organization_slug_key",
            "workspaces.organization_id, workspaces.slug",
            Conflict::WorkspaceSlugTaken,
        ),
    ];
    rules
        .iter()
        .find(|(constraint, columns, _)| said.contains(constraint) || said.contains(columns))
        .map_or(Conflict::DuplicateId, |(_, _, conflict)| *conflict)
}

/// Words of a server message saying it is closing the connection.
const CLOSING: [&str; 3] = ["terminating", "shutting down", "the database system is"];

/// Words of a message saying the server cannot be reached or did not answer in time.
const UNREACHABLE: [&str; 4] = [
    "connection",
    "statement timeout",
    "timed out",
    "broken pipe",
];

fn says(message: &str, signs: &[&str]) -> bool {
    let message = message.to_ascii_lowercase();
    signs.iter().any(|sign| message.contains(sign))
}

/// Whether `error` means the connection it ran on is of no more use (closed, being closed by
/// the server, or on a server that no longer accepts writes), as opposed to a statement that
/// failed on a connection still usable.
pub fn connection_lost(error: &Error) -> bool {
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::ReadOnlyTransaction,
            _,
        )
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => says(info.message(), &CLOSING),
        _ => false,
    }
}

/// Failures that mean the server went away or cannot be reached, as opposed to a bad query.
fn is_connection_failure(message: &str) -> bool {
    says(message, &CLOSING) || says(message, &UNREACHABLE)
}
