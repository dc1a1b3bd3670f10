//! `admin-api audit verify` and `audit head` on both backends: a chain that holds, and one
//! tampered with in the database, named; and `ADMIN_API_AUDIT_READS` as a served binary reads it.

use admin_adapters::RootKey;
use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;

use super::process::*;

on_both_backends!(
    verify_holds_then_names_the_event_edited_behind_its_back,
    reads_are_recorded_when_the_environment_says_so,
);

async fn verify_holds_then_names_the_event_edited_behind_its_back(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let org = run(admin_api(&db, &key), &["org", "create", "--name", "Acme"]);
    assert_eq!(org.code, Some(0), "{org:?}");
    let user = run(
        admin_api(&db, &key),
        &["user", "create", "--email", "a@example.com"],
    );
    let (org, user) = (org.stdout.trim().to_owned(), user.stdout.trim().to_owned());
    let member = [
        "member", "add", "--org", &org, "--user", &user, "--role", "admin",
    ];
    assert_eq!(run(admin_api(&db, &key), &member).code, Some(0));

    let head = run(admin_api(&db, &key), &["audit", "head"]);
    assert_eq!(head.code, Some(0), "{head:?}");
    let head = head.stdout.trim().to_owned();
    assert_eq!(head.len(), 64, "a SHA-256, hex: {head}");
    let verified = run(admin_api(&db, &key), &["audit", "verify"]);
    assert_eq!(verified.code, Some(0), "{verified:?}");
    assert_eq!(verified.stdout, format!("3 events verified, head {head}\n"));

    db.database
        .execute_raw("UPDATE audit_events SET target_id = NULL, target_type = NULL WHERE seq = 2")
        .await
        .expect("tampered");
    let tampered = run(admin_api(&db, &key), &["audit", "verify"]);
    assert_eq!(tampered.code, Some(1), "{tampered:?}");
    assert_eq!(tampered.stdout, "");
    let line = tampered
        .stderr
        .lines()
        .find(|line| line.starts_with("error:"))
        .expect("an error line");
    assert!(
        line.starts_with("error: audit verify: event #2 (")
            && line.ends_with("): its hash does not match its content"),
        "{line}"
    );
    eprintln!("audit verify on a tampered database: {line}");
}

/// `ADMIN_API_AUDIT_READS`: unset, a listing records nothing; `true`, it records `users.list`.
async fn reads_are_recorded_when_the_environment_says_so(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&db.url, &key);
    let listed_reads = |served: &Served| {
        let reply = served.get(
            "/v1/admin/platform/audit-events?action=users.list&include_total=true",
            Some(&admin.token),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()["total"].as_u64().expect("a total")
    };
    for (setting, expected) in [(None, 0), (Some("false"), 0), (Some("true"), 1)] {
        let mut serve = admin_api(&db, &key);
        if let Some(value) = setting {
            serve.env("ADMIN_API_AUDIT_READS", value);
        }
        let served = Served::start(serve);
        let before = listed_reads(&served);
        let users = served.get("/v1/admin/platform/users", Some(&admin.token));
        assert_eq!(users.status, 200, "{users:?}");
        assert_eq!(
            listed_reads(&served) - before,
            expected,
            "ADMIN_API_AUDIT_READS={setting:?}"
        );
    }
}
