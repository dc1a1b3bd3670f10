//! Opening one PostgreSQL connection, with an error that says why it could not be opened.
//!
//! diesel-async keeps only the top line of tokio-postgres's error ("error connecting to
//! server"), where the cause (refused, a timeout, an unknown host, a password refused) is what
//! an operator needs; so the connection is opened with tokio-postgres here and handed to
//! diesel-async.

use std::error::Error;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use tokio_postgres::NoTls;

use crate::database::connection::url::{Role, postgres_config, postgres_location};

/// A connection to the PostgreSQL server at `url` that plays `role` (for the primary, one that
/// accepts writes: see `postgres_config`); its error names the servers tried (host, port,
/// database, user: never the password) and every cause.
pub async fn connect_postgres(url: &str, role: Role) -> Result<AsyncPgConnection, ConnectionError> {
    let config = postgres_config(url, role)
        .map_err(|error| ConnectionError::InvalidConnectionUrl(error.to_string()))?;
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|error| ConnectionError::BadConnection(describe(url, &error)))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// `error` with its causes, and where it was trying to connect.
fn describe(url: &str, error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let line = error.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = error.source();
    }
    format!("{text} (tried {})", postgres_location(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_says_so_and_where_without_the_password() {
        let url = "postgres://alice:hunter2@127.0.0.1:1/admin";
        let Err(error) = connect_postgres(url, Role::Primary).await else {
            panic!("nothing listens on port 1");
        };
        let text = error.to_string();
        assert!(text.contains("error connecting to server"), "{text}");
        assert!(text.contains("Connection refused"), "{text}");
        assert!(text.contains("tried 127.0.0.1:1/admin as alice"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
