//! What tests ask of a [`Database`] beyond the ports (feature `testing`): SQL behind the
//! service's back, migrations reverted, a token's record, users deleted.

use admin_domain::{StoreError, TokenRecord, UserId};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use super::connection::connections::{Pools, with_connection};
use super::connection::migrations;
use super::connection::setup_errors::DatabaseError;
use super::errors;
use super::query::rows::TokenRow;
use super::query::schema::{tokens, users};
use super::query::sql_types::DbUuid;
use super::store::Database;

impl Database {
    /// Runs `sql` (statements separated by `;`) as it stands, on either backend: for tests that
    /// change the database behind the service's back (a trigger, a tampered row).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), admin_domain::StoreError> {
        match &self.connections.pools {
            Pools::Postgres { pool, .. } => {
                let mut conn = pool.get().await.map_err(errors::pool)?;
                conn.batch_execute(sql).await.map_err(errors::query)
            }
            Pools::Sqlite(pool) => {
                let mut conn = pool.get().await.map_err(errors::pool)?;
                conn.batch_execute(sql).await.map_err(errors::query)
            }
        }
    }

    /// Whether this is a PostgreSQL database (else SQLite), for tests whose SQL differs.
    pub fn is_postgres(&self) -> bool {
        matches!(self.connections.pools, Pools::Postgres { .. })
    }

    /// Reverts the latest applied migrations (their `down.sql`), newest first, through the one
    /// whose folder starts with `version`; returns how many.
    pub async fn revert_migrations_through(
        &self,
        version: &'static str,
    ) -> Result<usize, DatabaseError> {
        Ok(migrations::revert_through(&self.url, version).await?)
    }

    /// The record with this revocation id, if there is one: for tests that check what a
    /// command or request left in the store.
    pub async fn token_record(
        &self,
        revocation_id: &admin_domain::RevocationId,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = with_connection!(self, |conn| {
            tokens::table
                .filter(tokens::revocation_id.eq(revocation_id.as_str()))
                .select(TokenRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(TokenRecord::try_from).transpose()
    }

    /// Deletes these users (and, by cascade, their memberships and tokens): the service never
    /// deletes one, but an operator's SQL may, and the totals must follow.
    pub async fn remove_users(&self, ids: &[UserId]) -> Result<u64, StoreError> {
        let ids: Vec<DbUuid> = ids.iter().map(|id| DbUuid(id.as_uuid())).collect();
        let removed = with_connection!(self, |conn| {
            diesel::delete(users::table.filter(users::id.eq_any(ids)))
                .execute(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(removed as u64)
    }
}
