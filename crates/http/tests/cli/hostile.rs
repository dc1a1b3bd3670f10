use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use admin_adapters::RootKey;
use admin_adapters::testing::hostile;
use admin_adapters::testing::{Backend, TestDatabase};

use super::process::*;

/// The variants that cost the most before the budget, in turn. (`many-blocks`, whose
/// nineteen signatures take a quarter of a second to check in a debug build, is left to the
/// benchmark, which runs the release build.)
const WORST: [&str; 5] = [
    "rule-join-6",
    "check-join-5",
    "third-party-join-5",
    "derive-many",
    "expression",
];

/// Eight connections sending the worst hostile tokens, each one fresh (so nothing is
/// remembered from one to the next): `/healthz` and an honest request keep answering 200
/// beside them, and every hostile request is refused with 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_instance_under_hostile_tokens_keeps_answering_honest_requests() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let token = platform_admin(&db.url, &key).token;
    let served = Served::start(admin_api(&db, &key));
    let hostile: Vec<String> = (0..40)
        .map(|i| hostile::variant(WORST[i % WORST.len()]).attenuate(&token))
        .collect();
    let hostile = Arc::new(hostile);
    let stop = Arc::new(AtomicBool::new(false));

    let senders: Vec<_> = (0..8)
        .map(|sender| {
            let (hostile, stop, port) = (Arc::clone(&hostile), Arc::clone(&stop), served.port);
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                let mut next = sender;
                while !stop.load(Ordering::Relaxed) {
                    let token = &hostile[next % hostile.len()];
                    answers
                        .push(request(port, "GET", "/v1/admin/platform/users", Some(token)).status);
                    next += 8;
                }
                answers
            })
        })
        .collect();

    let until = Instant::now() + Duration::from_secs(3);
    let mut honest = 0;
    while Instant::now() < until {
        assert_eq!(served.get("/healthz", None).status, 200);
        let status = served.get("/v1/admin/platform-status", Some(&token));
        assert_eq!(status.status, 200, "{status:?}");
        honest += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let answers: Vec<u16> = senders
        .into_iter()
        .flat_map(|sender| sender.join().expect("a sender"))
        .collect();

    assert!(honest > 0);
    assert!(answers.len() >= 8, "{} hostile requests", answers.len());
    assert!(answers.iter().all(|&status| status == 403), "{answers:?}");
}

/// The public listener never serves metrics; the management listener does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_on_the_management_listener_only() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    platform_admin(&db.url, &key);
    let served = Served::start(admin_api(&db, &key));

    let public = served.get("/metrics", None);
    assert_eq!(public.status, 404);
    assert_eq!(public.json()["error"], "NOT_FOUND");
    let metrics = served.manage("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains("# HELP process_resident_memory_bytes")
    );
    assert_eq!(served.manage("/healthz").status, 200);
    assert_eq!(served.manage("/readyz").status, 200);
    assert_eq!(served.get("/readyz", None).status, 200);
}

/// 64 connections sending refused tokens (expired, with 19 blocks appended, each one new):
/// each is refused by its authority block and its record alone, so honest tokens attenuated
/// afresh for every request keep being answered 200, never 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_with_appended_blocks_never_starve_honest_attenuated_ones() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&db.url, &key);
    let expired = run(
        admin_api(&db, &key),
        &["token", "issue", "--user", &admin.user, "--ttl", "1s"],
    )
    .line();
    let served = Served::start(admin_api(&db, &key));
    std::thread::sleep(Duration::from_millis(1_500));
    let refused = Arc::new(hostile::variant("many-blocks").attenuate(&expired));
    let stop = Arc::new(AtomicBool::new(false));

    let senders: Vec<_> = (0..64)
        .map(|sender| {
            let (refused, stop, port) = (Arc::clone(&refused), Arc::clone(&stop), served.port);
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let token = appended(&refused, &format!("check if {sender} != {n};"));
                    answers.push(
                        request(port, "GET", "/v1/admin/platform-status", Some(&token)).status,
                    );
                    n += 1;
                }
                answers
            })
        })
        .collect();

    let mut honest = Vec::new();
    for n in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        let token = appended(
            &admin.token,
            &format!("check if operation(\"users:list\"), {n} >= 0;"),
        );
        honest.push(
            served
                .get("/v1/admin/platform/users?limit=1", Some(&token))
                .status,
        );
    }
    stop.store(true, Ordering::Relaxed);
    let answers: Vec<u16> = senders
        .into_iter()
        .flat_map(|sender| sender.join().expect("a sender"))
        .collect();

    assert_eq!(honest, vec![200; 30]);
    assert!(answers.len() >= 64, "{} refused requests", answers.len());
    assert!(answers.iter().all(|&status| status == 401), "{answers:?}");
}

/// `token` with one more block of `code`, appended offline by its holder.
fn appended(token: &str, code: &str) -> String {
    let biscuit = biscuit_auth::UnverifiedBiscuit::from_base64(token).expect("a token");
    let block = biscuit_auth::builder::BlockBuilder::new()
        .code(code)
        .expect("the block parses");
    biscuit
        .append(block)
        .expect("appends")
        .to_base64()
        .expect("serializes")
}
