use std::time::Duration;

use admin_adapters::RootKey;
use admin_adapters::on_both_backends;
use admin_adapters::testing::{Backend, TestDatabase};
use serde_json::json;

use super::process::*;

on_both_backends!(the_served_api_answers_over_http_and_exits_cleanly_on_sigterm);

async fn the_served_api_answers_over_http_and_exits_cleanly_on_sigterm(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let platform = run(
        cli(),
        &["org", "create", "--name", "Platform", "--platform"],
    )
    .line();
    let user = run(cli(), &["user", "create", "--email", "admin@example.com"]).line();
    run(
        cli(),
        &[
            "member", "add", "--org", &platform, "--user", &user, "--role", "owner",
        ],
    );
    let token = run(
        cli(),
        &["token", "issue", "--user", &user, "--org", &platform],
    )
    .line();
    let mut serve = cli();
    serve.env("ADMIN_API_DRAIN_DELAY", "0s");
    // No command at all: `serve` is the default.
    let mut served = Served::start_as(serve, &[]);

    let status = served.get("/v1/admin/platform-status", Some(&token));
    assert_eq!(
        (status.status, status.json()),
        (200, json!({"is_platform_org": true}))
    );
    assert!(status.head.to_ascii_lowercase().contains("x-request-id:"));
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
