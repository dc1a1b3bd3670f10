//! Past one database server: a primary and a synchronous standby of the test's own, a
//! failover ridden by the same process, and servers that stop accepting writes.

use std::time::{Duration, Instant};

use admin_adapters::RootKey;

use super::cluster::PrivateCluster;
use super::process::*;

/// `DATABASE_URL` naming `first` then `second`, as libpq reads several hosts.
fn both(first: &PrivateCluster, second: &PrivateCluster, query: &str) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres{query}",
        first.port, second.port
    )
}

/// Every answer a client gets while the database is away: the contract's 503, promptly.
fn unavailable(response: &Response, took: Duration, what: &str) {
    assert!(took < Duration::from_secs(5), "{what} answered in {took:?}");
    assert_eq!(response.status, 503, "{what}: {response:?}");
    assert_eq!(response.json()["error"], "SERVICE_UNAVAILABLE", "{what}");
    assert_eq!(
        response.header("retry-after"),
        Some("1"),
        "{what}: {response:?}"
    );
}

#[test]
fn a_failover_to_a_promoted_standby_is_ridden_by_the_same_process_without_a_500() {
    let Some(primary) = PrivateCluster::start() else {
        return;
    };
    let standby = PrivateCluster::standby_of(&primary, true);
    let url = both(&primary, &standby, "?target_session_attrs=read-write");
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&url, &key);
    let cli = || admin_api_at(&url, &key);
    let victim = run(cli(), &["user", "create", "--email", "victim@example.com"]).line();
    let stolen: Vec<String> = (0..2)
        .map(|_| run(cli(), &["token", "issue", "--user", &victim, "--ttl", "1h"]).line())
        .collect();
    let mut serve = admin_api_at(&url, &key);
    serve
        .env("ADMIN_API_DB_TIMEOUT", "1s")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    let served = Served::start(serve);
    let revoke = format!("/v1/admin/platform/users/{victim}/revoke-tokens");
    let revoked = request(served.port, "POST", &revoke, Some(&admin.token));
    assert_eq!(revoked.status, 200, "{revoked:?}");
    assert_eq!(
        revoked.json()["revoked_count"],
        2,
        "acknowledged before the failure"
    );

    primary.stop();
    let failed_at = Instant::now();
    let mut answers = Vec::new();
    while failed_at.elapsed() < Duration::from_millis(1500) {
        for (method, path) in [
            ("GET", "/v1/admin/platform/users"),
            ("POST", "/v1/admin/cleanup-tokens"),
            ("GET", "/readyz"),
        ] {
            let started = Instant::now();
            let response = request(served.port, method, path, Some(&admin.token));
            unavailable(&response, started.elapsed(), path);
            answers.push(response.status);
        }
    }
    standby.promote();
    let promoted_at = Instant::now();
    let write = loop {
        let started = Instant::now();
        let response = request(
            served.port,
            "POST",
            "/v1/admin/cleanup-tokens",
            Some(&admin.token),
        );
        answers.push(response.status);
        if response.status == 200 {
            break promoted_at.elapsed();
        }
        unavailable(&response, started.elapsed(), "a write after the promotion");
        assert!(
            promoted_at.elapsed() < Duration::from_secs(15),
            "no write within 15 s of the promotion:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "failover: {} answers while away, all 503; first write {write:?} after the promotion",
        answers.len() - 1
    );

    assert_eq!(served.get("/readyz", None).status, 200);
    let users = served.get("/v1/admin/platform/users", Some(&admin.token));
    assert_eq!(users.status, 200, "{users:?}");
    for token in &stolen {
        let refused = served.get("/v1/admin/platform-status", Some(token));
        assert_eq!(
            refused.status, 401,
            "a revocation acknowledged before holds"
        );
    }
    let issued = request(
        served.port,
        "POST",
        &format!("/v1/admin/platform/users/{}/revoke-tokens", admin.user),
        Some(&admin.token),
    );
    assert_eq!(issued.status, 200, "writes go to the promoted server");
    assert!(!served.log().contains("\"status\":500"), "{}", served.log());
}

/// A failover that leaves the old primary up, fenced read-only (as failover managers do)
/// while the standby is promoted: connections opened to it before, pooled and shared, are
/// left for the promoted server once the instance's watcher (or a write, or the readiness
/// probe) meets the fence, so that no read is served from it for long, authentication
/// included.
#[test]
fn connections_to_a_server_that_stops_accepting_writes_move_to_the_one_that_does() {
    let Some(primary) = PrivateCluster::start() else {
        return;
    };
    let standby = PrivateCluster::standby_of(&primary, true);
    let url = both(&primary, &standby, "");
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&url, &key);
    let mut serve = admin_api_at(&url, &key);
    serve
        .env("ADMIN_API_DB_TIMEOUT", "1s")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    let served = Served::start(serve);
    let cleanup = || {
        request(
            served.port,
            "POST",
            "/v1/admin/cleanup-tokens",
            Some(&admin.token),
        )
    };
    // Connections are open, shared and pooled, on the first server.
    for _ in 0..20 {
        let users = served.get("/v1/admin/platform/users", Some(&admin.token));
        assert_eq!(users.status, 200);
        assert_eq!(cleanup().status, 200);
    }

    primary.sql(
        "postgres",
        "ALTER SYSTEM SET synchronous_standby_names = ''; \
         ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf()",
    );
    standby.promote();
    standby.sql("postgres", "UPDATE users SET display_name = 'Promoted'");
    // Reads alone: the instance's watcher finds the fence within about a second.
    let fenced = Instant::now();
    loop {
        let users = served.get("/v1/admin/platform/users", Some(&admin.token));
        if users.status == 200 && users.json()["items"][0]["display_name"] == "Promoted" {
            break;
        }
        assert!(
            fenced.elapsed() < Duration::from_secs(10),
            "reads stayed on the fenced server: {users:?}\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("reads left the fenced server in {:?}", fenced.elapsed());
    let deadline = Instant::now() + Duration::from_secs(10);
    while cleanup().status != 200 {
        assert!(
            Instant::now() < deadline,
            "writes never moved:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..20 {
        assert_eq!(
            cleanup().status,
            200,
            "no connection kept on the fenced server"
        );
        let users = served.get("/v1/admin/platform/users", Some(&admin.token));
        assert_eq!(
            users.json()["items"][0]["display_name"],
            "Promoted",
            "reads from the promoted server too"
        );
    }
    assert_eq!(served.get("/readyz", None).status, 200);
    assert!(!served.log().contains("\"status\":500"), "{}", served.log());
}

#[test]
fn several_hosts_mean_the_one_that_accepts_writes_and_nothing_else_is_accepted() {
    let Some(primary) = PrivateCluster::start() else {
        return;
    };
    let standby = PrivateCluster::standby_of(&primary, false);
    let key = RootKey::generate().to_hex();
    // The standby first, and no target_session_attrs: still the primary.
    let url = both(&standby, &primary, "");
    let admin = platform_admin(&url, &key);
    let served = Served::start(admin_api_at(&url, &key));
    let cleanup = request(
        served.port,
        "POST",
        "/v1/admin/cleanup-tokens",
        Some(&admin.token),
    );
    assert_eq!(cleanup.status, 200, "{cleanup:?}");

    let any = both(&standby, &primary, "?target_session_attrs=any");
    let refused = run(admin_api_at(&any, &key), &["migrate"]).failure(1);
    assert_eq!(
        refused,
        "error: DATABASE_URL says target_session_attrs=any, but the service writes there: \
         leave it out, or say read-write"
    );
}
