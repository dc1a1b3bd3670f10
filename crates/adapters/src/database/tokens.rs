//! The token store port.

use admin_domain::{
    AuditEntry, Missing, Revocation, Rows, Seek, StoreError, Timestamp, TokenFilter, TokenId,
    TokenRecord, TokenState, TokenStore, UserId,
};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use super::connection::connections::{in_transaction, with_connection};
use super::errors;
use super::query::backend::{StaleBy, insert_all};
use super::query::keyset::{counted, keyset, matching};
use super::query::rows::TokenRow;
use super::query::schema::{tokens, users};
use super::query::sql_types::{DbInstant, DbUuid, Instant};
use super::query::totals::with_counted;
use super::store::Database;
use super::trail::chain::append;

/// A user's token records in the state `$filter` asks for, at its moment.
macro_rules! tokens_where {
    ($user:expr, $filter:expr) => {{
        let filter: &TokenFilter = $filter;
        let at = DbInstant(filter.at);
        let query = matching!(tokens, tokens::user_id => Some(DbUuid($user.as_uuid())));
        match filter.state {
            Some(TokenState::Active) => {
                query.filter(tokens::revoked_at.is_null().and(tokens::expires_at.gt(at)))
            }
            Some(TokenState::Expired) => {
                query.filter(tokens::revoked_at.is_null().and(tokens::expires_at.le(at)))
            }
            Some(TokenState::Revoked) => query.filter(tokens::revoked_at.is_not_null()),
            None => query,
        }
    }};
}

impl TokenStore for Database {
    async fn tokens_of(
        &self,
        user: UserId,
        filter: &TokenFilter,
        seek: &Seek,
    ) -> Result<Rows<TokenRecord>, StoreError> {
        let page = async {
            with_connection!(self, |conn| {
                keyset!(
                    tokens_where!(user, filter),
                    tokens::issued_at,
                    tokens::id,
                    seek
                )
                .select(TokenRow::as_select())
                .load::<TokenRow>(conn)
                .await
                .map_err(errors::query)
            })
        };
        let counted = async { counted!(self, tokens_where!(user, filter)) };
        let (rows, total) = with_counted(seek, page, counted).await?;
        if rows.is_empty() {
            let id = DbUuid(user.as_uuid());
            let known: bool = with_connection!(self, |conn| {
                diesel::select(diesel::dsl::exists(users::table.find(id)))
                    .get_result(conn)
                    .await
                    .map_err(errors::query)
            })?;
            if !known {
                return Err(StoreError::NotFound(Missing::User));
            }
        }
        let rows = rows
            .into_iter()
            .map(TokenRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Rows { rows, total })
    }

    async fn record(
        &self,
        records: &[TokenRecord],
        events: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let rows: Vec<TokenRow> = records.iter().map(TokenRow::from).collect();
        insert_all!(self, rows, events, |part| diesel::insert_into(
            tokens::table
        )
        .values(part))
    }

    async fn revoke(
        &self,
        id: TokenId,
        at: Timestamp,
        event: &AuditEntry,
    ) -> Result<Option<Revocation>, StoreError> {
        let by_id = tokens::table.find(DbUuid(id.as_uuid()));
        let (revoked, kept): (usize, Option<Option<DbInstant>>) =
            in_transaction!(self, |conn, _backend| {
                let revoked = diesel::update(by_id.filter(tokens::revoked_at.is_null()))
                    .set(tokens::revoked_at.eq(DbInstant(at)))
                    .execute(conn)
                    .await?;
                let kept = by_id
                    .select(tokens::revoked_at)
                    .first(conn)
                    .await
                    .optional()?;
                if revoked > 0 {
                    append!(diesel_async::RunQueryDsl, conn, event, await);
                }
                Ok((revoked, kept))
            })?;
        // Revocations are never undone, so the time read after the update is the one kept
        // (None: the record was deleted meanwhile, or never was).
        Ok(kept.flatten().map(|revoked_at| Revocation {
            revoked_at: revoked_at.0,
            already_revoked: revoked == 0,
        }))
    }

    async fn revoke_all(
        &self,
        user: UserId,
        at: Timestamp,
        event: &AuditEntry,
    ) -> Result<u64, StoreError> {
        let (at, id) = (DbInstant(at), DbUuid(user.as_uuid()));
        let revoked = in_transaction!(self, |conn, _backend| {
            let revoked = diesel::update(
                tokens::table
                    .filter(tokens::user_id.eq(id))
                    .filter(tokens::revoked_at.is_null())
                    .filter(tokens::expires_at.gt(at)),
            )
            .set(tokens::revoked_at.eq(at))
            .execute(conn)
            .await? as u64;
            if revoked > 0 {
                append!(
                    diesel_async::RunQueryDsl,
                    conn,
                    &event.counted(revoked),
                    await
                );
                return Ok(Some(revoked));
            }
            // Nothing to revoke: say whether the user exists, where its tokens are.
            let known: bool = diesel::select(diesel::dsl::exists(users::table.find(id)))
                .get_result(conn)
                .await?;
            Ok(known.then_some(0))
        })?;
        revoked.ok_or(StoreError::NotFound(Missing::User))
    }

    async fn count_stale(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        let cutoff = DbInstant(cutoff);
        let count: i64 = with_connection!(self, |conn| {
            tokens::table
                .filter(
                    tokens::expires_at
                        .lt(cutoff)
                        .or(tokens::revoked_at.lt(cutoff)),
                )
                .count()
                .get_result(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(count.unsigned_abs())
    }

    async fn delete_stale(
        &self,
        cutoff: Timestamp,
        batch: u32,
        event: &AuditEntry,
    ) -> Result<u64, StoreError> {
        let cutoff = DbInstant(cutoff);
        in_transaction!(self, |conn, backend| {
            if let Some(key) = backend.cleanup_turn() {
                diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                    .bind::<BigInt, _>(key)
                    .execute(conn)
                    .await?;
            }
            let mut deleted = 0;
            for stale in [StaleBy::Expiry, StaleBy::Revocation] {
                let room = u64::from(batch).saturating_sub(deleted);
                if room == 0 {
                    break;
                }
                let n = diesel::sql_query(backend.delete_stale_tokens(stale))
                    .bind::<Instant, _>(cutoff)
                    .bind::<BigInt, _>(i64::try_from(room).unwrap_or(i64::MAX))
                    .execute(conn)
                    .await?;
                deleted += n as u64;
            }
            if deleted > 0 {
                append!(
                    diesel_async::RunQueryDsl,
                    conn,
                    &event.counted(deleted),
                    await
                );
            }
            Ok(deleted)
        })
    }
}
