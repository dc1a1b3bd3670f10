//! Where the data lives: a `DATABASE_URL`, parsed.

use std::fmt;
use std::path::PathBuf;

use std::time::Duration;

use tokio_postgres::config::{Host, TargetSessionAttrs};

use crate::database::connection::setup_errors::DatabaseError;

/// How long a connection attempt to one host may take when the URL does not say
/// (`connect_timeout`): an unreachable host is given up on in time to try the next, and the
/// pool's checkout timeout is not spent on one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long what a connection sent may stay unacknowledged before the connection is given up
/// on, when the URL does not say (`tcp_user_timeout`): a server gone from the network without
/// a word (a host down, a partition) fails a transaction in this long, not in the quarter of
/// an hour the kernel would otherwise retry.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// What a PostgreSQL server is to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::database) enum Role {
    /// `DATABASE_URL`: the server that accepts writes, whichever of its hosts that is.
    Primary,
    /// `DATABASE_REPLICA_URL`: a server to read from, standby or not.
    Replica,
}

impl Role {
    /// The variable its URL comes from.
    pub fn variable(self) -> &'static str {
        match self {
            Role::Primary => "DATABASE_URL",
            Role::Replica => "DATABASE_REPLICA_URL",
        }
    }
}

/// Where the data lives, parsed from a `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
    /// `sqlite://PATH`: a file (created with its folder when missing).
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Reads `postgres://…`, `postgresql://…` or `sqlite://PATH`: a `DATABASE_URL`, whose
    /// PostgreSQL servers must accept writes (see [`postgres_config`]).
    pub fn parse(url: &str) -> Result<Self, DatabaseError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres_config(url, Role::Primary)?;
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(DatabaseError::Url)
        }
    }

    /// Reads a `DATABASE_REPLICA_URL`: `postgres://…` or `postgresql://…`, any server.
    pub fn replica(url: &str) -> Result<Self, DatabaseError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres_config(url, Role::Replica)?;
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err(DatabaseError::ReplicaUrl)
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

/// How to connect to the PostgreSQL server `url` names, as libpq reads it (several hosts, tried
/// in turn), with a [`CONNECT_TIMEOUT`] and a [`TCP_USER_TIMEOUT`] when the URL sets none. For the [`Role::Primary`],
/// `target_session_attrs=read-write` whether the URL says so or not: the service writes there,
/// so with several hosts only the one that accepts writes will do, and a URL naming several
/// without it connected to a standby and answered writes with errors. Any other value is
/// refused, as it can only be a mistake.
pub fn postgres_config(url: &str, role: Role) -> Result<tokio_postgres::Config, DatabaseError> {
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|error| DatabaseError::Unreadable {
            variable: role.variable(),
            source: Box::new(error),
        })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    if role == Role::Primary {
        let said = url
            .split_once('?')
            .into_iter()
            .flat_map(|(_, query)| query.split('&'))
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "target_session_attrs")
            .map(|(_, value)| value);
        if let Some(value) = said.filter(|value| *value != "read-write") {
            return Err(DatabaseError::NotWritable(value.to_owned()));
        }
        config.target_session_attrs(TargetSessionAttrs::ReadWrite);
    }
    Ok(config)
}

/// The servers, database and user a PostgreSQL URL names, as `host:port,…/database as user`:
/// never its password. A URL tokio-postgres cannot read is shown as `(unreadable URL)`.
pub(in crate::database) fn postgres_location(url: &str) -> String {
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
    fn the_primary_is_always_the_server_that_accepts_writes() {
        for url in [
            "postgres://u@db1,db2/admin",
            "postgres://u@db1:5432,db2:5433/admin?target_session_attrs=read-write",
            "postgres://u@db/admin",
        ] {
            let config = postgres_config(url, Role::Primary).expect(url);
            assert_eq!(
                config.get_target_session_attrs(),
                TargetSessionAttrs::ReadWrite,
                "{url}"
            );
            assert_eq!(
                config.get_connect_timeout(),
                Some(&CONNECT_TIMEOUT),
                "{url}"
            );
        }
        let url = "postgres://u@db1,db2/admin?target_session_attrs=any&connect_timeout=3";
        let refused = DatabaseUrl::parse(url)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err(
                "DATABASE_URL says target_session_attrs=any, but the service writes there: \
                 leave it out, or say read-write"
                    .to_owned()
            )
        );
        let replica = postgres_config(url, Role::Replica).expect("a replica may be any server");
        assert_eq!(replica.get_target_session_attrs(), TargetSessionAttrs::Any);
        assert_eq!(replica.get_connect_timeout(), Some(&Duration::from_secs(3)));
        let unreadable = DatabaseUrl::parse("postgres://u:hunter2@db/admin?sslmode=nonsense");
        let said = unreadable.map(|_| ()).map_err(|error| {
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(error) = cause {
                text = format!("{text}: {error}");
                cause = error.source();
            }
            text
        });
        assert!(
            said.as_ref()
                .is_err_and(|text| text.starts_with("DATABASE_URL cannot be read")
                    && !text.contains("hunter2")),
            "{said:?}"
        );
        let replica = DatabaseUrl::replica("postgres://db/admin?connect_timeout=soon");
        let said = replica.map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            said,
            Err("DATABASE_REPLICA_URL cannot be read as a PostgreSQL URL".to_owned())
        );
    }

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
