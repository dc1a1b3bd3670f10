//! What a new user meets in the first ten minutes: the help, the errors of a database that
//! is not there or not supported, and the first lines `serve` logs.

use std::net::TcpListener;

use admin_adapters::RootKey;
use admin_adapters::testing::{Backend, TestDatabase};

use super::process::*;

#[test]
fn the_help_says_what_the_command_is_for() {
    for flag in ["--help", "-h"] {
        let ran = run(admin_api_at("sqlite://unused.db", "00"), &[flag]);
        assert_eq!(ran.code, Some(0), "{ran:?}");
        let first = ran.stdout.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "Serves the platform admin API, and administers its data: organizations, users, \
             memberships, workspaces and tokens.",
            "{flag}"
        );
    }
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn a_database_that_cannot_be_reached_is_named_with_the_cause_never_the_password() {
    let port = closed_port();
    let url = format!("postgres://alice:hunter2@127.0.0.1:{port}/admin");
    let key = RootKey::generate().to_hex();
    for args in [
        &["migrate"][..],
        &["user", "create", "--email", "a@example.com"],
    ] {
        let ran = run(admin_api_at(&url, &key), args);
        let line = ran.failure(1);
        assert!(line.contains("Connection refused"), "{args:?}: {line}");
        assert!(
            line.contains(&format!("127.0.0.1:{port}/admin as alice")),
            "{args:?}: {line}"
        );
        assert!(!ran.stderr.contains("hunter2"), "{args:?}: {ran:?}");
    }
    let ran = run(
        admin_api_at("postgres://alice:hunter2@nosuchhost.invalid/admin", &key),
        &["migrate"],
    );
    let line = ran.failure(1);
    assert!(line.contains("nosuchhost.invalid:5432/admin"), "{line}");
    assert!(!ran.stderr.contains("hunter2"), "{ran:?}");
}

#[test]
fn a_database_url_of_another_kind_names_the_variable_once() {
    let ran = run(admin_api_at("mysql://x", "00"), &["migrate"]);
    assert_eq!(
        ran.failure(1),
        "error: DATABASE_URL must start with postgres://, postgresql:// or sqlite://"
    );
}

/// The first line names the instance; the `serving` line names the build, the data (without credentials), both addresses and
/// whether cleanups are scheduled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_lines_of_serve_say_what_runs_where() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDatabase::new(backend).await else {
            continue;
        };
        let key = RootKey::generate().to_hex();
        let served = Served::start(admin_api(&db, &key));
        let line: serde_json::Value =
            serde_json::from_str(&served.logged("\"serving\"")).expect("a JSON line");
        let fields = &line["fields"];
        assert_eq!(fields["version"], env!("CARGO_PKG_VERSION"), "{line}");
        assert_eq!(
            fields["address"],
            format!("127.0.0.1:{}", served.port),
            "{line}"
        );
        assert_eq!(
            fields["management_address"],
            format!("127.0.0.1:{}", served.management_port),
            "{line}"
        );
        assert_eq!(fields["cleanup_schedule"], "off", "{line}");
        let instance = fields["instance_id"].as_str().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(instance).is_ok(), "{line}");
        let log = served.log();
        let first: serde_json::Value =
            serde_json::from_str(log.lines().next().unwrap_or_default()).expect("a JSON line");
        assert_eq!(first["fields"]["instance_id"], instance, "{log}");
        let database = fields["database"].as_str().unwrap_or_default();
        match backend {
            Backend::Sqlite => {
                assert_eq!(fields["backend"], "sqlite", "{line}");
                assert_eq!(Some(database), db.url.strip_prefix("sqlite://"), "{line}");
            }
            Backend::Postgres => {
                assert_eq!(fields["backend"], "postgres", "{line}");
                let name = db.url.rsplit('/').next().unwrap_or_default();
                assert!(database.contains(&format!("/{name}")), "{line}");
                assert!(!database.contains("://"), "{line}");
            }
        }
    }
}
