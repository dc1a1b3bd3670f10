//! Behaviour operators rely on at 3 a.m.: draining on SIGTERM, losing the database, bounded
//! resources. Real processes, real sockets, real PostgreSQL.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use admin_adapters::RootKey;
use admin_adapters::database::PIPELINE_DEPTH;
use admin_adapters::testing::{Backend, TableLock, TestDatabase};

use super::cluster::PrivateCluster;
use super::process::*;

/// Polls `condition` every 20 ms for at most `limit`.
fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Statements in flight on the served instance's shared connections, from `/metrics`.
fn pipelined_statements(served: &Served) -> usize {
    let metrics = served.manage("/metrics").body;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("admin_api_db_pipelined_statements "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Locks the tokens table (every authenticated request reads it) and sends `count` requests
/// that then wait on the lock; returns once all of their statements are in flight and the
/// database holds at least one of them on the lock, with the lock (release it) and the
/// requests' threads.
async fn requests_stuck_on_a_lock(
    served: &Served,
    url: &str,
    token: &str,
    count: usize,
) -> (TableLock, Vec<std::thread::JoinHandle<Response>>) {
    let mut lock = TableLock::take(url, "tokens").await;
    let port = served.port;
    let requests = (0..count)
        .map(|_| {
            let token = token.to_owned();
            std::thread::spawn(move || {
                request(port, "GET", "/v1/admin/platform-status", Some(&token))
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pipelined_statements(served) < count || lock.waiting().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the requests never reached the database:\n{}",
            served.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (lock, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_at_once_and_finishes_every_request_in_flight() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let token = platform_admin(&db.url, &key).token;
    let mut serve = admin_api(&db, &key);
    serve
        .env("ADMIN_API_DRAIN_DELAY", "500ms")
        .env("ADMIN_API_SHUTDOWN_GRACE", "20s");
    let mut served = Served::start(serve);

    let (mut lock, in_flight) = requests_stuck_on_a_lock(&served, &db.url, &token, 5).await;
    let port = served.port;

    served.terminate();
    // The signal reaches the process asynchronously: readiness fails once it is handled.
    assert!(
        eventually(Duration::from_secs(5), || served.log().contains("draining")),
        "the signal is handled:\n{}",
        served.log()
    );
    let readiness = served.get("/readyz", None);
    assert_eq!(
        readiness.status, 503,
        "readiness fails at once: {readiness:?}"
    );
    assert_eq!(readiness.header("retry-after"), Some("1"), "{readiness:?}");
    assert!(
        eventually(Duration::from_secs(5), || TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_err()),
        "the listener closes after the drain delay"
    );

    lock.release().await;
    for request in in_flight {
        let response = request.join().expect("the request thread");
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(response.json()["is_platform_org"], true);
    }
    assert_eq!(
        served.wait(Duration::from_secs(10)),
        Some(0),
        "exits 0 within the grace period"
    );
    // Draining is routine: its 503 is a warning, and nothing is logged as an error.
    let log = served.log();
    let deferred = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["status"] == 503)
        .unwrap_or_else(|| panic!("the readiness 503 is logged:\n{log}"));
    assert_eq!(deferred["level"], "WARN", "{deferred}");
    assert!(!log.contains("\"level\":\"ERROR\""), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pipeline_answers_503_after_the_checkout_timeout_instead_of_hanging() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let token = platform_admin(&db.url, &key).token;
    let mut serve = admin_api(&db, &key);
    serve
        .env("ADMIN_API_WORKERS", "1")
        .env("ADMIN_API_DB_POOL_SIZE", "2")
        .env("ADMIN_API_DB_TIMEOUT", "500ms")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    let served = Served::start(serve);
    // One worker with a pool of two shares one connection: fill its pipeline.
    let (mut lock, stuck) =
        requests_stuck_on_a_lock(&served, &db.url, &token, PIPELINE_DEPTH).await;

    let started = Instant::now();
    let refused = served.get("/v1/admin/platform-status", Some(&token));

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered within the checkout timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.json()["error"], "SERVICE_UNAVAILABLE");
    assert_eq!(refused.header("retry-after"), Some("1"), "{refused:?}");
    lock.release().await;
    for request in stuck {
        assert_eq!(request.join().expect("the request thread").status, 200);
    }
}

#[test]
fn losing_the_database_answers_503_promptly_and_recovers_without_a_restart() {
    let Some(cluster) = PrivateCluster::start() else {
        return;
    };
    let url = cluster.url("postgres");
    let key = RootKey::generate().to_hex();
    let token = platform_admin(&url, &key).token;
    let mut serve = admin_api_at(&url, &key);
    serve
        .env("ADMIN_API_DB_TIMEOUT", "1s")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    let served = Served::start(serve);
    assert_eq!(
        served.get("/v1/admin/platform/users", Some(&token)).status,
        200
    );

    cluster.stop();
    for path in [
        "/v1/admin/platform/users",
        "/v1/admin/platform-status",
        "/readyz",
        "/v1/admin/platform/users",
    ] {
        let started = Instant::now();
        let response = served.get(path, Some(&token));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} answered in {:?}",
            started.elapsed()
        );
        assert_eq!(response.status, 503, "{path}: {response:?}");
        assert_eq!(response.json()["error"], "SERVICE_UNAVAILABLE");
        assert_eq!(response.header("retry-after"), Some("1"), "{response:?}");
    }
    assert_eq!(served.get("/healthz", None).status, 200, "alive all along");

    cluster.resume();
    assert!(
        eventually(Duration::from_secs(30), || served
            .get("/v1/admin/platform/users", Some(&token))
            .status
            == 200),
        "serves again once the database is back"
    );
    assert_eq!(served.get("/readyz", None).status, 200);
}

#[test]
fn a_client_too_slow_to_send_its_request_gets_408_and_is_disconnected() {
    let folder = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}/admin.db", folder.path().display());
    let mut serve = admin_api_at(&url, &RootKey::generate().to_hex());
    serve.env("ADMIN_API_REQUEST_TIMEOUT", "300ms");
    let served = Served::start(serve);
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: loc")
        .expect("sends half a head");

    let mut answer = String::new();
    let started = Instant::now();
    stream
        .read_to_string(&mut answer)
        .expect("an answer, then the end of the stream");

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_request_head_beyond_the_http_layers_limit_is_answered_not_dropped() {
    let folder = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}/admin.db", folder.path().display());
    let served = Served::start(admin_api_at(&url, &RootKey::generate().to_hex()));
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let huge = "a".repeat(200_000);
    let _ = write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: {huge}\r\n\r\n"
    );
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

/// A request whose body never finishes: the early answer (401: no token) is sent with
/// `Connection: close`, and the connection is closed within a few seconds instead of being
/// held while actix waits for the rest. Ten such clients then leave `/healthz` reachable with
/// `ADMIN_API_MAX_CONNECTIONS=10`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_chunked_body_is_answered_and_closed() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    platform_admin(&db.url, &key);
    let mut command = admin_api(&db, &key);
    command.env("ADMIN_API_MAX_CONNECTIONS", "10");
    let served = Served::start(command);
    let unfinished = || {
        let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream
            .write_all(
                b"POST /v1/admin/cleanup-tokens HTTP/1.1\r\nHost: localhost\r\n\
                  Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            )
            .expect("sends");
        stream
    };
    let started = Instant::now();
    let mut streams: Vec<TcpStream> = (0..10).map(|_| unfinished()).collect();
    for stream in &mut streams {
        let mut raw = Vec::new();
        // Read to the end: the server must close the connection.
        let read = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).to_lowercase();
        assert!(read.is_ok(), "still open after 10 s: {text}");
        assert!(text.starts_with("http/1.1 401"), "{text}");
        assert!(text.contains("connection: close"), "{text}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(served.get("/healthz", None).status, 200);
}

/// What a client gets wrong before the application sees the request (a control character in
/// `X-Request-Id`, a URI over the HTTP layer's 65,534 bytes) is answered 400 and logged at
/// INFO, never at ERROR, which is kept for 500s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_do_not_parse_are_logged_below_error() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    platform_admin(&db.url, &key);
    let served = Served::start(admin_api(&db, &key));
    let long = format!("/healthz?{}", "a".repeat(70_000));
    for head in [
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: a\x01b\r\n\r\n".to_owned(),
        format!("GET {long} HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(head.as_bytes()).expect("sends");
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    }
    assert!(
        eventually(Duration::from_secs(5), || served
            .log()
            .matches("a request that does not parse was refused")
            .count()
            == 2),
        "{}",
        served.log()
    );
    let errors: Vec<String> = served
        .log()
        .lines()
        .filter(|line| line.contains("\"level\":\"ERROR\""))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors, Vec::<String>::new());
}
