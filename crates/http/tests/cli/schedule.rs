//! The cleanup schedule across three real instances on one PostgreSQL database: expired
//! records go with no HTTP call, runs never overlap, each row is deleted once, and killing
//! the instance that is running hands the schedule to another.

use std::time::{Duration, Instant};

use admin_adapters::RootKey;
use admin_adapters::testing::{Backend, RecordedRun, TableLock, TestDatabase, cleanup_runs};
use admin_domain::{
    AuditFilter, AuditTrail, ChainCheck, Detail, Details, Order, Position, Seek, Timestamp,
    TokenStore, Via,
};

use super::process::*;

const SEEDED: i64 = 20_000;

/// Polls `done` every 100 ms for up to `limit`; the test fails, with `what`, if it never holds.
async fn eventually<T>(limit: Duration, what: &str, mut done: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = done().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The instance id a `serving` line names.
fn instance_of(served: &Served) -> String {
    let line: serde_json::Value =
        serde_json::from_str(&served.logged("\"serving\"")).expect("a JSON line");
    line["fields"]["instance_id"]
        .as_str()
        .expect("an instance id")
        .to_owned()
}

/// No two finished runs overlap, and none starts before the one before it finished.
fn one_at_a_time(runs: &[RecordedRun]) {
    for pair in runs.windows(2) {
        if let Some(finished) = pair[0].finished {
            assert!(finished <= pair[1].started, "overlapping runs: {pair:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_clean_once_at_a_time_and_hand_over_when_one_dies() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let seed = [
        "seed",
        "--users",
        "10",
        "--expired-tokens",
        &SEEDED.to_string(),
    ];
    let seeded = run(admin_api(&db, &key), &seed);
    assert_eq!(seeded.code, Some(0), "{seeded:?}");
    let stale = async || {
        db.database
            .count_stale(Timestamp::now())
            .await
            .expect("counts")
    };
    assert_eq!(stale().await, SEEDED as u64);

    // 4,000 rows/s: each run of 20,000 takes about five seconds, in batches of 200.
    let mut instances: Vec<Served> = (0..3)
        .map(|_| {
            let mut serve = admin_api(&db, &key);
            serve
                .env("ADMIN_API_CLEANUP_INTERVAL", "1s")
                .env("ADMIN_API_CLEANUP_RATE", "4000")
                .env("ADMIN_API_DRAIN_DELAY", "0s");
            Served::start(serve)
        })
        .collect();
    let ids: Vec<String> = instances.iter().map(instance_of).collect();

    // The one that runs is killed mid-run; another takes over and finishes the rows.
    let running = eventually(Duration::from_secs(10), "a run in progress", async || {
        let runs = cleanup_runs(&db.url).await;
        let current = runs
            .iter()
            .find(|run| run.finished.is_none() && run.deleted > 0)?;
        Some(current.instance.clone())
    })
    .await;
    let victim = ids
        .iter()
        .position(|id| *id == running)
        .expect("one of ours");
    let killed_at = Timestamp::now().unix_micros();
    let mut dead = instances.remove(victim);
    dead.child.kill().expect("killed");
    dead.child.wait().expect("reaped");
    eventually(
        Duration::from_secs(30),
        "every expired record gone, every run but the killed one finished",
        async || {
            let runs = cleanup_runs(&db.url).await;
            let left = runs.iter().filter(|run| run.finished.is_none()).count();
            (stale().await == 0 && left == 1).then_some(())
        },
    )
    .await;

    let runs = cleanup_runs(&db.url).await;
    one_at_a_time(&runs);
    // Each committed batch recorded its event in its own transaction, the killed run's too:
    // their counts add up to exactly the rows that are gone, and the chain holds.
    let events = cleanup_events(&db.database).await;
    let counted: u64 = events.iter().map(|(_, _, deleted)| deleted).sum();
    assert_eq!(counted, SEEDED as u64, "the events count every row gone");
    assert!(
        events
            .iter()
            .all(|(instance, run, _)| ids.contains(instance)
                && runs.iter().any(|r| r.instance == *instance)
                && !run.is_empty()),
        "every event names its instance and run: {events:?}"
    );
    assert!(matches!(
        db.database.verify().await.expect("verifies"),
        ChainCheck::Intact { .. }
    ));
    let after: Vec<&RecordedRun> = runs.iter().filter(|run| run.started > killed_at).collect();
    let heir = after.first().expect("a run after the kill");
    assert_ne!(heir.instance, running, "another instance ran: {runs:?}");
    assert!(
        heir.started - killed_at < 3_000_000,
        "taken over within the interval and a tick or two: {runs:?}"
    );
    let killed = runs
        .iter()
        .find(|run| run.instance == running && run.finished.is_none())
        .expect("the killed run");
    let recorded: i64 = after.iter().map(|run| run.deleted).sum::<i64>() + killed.deleted;
    // The killed run may have deleted one batch it had no time to record.
    assert!(
        (SEEDED - 5_000..=SEEDED).contains(&recorded),
        "{recorded} of {SEEDED}: {runs:?}"
    );

    // Again with the two left, nobody killed: every row counted once, exactly.
    let before = runs.len();
    let seeded = run(admin_api(&db, &key), &seed);
    assert_eq!(seeded.code, Some(0), "{seeded:?}");
    eventually(
        Duration::from_secs(30),
        "the second batch gone",
        async || {
            let runs = cleanup_runs(&db.url).await;
            let finished = runs.iter().skip(before).all(|run| run.finished.is_some());
            (stale().await == 0 && finished).then_some(())
        },
    )
    .await;
    let runs = cleanup_runs(&db.url).await;
    one_at_a_time(&runs);
    within_the_rate(&runs);
    let deleted: i64 = runs.iter().skip(before).map(|run| run.deleted).sum();
    assert_eq!(deleted, SEEDED, "each row deleted once: {runs:?}");
    let instances_seen: std::collections::HashSet<&str> =
        runs.iter().map(|run| run.instance.as_str()).collect();
    assert!(instances_seen.len() >= 2, "{runs:?}");
    assert!(
        runs.len() >= 3,
        "one run per interval while rows remain: {runs:?}"
    );
    // The evidence, for whoever reads the test's output.
    eprintln!("killed {running} at {killed_at}; runs: {runs:#?}");
    stop_all(instances);
}

/// The scheduled cleanup events: each one's instance, run and count.
async fn cleanup_events(db: &admin_adapters::Database) -> Vec<(String, String, u64)> {
    let filter = AuditFilter {
        action: Some("tokens.cleanup".to_owned()),
        ..AuditFilter::default()
    };
    let seek = Seek {
        order: Order::Asc,
        after: Position::start(Order::Asc),
        rows: 100_000,
        total: false,
    };
    let text = |details: &Details, name: &str| match details.get(name) {
        Some(Detail::Text(text)) => text.clone(),
        other => panic!("{name} is {other:?}"),
    };
    db.events(&filter, &seek)
        .await
        .expect("events read")
        .rows
        .into_iter()
        .filter(|event| event.entry.via == Via::Scheduler)
        .map(|event| {
            let details = &event.entry.details;
            let deleted = match details.get("deleted_count") {
                Some(Detail::Count(n)) => *n,
                other => panic!("deleted_count is {other:?}"),
            };
            (text(details, "instance"), text(details, "run_id"), deleted)
        })
        .collect()
}

/// No finished run deleted faster than 4,000 rows a second: its first batch of 200 is free,
/// each after it waits for the one before's share of the rate.
fn within_the_rate(runs: &[RecordedRun]) {
    for run in runs {
        if let Some(finished) = run.finished {
            let least = (run.deleted - 200).max(0) * 1_000_000 / 4_000;
            assert!(
                finished - run.started >= least,
                "faster than the rate: {run:?}"
            );
        }
    }
}

/// SIGTERM stops each instance (a run stops between two batches), within its drain.
fn stop_all(instances: Vec<Served>) {
    for mut served in instances {
        served.terminate();
        assert_eq!(served.wait(Duration::from_secs(10)), Some(0));
    }
}

/// An instance on `db` keeping a one-second schedule at 4,000 rows/s, with `seeded` expired
/// records to clean.
fn scheduled(db: &TestDatabase, key: &str, seeded: i64) -> Served {
    let seed = [
        "seed",
        "--users",
        "10",
        "--expired-tokens",
        &seeded.to_string(),
    ];
    let ran = run(admin_api(db, key), &seed);
    assert_eq!(ran.code, Some(0), "{ran:?}");
    let mut serve = admin_api(db, key);
    serve
        .env("ADMIN_API_CLEANUP_INTERVAL", "1s")
        .env("ADMIN_API_CLEANUP_RATE", "4000")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    Served::start(serve)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_run_between_two_batches_and_records_it() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let mut served = scheduled(&db, &key, SEEDED);
    eventually(Duration::from_secs(10), "a run in progress", async || {
        let runs = cleanup_runs(&db.url).await;
        runs.iter()
            .any(|run| run.finished.is_none() && run.deleted > 0)
            .then_some(())
    })
    .await;

    let asked = Instant::now();
    served.terminate();
    assert_eq!(served.wait(Duration::from_secs(5)), Some(0));
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );

    let runs = cleanup_runs(&db.url).await;
    let [run] = runs.as_slice() else {
        panic!("one run: {runs:?}");
    };
    assert!(run.finished.is_some(), "recorded as finished: {run:?}");
    assert!(
        (1..SEEDED).contains(&run.deleted),
        "stopped part way: {run:?}"
    );
    let stale = db
        .database
        .count_stale(Timestamp::now())
        .await
        .expect("counts");
    assert_eq!(
        stale as i64,
        SEEDED - run.deleted,
        "what it deleted is what it recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_batch_is_followed_by_a_pause_four_times_as_long() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let served = scheduled(&db, &key, SEEDED);
    let deleted = async || {
        cleanup_runs(&db.url)
            .await
            .first()
            .map_or(0, |run| run.deleted)
    };
    eventually(Duration::from_secs(10), "a run in progress", async || {
        (deleted().await > 0).then_some(())
    })
    .await;

    // The tokens table locked for 1.5 s: the batch that waits for it takes that long.
    let mut lock = TableLock::take(&db.url, "tokens").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = deleted().await;
    lock.release().await;
    let after = eventually(
        Duration::from_secs(5),
        "the slow batch recorded",
        async || {
            let now = deleted().await;
            (now > before).then_some(now)
        },
    )
    .await;
    assert_eq!(after - before, 200, "one batch of 200 rows");

    // At 4,000 rows/s the next batch is due 50 ms after the slow one began; it waits 6 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        deleted().await,
        after,
        "no batch within 3 s of the slow one"
    );
    eventually(
        Duration::from_secs(30),
        "every expired record gone",
        async || (deleted().await == SEEDED).then_some(()),
    )
    .await;
    stop_all(vec![served]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_the_one_instance_keeps_the_schedule() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let served = scheduled(&db, &key, 5_000);
    let stale = async || {
        db.database
            .count_stale(Timestamp::now())
            .await
            .expect("counts")
    };
    eventually(
        Duration::from_secs(10),
        "every expired record gone",
        async || (stale().await == 0).then_some(()),
    )
    .await;
    stop_all(vec![served]);
}
