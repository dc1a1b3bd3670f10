//! `admin-api audit verify` and `audit head` on both backends: a chain that holds, and one
//! tampered with in the database, named.

use admin_adapters::RootKey;
use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;

use super::process::*;

on_both_backends!(verify_holds_then_names_the_event_edited_behind_its_back);

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
