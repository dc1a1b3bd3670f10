//! Reads routed to a replica, on real PostgreSQL: a read the replica fails, whatever the
//! failure, is answered by the primary. (Streaming standbys of their own are the CLI tests'.)

use std::time::{Duration, Instant};

use admin_adapters::database::DatabaseUrl;
use admin_adapters::testing::with_database;
use admin_adapters::testing::{Backend, TestDatabase};
use admin_domain::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::fixtures::*;

#[tokio::test]
async fn a_read_the_replica_fails_is_answered_by_the_primary() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    // The same cluster, no standby, and none of the tables: the watcher finds it as fresh as
    // the primary, and every read there fails, though not as unavailable.
    let name = format!("empty_{}", uuid::Uuid::new_v4().simple());
    let mut admin = AsyncPgConnection::establish(&db.url)
        .await
        .expect("connects");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creates");
    let empty = DatabaseUrl::replica(&with_database(&db.url, &name)).expect("a URL");
    let routed = db
        .database
        .clone()
        .with_replica(empty, Duration::from_secs(5))
        .expect("routed");
    let watch = tokio::spawn(routed.watch_replica().expect("a watcher"));
    let deadline = Instant::now() + Duration::from_secs(15);
    while !routed.replica_status().is_some_and(|status| status.in_use) {
        assert!(Instant::now() < deadline, "never read from the replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let user = stored_user(&routed).await;

    let seek = PageRequest::first(Listing::Users).seek();
    let page = routed
        .users(&UserFilter::default(), &seek)
        .await
        .expect("answered by the primary");
    assert_eq!(page.rows, std::slice::from_ref(&user));
    assert_eq!(
        routed.find_user(user.id).await.expect("answered"),
        Some(user)
    );
    assert!(
        !routed.replica_status().is_some_and(|status| status.in_use),
        "set aside once a read failed there"
    );
    watch.abort();
    drop(routed);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drops");
}
