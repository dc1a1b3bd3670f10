//! Why storage could not be set up: a bad URL, a folder, a pool, the database, migrations.

use std::path::PathBuf;

use thiserror::Error;

/// Setting up storage failed.
#[derive(Debug, Error)]
pub enum DatabaseError {
    /// The URL names no supported backend.
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")]
    Url,
    /// The replica's URL names no PostgreSQL server.
    #[error("DATABASE_REPLICA_URL must start with postgres:// or postgresql://")]
    ReplicaUrl,
    /// A PostgreSQL URL that libpq's rules cannot read.
    #[error("{variable} cannot be read as a PostgreSQL URL")]
    Unreadable {
        /// The variable it came from.
        variable: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `DATABASE_URL` asks for servers that need not accept writes.
    #[error(
        "DATABASE_URL says target_session_attrs={0}, but the service writes there: leave it \
         out, or say read-write"
    )]
    NotWritable(String),
    /// The SQLite file, or its folder, cannot be created.
    #[error("cannot create the SQLite database {path}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The pool cannot be built.
    #[error("cannot build the connection pool")]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached.
    #[error("the database is unreachable")]
    Unreachable(#[source] admin_domain::StoreError),
    /// Migrations failed.
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

/// A migration could not be applied or inspected.
#[derive(Debug, Error)]
#[error("migrations failed: {0}")]
pub struct MigrationError(pub(in crate::database) String);
