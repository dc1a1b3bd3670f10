//! PostgreSQL only: statements that stand alone share a connection (pipelined on it), within
//! the pool's bounds, while transactions keep connections of their own.

use std::time::{Duration, Instant};

use admin_adapters::database::PIPELINE_DEPTH;
use admin_adapters::testing::{Backend, TableLock, TestDatabase};
use admin_adapters::{Database, DatabaseUrl, PoolSettings};
use admin_domain::*;
use tokio::task::JoinHandle;

use super::fixtures::*;

/// A fresh PostgreSQL database with a pool of two on it (one connection for statements to
/// share, one kept for transactions), a user and an organization, and a table locked.
struct Scene {
    db: Database,
    user: UserId,
    organization: OrganizationId,
    lock: TableLock,
    _test: TestDatabase,
}

impl Scene {
    async fn new(checkout: Duration, statement: Duration, locked: &str) -> Option<Self> {
        let test = TestDatabase::new(Backend::Postgres).await?;
        let settings = PoolSettings {
            max_size: 2,
            checkout_timeout: checkout,
            statement_timeout: statement,
        };
        let url = DatabaseUrl::parse(&test.url).expect("a PostgreSQL URL");
        let db = Database::open(url, settings).await.expect("opens");
        let user = stored_user(&db).await.id;
        let organization = stored_organization(&db, "acme", false).await.id;
        let lock = TableLock::take(&test.url, locked).await;
        Some(Self {
            db,
            user,
            organization,
            lock,
            _test: test,
        })
    }

    /// The usual timeouts, `memberships` locked.
    async fn usual() -> Option<Self> {
        Self::new(
            Duration::from_secs(2),
            Duration::from_secs(10),
            "memberships",
        )
        .await
    }

    /// Looks the membership up once the lock is gone: the pool serves again.
    async fn looked_up(&self) -> Option<Role> {
        self.db
            .role_in(self.user, self.organization)
            .await
            .expect("reads")
    }
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

/// A full pipeline of membership lookups, which wait on the scene's lock of `memberships`.
async fn stuck_lookups(scene: &Scene) -> Vec<Lookup> {
    let (user, organization) = (scene.user, scene.organization);
    let lookups = (0..PIPELINE_DEPTH)
        .map(|_| {
            let db = scene.db.clone();
            tokio::spawn(async move { db.role_in(user, organization).await })
        })
        .collect();
    until_pipelined(&scene.db, PIPELINE_DEPTH).await;
    lookups
}

#[tokio::test]
async fn statements_in_flight_together_share_one_connection() {
    let Some(mut scene) = Scene::usual().await else {
        return;
    };

    let lookups = stuck_lookups(&scene).await;

    assert_eq!(
        scene.db.pool_status().size,
        1,
        "{:?}",
        scene.db.pool_status()
    );
    assert_eq!(scene.lock.waiting().await.len(), 1, "one backend");
    scene.lock.release().await;
    for lookup in lookups {
        assert_eq!(lookup.await.expect("ran").expect("reads"), None);
    }
    assert_eq!(scene.db.pool_status().pipelined, 0);
}

#[tokio::test]
async fn a_transaction_gets_a_connection_while_statements_fill_the_shared_one() {
    let Some(mut scene) = Scene::usual().await else {
        return;
    };
    let lookups = stuck_lookups(&scene).await;

    // Token records are written in a transaction, on the connection kept free.
    let record = token(scene.user, Timestamp::now().saturating_add(hours(1)), None);
    let written = tokio::time::timeout(
        Duration::from_secs(5),
        scene.db.record(std::slice::from_ref(&record), &[]),
    )
    .await;

    assert!(matches!(written, Ok(Ok(()))), "{written:?}");
    scene.lock.release().await;
    for lookup in lookups {
        assert_eq!(lookup.await.expect("ran").expect("reads"), None);
    }
}

/// PostgreSQL starts a statement's timeout when it reaches it: the last of eight queued behind
/// a stuck statement would otherwise wait eight timeouts.
#[tokio::test]
async fn statements_queued_behind_a_stuck_one_give_up_after_one_statement_timeout() {
    let statement_timeout = Duration::from_secs(1);
    let Some(mut scene) =
        Scene::new(Duration::from_secs(2), statement_timeout, "memberships").await
    else {
        return;
    };
    let started = Instant::now();

    for lookup in stuck_lookups(&scene).await {
        let answer = lookup.await.expect("ran");
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
    }

    assert!(
        started.elapsed() < 3 * statement_timeout,
        "{:?}",
        started.elapsed()
    );
    scene.lock.release().await;
    assert_eq!(scene.looked_up().await, None);
}

/// Every connection held by a transaction: statements wait for a connection together, each at
/// most the checkout timeout, not one after the other.
#[tokio::test]
async fn with_the_pool_taken_statements_fail_within_one_checkout_timeout() {
    let Some(mut scene) = Scene::new(
        Duration::from_millis(500),
        Duration::from_secs(10),
        "tokens",
    )
    .await
    else {
        return;
    };
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let db = scene.db.clone();
            let record = token(scene.user, Timestamp::now().saturating_add(hours(1)), None);
            tokio::spawn(async move { db.record(std::slice::from_ref(&record), &[]).await })
        })
        .collect();
    while scene.lock.waiting().await.len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();

    let lookups = futures_util::future::join_all(
        (0..PIPELINE_DEPTH).map(|_| scene.db.role_in(scene.user, scene.organization)),
    )
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
    scene.lock.release().await;
    for writer in writers {
        writer.await.expect("ran").expect("written");
    }
}

#[tokio::test]
async fn a_connection_lost_under_its_statements_fails_them_and_the_next_get_a_new_one() {
    let Some(mut scene) = Scene::usual().await else {
        return;
    };
    let lookups = stuck_lookups(&scene).await;

    let stuck = scene.lock.waiting().await;
    scene.lock.terminate(&stuck).await;

    for lookup in lookups {
        let answer = lookup.await.expect("ran");
        assert!(
            matches!(answer, Err(StoreError::Unavailable(_))),
            "{answer:?}"
        );
    }
    scene.lock.release().await;
    assert_eq!(scene.looked_up().await, None);
}

/// A write that outwaits SQLite's busy timeout behind another process's writer is the
/// database being unavailable (a 503 with `Retry-After` over HTTP, a line saying to try again
/// on the command line), never an internal error.
#[tokio::test]
async fn a_sqlite_file_locked_by_another_writer_is_unavailable_not_a_failure() {
    use diesel::Connection;
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let mut other = diesel::SqliteConnection::establish(&path).expect("opens");
    diesel::connection::SimpleConnection::batch_execute(&mut other, "BEGIN IMMEDIATE")
        .expect("takes the write lock");

    let unavailable = |written: Result<(), StoreError>| match written {
        Err(StoreError::Unavailable(cause)) => cause.to_string(),
        other => panic!("{other:?}"),
    };

    // A connection opened while the file is locked cannot even be set up.
    let cause = unavailable(db.database.add_users(&[user(1, at(1))], &[]).await);
    assert!(cause.contains("try again"), "{cause}");

    // One opened before waits out the busy timeout.
    diesel::connection::SimpleConnection::batch_execute(&mut other, "ROLLBACK").expect("ends");
    db.database.ping().await.expect("a connection in the pool");
    diesel::connection::SimpleConnection::batch_execute(&mut other, "BEGIN IMMEDIATE")
        .expect("takes the write lock again");
    let cause = unavailable(db.database.add_users(&[user(1, at(1))], &[]).await);
    assert!(cause.contains("try again"), "{cause}");

    diesel::connection::SimpleConnection::batch_execute(&mut other, "ROLLBACK").expect("ends");
    db.database
        .add_users(&[user(1, at(1))], &[])
        .await
        .expect("written once the lock is gone");
}
