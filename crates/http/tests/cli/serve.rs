use std::time::Duration;

use admin_adapters::RootKey;
use admin_adapters::on_both_backends;
use admin_adapters::testing::{Backend, TestDatabase};
use serde_json::json;

use super::process::*;

on_both_backends!(
    the_served_api_answers_over_http_and_exits_cleanly_on_sigterm,
    token_retention_comes_from_the_environment,
    two_instances_on_one_database_give_the_same_answers,
);

async fn the_served_api_answers_over_http_and_exits_cleanly_on_sigterm(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let Admin { user, token } = platform_admin(&db.url, &key);
    let mut serve = admin_api(&db, &key);
    serve.env("ADMIN_API_DRAIN_DELAY", "0s");
    // No command at all: `serve` is the default.
    let mut served = Served::start_as(serve, &[]);

    let status = served.get("/v1/admin/platform-status", Some(&token));
    assert_eq!(
        (status.status, status.json()),
        (200, json!({"is_platform_org": true}))
    );
    assert!(status.header("x-request-id").is_some(), "{status:?}");
    assert_eq!(
        served
            .get("/v1/admin/platform/users?limit=1", Some(&token))
            .json()["items"][0]["id"],
        user
    );
    assert_eq!(served.get("/v1/admin/platform/users", None).status, 401);
    assert_eq!(served.get("/readyz", None).status, 200);

    served.terminate();
    assert_eq!(served.wait(Duration::from_secs(10)), Some(0));
    let id = status.header("x-request-id").expect("a request id");
    let line = served.logged(id);
    assert!(
        serde_json::from_str::<serde_json::Value>(&line).is_ok(),
        "JSON as configured: {line}"
    );
    assert!(!served.log().contains(&token), "the token is never logged");
}

/// With neither `RUST_LOG` nor `ADMIN_API_LOG_FORMAT` set, logs are human-readable lines at
/// `info` (the `serving` line `Served::start` waits for is one), and they carry the request id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_logs_are_readable_lines_at_info_with_the_request_id() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let token = platform_admin(&db.url, &key).token;
    let mut serve = admin_api(&db, &key);
    serve
        .env_remove("RUST_LOG")
        .env_remove("ADMIN_API_LOG_FORMAT")
        .env("ADMIN_API_DRAIN_DELAY", "0s");
    let mut served = Served::start(serve);

    let status = served.get("/v1/admin/platform-status", Some(&token));
    assert_eq!(status.status, 200);
    let id = status.header("x-request-id").expect("a request id");
    served.terminate();
    assert_eq!(served.wait(Duration::from_secs(10)), Some(0));

    let line = served.logged(id);
    assert!(
        serde_json::from_str::<serde_json::Value>(&line).is_err(),
        "{line}"
    );
    assert!(
        line.contains("INFO") && line.contains("request served"),
        "{line}"
    );
    assert!(!served.log().contains(&token), "the token is never logged");
}

/// `ADMIN_API_TOKEN_RETENTION` reaches the cleanup: a record revoked just now is kept for an
/// hour when asked, and is stale at once by default.
async fn token_retention_comes_from_the_environment(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let Admin { user, token } = platform_admin(&db.url, &key);
    let revoked = run(cli(), &["token", "issue", "--user", &user]).line();
    run(cli(), &["token", "revoke", &revoked]);

    for (retention, stale) in [(Some("1h"), 0), (None, 1)] {
        let mut serve = cli();
        serve.env("ADMIN_API_DRAIN_DELAY", "0s");
        if let Some(retention) = retention {
            serve.env("ADMIN_API_TOKEN_RETENTION", retention);
        }
        let served = Served::start(serve);
        let reply = request(
            served.port,
            "POST",
            "/v1/admin/cleanup-tokens?dry_run=true",
            Some(&token),
        );
        assert_eq!(
            (reply.status, reply.json()["deleted_count"].clone()),
            (200, json!(stale)),
            "retention {retention:?}"
        );
    }
}

#[tokio::test]
async fn serve_refuses_a_postgresql_database_with_pending_migrations() {
    let Some(db) = TestDatabase::unmigrated(Backend::Postgres).await else {
        return;
    };
    let key = RootKey::generate().to_hex();

    let line = run(admin_api(&db, &key), &["serve"]).failure(1);

    assert!(line.contains("admin-api migrate"), "{line}");
    let migrated = run(admin_api(&db, &key), &["migrate"]);
    assert_eq!((migrated.code, migrated.stdout.as_str()), (Some(0), ""));
    assert_eq!(db.database.pending_migrations().await.unwrap(), 0);
}

/// Instances keep no state of their own: what one is told (a revocation), the other knows.
async fn two_instances_on_one_database_give_the_same_answers(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let Admin { token, .. } = platform_admin(&db.url, &key);
    let instances = [
        Served::start(admin_api(&db, &key)),
        Served::start(admin_api(&db, &key)),
    ];
    let answers = |path: &str| -> Vec<(u16, String)> {
        instances
            .iter()
            .map(|served| {
                let reply = served.get(path, Some(&token));
                (reply.status, reply.body)
            })
            .collect()
    };

    let status = answers("/v1/admin/platform-status");
    assert_eq!(status[0], status[1]);
    assert_eq!(status[0].0, 200);
    assert_eq!(
        answers("/v1/admin/platform/users")[0],
        answers("/v1/admin/platform/users")[1]
    );

    run(admin_api(&db, &key), &["token", "revoke", &token]);
    for (status, body) in answers("/v1/admin/platform-status") {
        assert_eq!(status, 401, "revoked for both instances: {body}");
    }
}
