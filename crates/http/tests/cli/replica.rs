//! Reads from a replica (`DATABASE_REPLICA_URL`): a primary and a streaming standby of the
//! test's own; replay paused to see which reads went where, the standby stopped to see them
//! fall back.

use std::time::{Duration, Instant};

use admin_adapters::RootKey;

use super::cluster::PrivateCluster;
use super::process::*;

/// A gauge of the instance's `/metrics`.
fn gauge(served: &Served, name: &str) -> Option<f64> {
    served.manage("/metrics").body.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Waits at most `limit` for `condition`, failing with the log.
fn until(served: &Served, limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}:\n{}", served.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many users the listing finds with this email.
fn found(served: &Served, token: &str, email: &str) -> usize {
    let users = served.get(
        &format!("/v1/admin/platform/users?email={email}"),
        Some(token),
    );
    assert_eq!(users.status, 200, "{users:?}");
    users.json()["items"].as_array().map_or(0, Vec::len)
}

/// A primary with a standby, an admin, and an instance reading from the standby while it is
/// at most `max_lag` behind, once it reads from it.
fn replicated(max_lag: &str) -> Option<(PrivateCluster, PrivateCluster, String, Admin, Served)> {
    let primary = PrivateCluster::start()?;
    let standby = PrivateCluster::standby_of(&primary, false);
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&primary.url("postgres"), &key);
    let mut serve = admin_api_at(&primary.url("postgres"), &key);
    serve
        .env("DATABASE_REPLICA_URL", standby.url("postgres"))
        .env("ADMIN_API_REPLICA_MAX_LAG", max_lag)
        .env("ADMIN_API_DB_TIMEOUT", "1s");
    let served = Served::start(serve);
    until(
        &served,
        Duration::from_secs(15),
        "the replica is never read from",
        || gauge(&served, "admin_api_db_replica_in_use") == Some(1.0),
    );
    Some((primary, standby, key, admin, served))
}

#[test]
fn listings_read_from_the_replica_while_authentication_and_token_listings_do_not() {
    let Some((primary, standby, key, admin, served)) = replicated("60s") else {
        return;
    };
    let cli = || admin_api_at(&primary.url("postgres"), &key);
    assert!(
        served.logged("serving").contains("while at most 1m"),
        "the replica is named"
    );

    standby.sql("postgres", "SELECT pg_wal_replay_pause()");
    let late = run(cli(), &["user", "create", "--email", "late@example.com"]).line();
    let token = run(cli(), &["token", "issue", "--user", &late, "--ttl", "1h"]).line();
    assert_eq!(
        found(&served, &admin.token, "late@example.com"),
        0,
        "the listing reads the replica, which has not replayed the user"
    );
    let one = served.get(
        &format!("/v1/admin/platform/users/{late}"),
        Some(&admin.token),
    );
    assert_eq!(
        one.status, 404,
        "single reads too (a stale reader's view): {one:?}"
    );
    let events = served.get(
        &format!("/v1/admin/platform/audit-events?target_id={late}"),
        Some(&admin.token),
    );
    assert_eq!(
        events.json()["items"],
        serde_json::json!([]),
        "and the audit trail"
    );
    let status = served.get("/v1/admin/platform-status", Some(&token));
    assert_eq!(
        status.status, 200,
        "authentication reads the primary: {status:?}"
    );
    let tokens = served.get(
        &format!("/v1/admin/platform/users/{late}/tokens"),
        Some(&admin.token),
    );
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert_eq!(
        tokens.json()["items"].as_array().map(Vec::len),
        Some(1),
        "token listings too"
    );
    let revoked = request(
        served.port,
        "POST",
        &format!("/v1/admin/platform/users/{late}/revoke-tokens"),
        Some(&admin.token),
    );
    assert_eq!(
        revoked.status, 200,
        "revocations know the user: {revoked:?}"
    );
    assert_eq!(revoked.json()["revoked_count"], 1);
    let refused = served.get("/v1/admin/platform-status", Some(&token));
    assert_eq!(refused.status, 401, "and hold at once");
    // A demotion holds at once too: the caller's role is read on the primary.
    let memberships = served.get(
        &format!("/v1/admin/platform/users/{}/memberships", admin.user),
        Some(&admin.token),
    );
    let platform = memberships.json()["items"][0]["organization_id"]
        .as_str()
        .expect("the platform organization")
        .to_owned();
    let role = |role: &str| {
        let member = [
            "member",
            "add",
            "--org",
            &platform,
            "--user",
            &admin.user,
            "--role",
            role,
        ];
        assert_eq!(run(cli(), &member).code, Some(0));
    };
    role("member");
    let demoted = served.get("/v1/admin/platform/users", Some(&admin.token));
    assert_eq!(demoted.status, 403, "{demoted:?}");
    assert_eq!(
        demoted.json()["details"]["required_permission"],
        "users:list"
    );
    role("admin");
    let restored = served.get("/v1/admin/platform/users", Some(&admin.token));
    assert_eq!(restored.status, 200, "{restored:?}");
    let tokenless = run(cli(), &["user", "create", "--email", "new@example.com"]).line();
    let none = served.get(
        &format!("/v1/admin/platform/users/{tokenless}/tokens"),
        Some(&admin.token),
    );
    assert_eq!(
        none.status, 200,
        "the user is known where its tokens are: {none:?}"
    );
    assert_eq!(none.json()["items"], serde_json::json!([]));
    until(
        &served,
        Duration::from_secs(15),
        "the lag is never measured",
        || gauge(&served, "admin_api_db_replica_lag_seconds").is_some_and(|lag| lag >= 1.0),
    );
    assert_eq!(gauge(&served, "admin_api_db_replica_in_use"), Some(1.0));

    standby.sql("postgres", "SELECT pg_wal_replay_resume()");
    until(
        &served,
        Duration::from_secs(15),
        "the replica never caught up",
        || found(&served, &admin.token, "late@example.com") == 1,
    );

    standby.stop();
    let later = run(cli(), &["user", "create", "--email", "later@example.com"]).line();
    for _ in 0..10 {
        assert_eq!(
            found(&served, &admin.token, "later@example.com"),
            1,
            "with the replica down, reads fall back to the primary at once"
        );
    }
    let one = served.get(
        &format!("/v1/admin/platform/users/{later}"),
        Some(&admin.token),
    );
    assert_eq!(one.status, 200, "{one:?}");
    until(
        &served,
        Duration::from_secs(15),
        "the replica is still in use",
        || {
            gauge(&served, "admin_api_db_replica_in_use") == Some(0.0)
                && gauge(&served, "admin_api_db_replica_lag_seconds") == Some(-1.0)
        },
    );
    assert_eq!(
        served.get("/readyz", None).status,
        200,
        "the replica is not readiness"
    );
    assert!(!served.log().contains("\"status\":5"), "{}", served.log());
}

#[test]
fn a_replica_further_behind_than_allowed_is_not_read_from() {
    let Some((primary, standby, key, admin, served)) = replicated("1s") else {
        return;
    };
    standby.sql("postgres", "SELECT pg_wal_replay_pause()");
    run(
        admin_api_at(&primary.url("postgres"), &key),
        &["user", "create", "--email", "late@example.com"],
    )
    .line();
    until(
        &served,
        Duration::from_secs(15),
        "the replica is read from however far behind",
        || gauge(&served, "admin_api_db_replica_in_use") == Some(0.0),
    );
    assert_eq!(
        found(&served, &admin.token, "late@example.com"),
        1,
        "read from the primary"
    );
    standby.sql("postgres", "SELECT pg_wal_replay_resume()");
    until(
        &served,
        Duration::from_secs(15),
        "the replica is never read from again",
        || gauge(&served, "admin_api_db_replica_in_use") == Some(1.0),
    );
}
