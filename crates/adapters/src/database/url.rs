//! Where the data lives: a `DATABASE_URL`, parsed.

use std::fmt;
use std::path::PathBuf;

use tokio_postgres::config::Host;

use super::setup::DatabaseError;

/// Where the data lives, parsed from a `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
    /// `sqlite://PATH`: a file (created with its folder when missing).
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Reads `postgres://…`, `postgresql://…` or `sqlite://PATH`.
    pub fn parse(url: &str) -> Result<Self, DatabaseError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(DatabaseError::Url)
        }
    }

    /// Where it is, without credentials: the SQLite file, or the PostgreSQL servers and
    /// database (`host:port,…/database as user`), for log lines and errors.
    pub fn location(&self) -> String {
        match self {
            Self::Postgres(url) => postgres_location(url),
            Self::Sqlite(path) => path.display().to_string(),
        }
    }

    /// Which backend: `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Never prints a password: PostgreSQL URLs show only their backend.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(_) => f.write_str("Postgres(<redacted>)"),
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

/// The servers, database and user a PostgreSQL URL names, as `host:port,…/database as user`:
/// never its password. A URL tokio-postgres cannot read is shown as `(unreadable URL)`.
pub(super) fn postgres_location(url: &str) -> String {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return "(unreadable URL)".to_owned();
    };
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_owned()
    } else {
        hosts.join(",")
    };
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    match config.get_user() {
        Some(user) => format!("{hosts}/{database} as {user}"),
        None => format!("{hosts}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_names_servers_database_and_user_never_the_password() {
        let url = DatabaseUrl::parse("postgres://alice:hunter2@db1:5433,db2/admin?sslmode=disable");
        assert_eq!(
            url.map(|u| u.location()).ok().as_deref(),
            Some("db1:5433,db2:5432/admin as alice")
        );
        let url = DatabaseUrl::parse("sqlite://data/admin-api.db");
        assert_eq!(
            url.map(|u| u.location()).ok().as_deref(),
            Some("data/admin-api.db")
        );
    }
}
