//! PostgreSQL only: statements that stand alone share a connection (and are pipelined on it),
//! while transactions keep connections of their own.

use std::time::Duration;

use admin_adapters::database::PIPELINE_DEPTH;
use admin_adapters::testing::{Backend, TestDatabase};
use admin_domain::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::fixtures::*;

#[tokio::test]
async fn statements_in_flight_together_share_one_connection() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    // A pool of two: one connection for statements to share, one kept for transactions.
    let db = db.database.another_pool(2).expect("a pool");

    let pages = futures_util::future::join_all((0..16).map(|_| db.users(None, 50))).await;

    assert!(pages.iter().all(Result::is_ok), "{pages:?}");
    let status = db.pool_status();
    assert_eq!(status.size, 1, "one connection was opened: {status:?}");
    assert_eq!(status.pipelined, 0, "none left in flight: {status:?}");
}

#[tokio::test]
async fn a_transaction_gets_a_connection_while_statements_fill_the_shared_one() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = test.database.another_pool(2).expect("a pool");
    let user = stored_user(&db).await;
    let organization = stored_organization(&db, "acme", false).await;
    let mut holder = AsyncPgConnection::establish(&test.url)
        .await
        .expect("connects");
    holder
        .batch_execute("BEGIN; LOCK TABLE memberships IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("locks");
    let stuck: Vec<_> = (0..PIPELINE_DEPTH)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.role_in(user.id, organization.id).await })
        })
        .collect();
    while db.pool_status().pipelined < PIPELINE_DEPTH {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Token records are written in a transaction, on the connection kept free.
    let record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    let written = tokio::time::timeout(
        Duration::from_secs(5),
        db.record(std::slice::from_ref(&record)),
    )
    .await;
    assert!(
        matches!(written, Ok(Ok(()))),
        "written beside the stuck statements: {written:?}"
    );

    holder.batch_execute("COMMIT").await.expect("unlocks");
    for statement in stuck {
        assert_eq!(statement.await.expect("ran").expect("reads"), None);
    }
}
