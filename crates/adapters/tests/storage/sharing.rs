//! PostgreSQL only: statements that stand alone share a connection (pipelined on it), within
//! the pool's bounds, while transactions keep connections of their own.

use std::time::{Duration, Instant};

use admin_adapters::database::PIPELINE_DEPTH;
use admin_adapters::testing::{Backend, TestDatabase};
use admin_adapters::{Database, DatabaseUrl, PoolSettings};
use admin_domain::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio::task::JoinHandle;

use super::fixtures::*;

/// A pool of two on `test`'s database: one connection for statements to share, one kept for
/// transactions.
async fn pool_of_two(test: &TestDatabase, checkout: Duration, statement: Duration) -> Database {
    let settings = PoolSettings {
        max_size: 2,
        checkout_timeout: checkout,
        statement_timeout: statement,
    };
    let url = DatabaseUrl::parse(&test.url).expect("a PostgreSQL URL");
    Database::open(url, settings).await.expect("opens")
}

/// A session of its own holding `table` locked; commit to release.
async fn locked(test: &TestDatabase, table: &str) -> AsyncPgConnection {
    let mut holder = AsyncPgConnection::establish(&test.url)
        .await
        .expect("connects");
    holder
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        ))
        .await
        .expect("locks");
    holder
}

/// Waits (10 s at most) until `db` has `count` statements holding a place.
async fn until_pipelined(db: &Database, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.pool_status().pipelined < count {
        assert!(Instant::now() < deadline, "{:?}", db.pool_status());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

type Lookup = JoinHandle<Result<Option<Role>, StoreError>>;

/// A full pipeline of membership lookups that wait on a lock of `memberships`.
async fn stuck_lookups(db: &Database, user: UserId, organization: OrganizationId) -> Vec<Lookup> {
    let lookups = (0..PIPELINE_DEPTH)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.role_in(user, organization).await })
        })
        .collect();
    until_pipelined(db, PIPELINE_DEPTH).await;
    lookups
}

/// Backends of the holder's database that wait on a lock.
async fn waiting_on_locks(holder: &mut AsyncPgConnection) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    holder
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .expect("clears");
    diesel::sql_query(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
         AND datname = current_database()",
    )
    .load::<Backend>(holder)
    .await
    .expect("reads")
    .into_iter()
    .map(|b| b.pid)
    .collect()
}

async fn user_and_organization(db: &Database) -> (UserId, OrganizationId) {
    let user = stored_user(db).await;
    let organization = stored_organization(db, "acme", false).await;
    (user.id, organization.id)
}

#[tokio::test]
async fn statements_in_flight_together_share_one_connection() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = pool_of_two(&test, Duration::from_secs(2), Duration::from_secs(10)).await;
    let (user, organization) = user_and_organization(&db).await;
    let mut holder = locked(&test, "memberships").await;

    let lookups = stuck_lookups(&db, user, organization).await;

    assert_eq!(db.pool_status().size, 1, "{:?}", db.pool_status());
    assert_eq!(waiting_on_locks(&mut holder).await.len(), 1, "one backend");
    holder.batch_execute("COMMIT").await.expect("unlocks");
    for lookup in lookups {
        assert_eq!(lookup.await.expect("ran").expect("reads"), None);
    }
    assert_eq!(db.pool_status().pipelined, 0);
}

#[tokio::test]
async fn a_transaction_gets_a_connection_while_statements_fill_the_shared_one() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = pool_of_two(&test, Duration::from_secs(2), Duration::from_secs(10)).await;
    let (user, organization) = user_and_organization(&db).await;
    let mut holder = locked(&test, "memberships").await;
    let lookups = stuck_lookups(&db, user, organization).await;

    // Token records are written in a transaction, on the connection kept free.
    let record = token(user, Timestamp::now().saturating_add(hours(1)), None);
    let written = tokio::time::timeout(
        Duration::from_secs(5),
        db.record(std::slice::from_ref(&record)),
    )
    .await;

    assert!(matches!(written, Ok(Ok(()))), "{written:?}");
    holder.batch_execute("COMMIT").await.expect("unlocks");
    for lookup in lookups {
        assert_eq!(lookup.await.expect("ran").expect("reads"), None);
    }
}

/// PostgreSQL starts a statement's timeout when it reaches it: the last of eight queued behind
/// a stuck statement would otherwise wait eight timeouts.
#[tokio::test]
async fn statements_queued_behind_a_stuck_one_give_up_after_one_statement_timeout() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = pool_of_two(&test, Duration::from_secs(2), Duration::from_secs(1)).await;
    let (user, organization) = user_and_organization(&db).await;
    let mut holder = locked(&test, "memberships").await;
    let started = Instant::now();

    let lookups = stuck_lookups(&db, user, organization).await;
    for lookup in lookups {
        let answer = lookup.await.expect("ran");
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
    }

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    holder.batch_execute("COMMIT").await.expect("unlocks");
    assert_eq!(db.role_in(user, organization).await.expect("reads"), None);
}

/// Every connection held by a transaction: statements wait for a connection together, each at
/// most the checkout timeout, not one after the other.
#[tokio::test]
async fn with_the_pool_taken_statements_fail_within_one_checkout_timeout() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = pool_of_two(&test, Duration::from_millis(500), Duration::from_secs(10)).await;
    let (user, organization) = user_and_organization(&db).await;
    let mut holder = locked(&test, "tokens").await;
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            let record = token(user, Timestamp::now().saturating_add(hours(1)), None);
            tokio::spawn(async move { db.record(std::slice::from_ref(&record)).await })
        })
        .collect();
    while waiting_on_locks(&mut holder).await.len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();

    let lookups =
        futures_util::future::join_all((0..PIPELINE_DEPTH).map(|_| db.role_in(user, organization)))
            .await;

    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    for answer in lookups {
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
    }
    holder.batch_execute("COMMIT").await.expect("unlocks");
    for writer in writers {
        writer.await.expect("ran").expect("written");
    }
}

#[tokio::test]
async fn a_connection_lost_under_its_statements_fails_them_and_the_next_get_a_new_one() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = pool_of_two(&test, Duration::from_secs(2), Duration::from_secs(10)).await;
    let (user, organization) = user_and_organization(&db).await;
    let mut holder = locked(&test, "memberships").await;
    let lookups = stuck_lookups(&db, user, organization).await;

    for pid in waiting_on_locks(&mut holder).await {
        diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
            .execute(&mut holder)
            .await
            .expect("terminates");
    }

    for lookup in lookups {
        let answer = lookup.await.expect("ran");
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
    }
    holder.batch_execute("COMMIT").await.expect("unlocks");
    assert_eq!(db.role_in(user, organization).await.expect("reads"), None);
}
