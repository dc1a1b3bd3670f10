use admin_adapters::on_both_backends;
use admin_adapters::testing::{BusyLoops, TestDatabase};
use admin_adapters::{BiscuitAuthority, RootKey};
use admin_domain::*;

use super::process::*;

on_both_backends!(
    the_commands_build_a_platform_printing_only_ids_and_tokens,
    bad_input_is_one_clear_line_on_stderr_and_a_non_zero_exit,
    conflicts_and_unknown_references_are_one_clear_line,
    a_revoked_token_no_longer_authenticates,
    seed_writes_the_rows_asked_for,
    a_key_rotation_keeps_old_tokens_working_while_the_old_key_is_listed,
    a_token_cannot_be_scoped_to_an_organization_its_user_is_not_in,
    a_token_is_revoked_from_standard_input_or_by_its_id,
    revoking_refuses_what_it_cannot_revoke_with_one_line,
);

fn is_uuid(text: &str) -> bool {
    text.len() == 36 && text.parse::<UserId>().is_ok()
}

/// A token the CLI printed: what it says once verified, and how long its record lives (s).
async fn issued(db: &TestDatabase, key: &str, token: &str) -> (VerifiedToken, i64) {
    let verified = BiscuitAuthority::new(&RootKey::parse(key).unwrap())
        .verify(&BearerToken::parse(token).unwrap())
        .await
        .unwrap();
    let record = db
        .database
        .token_record(&verified.revocation_id)
        .await
        .unwrap()
        .expect("recorded");
    let lifetime = record.expires_at.unix_seconds() - record.issued_at.unix_seconds();
    (verified, lifetime)
}

async fn the_commands_build_a_platform_printing_only_ids_and_tokens(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);

    let platform = run(
        cli(),
        &["org", "create", "--name", "Platform", "--platform"],
    )
    .line();
    let user = run(
        cli(),
        &[
            "user",
            "create",
            "--email",
            "Admin@Example.com",
            "--name",
            "Ada",
        ],
    )
    .line();
    let member = run(
        cli(),
        &[
            "member", "add", "--org", &platform, "--user", &user, "--role", "admin",
        ],
    );
    let workspace = run(
        cli(),
        &[
            "workspace",
            "create",
            "--org",
            &platform,
            "--name",
            "Ops",
            "--slug",
            "ops",
        ],
    )
    .line();
    let token = run(
        cli(),
        &[
            "token", "issue", "--user", &user, "--org", &platform, "--ttl", "12h",
        ],
    )
    .line();

    assert!(is_uuid(&platform) && is_uuid(&user) && is_uuid(&workspace));
    assert_eq!(
        (member.code, member.stdout.as_str()),
        (Some(0), ""),
        "member add creates no id"
    );
    let organization = db
        .database
        .find_organization(platform.parse().unwrap())
        .await
        .unwrap()
        .expect("stored")
        .organization;
    assert!(organization.is_platform);
    assert_eq!(organization.slug.as_str(), "platform");
    let stored = db
        .database
        .find_user(user.parse().unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.email.as_str(), "admin@example.com");
    assert_eq!(
        db.database
            .role_in(stored.id, organization.id)
            .await
            .unwrap(),
        Some(Role::Admin)
    );

    let (verified, lifetime) = issued(&db, &key, &token).await;
    assert_eq!(
        (verified.user_id, verified.organization_id),
        (stored.id, Some(organization.id))
    );
    assert!((43_199..=43_200).contains(&lifetime), "{lifetime}");
    let workspaces = db
        .database
        .workspaces(&WorkspaceFilter::default(), &first(10))
        .await
        .unwrap()
        .rows;
    assert_eq!(
        workspaces
            .iter()
            .map(|w| (w.id.to_string(), w.name.as_str(), w.slug.as_str()))
            .collect::<Vec<_>>(),
        [(workspace.clone(), "Ops", "ops")],
        "the workspace as asked for"
    );

    let again = run(
        cli(),
        &[
            "member", "add", "--org", &platform, "--user", &user, "--role", "viewer",
        ],
    );
    assert_eq!(again.code, Some(0));
    assert_eq!(
        db.database
            .role_in(stored.id, organization.id)
            .await
            .unwrap(),
        Some(Role::Viewer),
        "again: changes the role"
    );

    let generated = run(cli(), &["keygen"]).line();
    assert!(generated.len() == 64 && generated.bytes().all(|b| b.is_ascii_hexdigit()));

    let named = run(
        cli(),
        &[
            "user",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
        ],
    )
    .line();
    let named = db
        .database
        .find_user(named.parse().unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(named.display_name.as_ref().map(Name::as_str), Some("Ada"));
    let short = run(cli(), &["token", "issue", "--user", &user]).line();
    let (short, lifetime) = issued(&db, &key, &short).await;
    assert_eq!(short.organization_id, None, "no --org: an unscoped token");
    assert!(
        (899..=900).contains(&lifetime),
        "--ttl defaults to 15m: {lifetime}"
    );

    let acme = run(
        cli(),
        &["org", "create", "--name", "Acme Corp", "--slug", "acme-co"],
    )
    .line();
    let acme = db
        .database
        .find_organization(acme.parse().unwrap())
        .await
        .unwrap()
        .expect("stored")
        .organization;
    assert_eq!(
        (acme.name.as_str(), acme.slug.as_str(), acme.is_platform),
        ("Acme Corp", "acme-co", false)
    );
}

async fn bad_input_is_one_clear_line_on_stderr_and_a_non_zero_exit(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let cases: [(&[&str], &str); 8] = [
        (&["org", "create"], "--name"),
        (
            &["org", "create", "--name", "X", "--slug", "Not A Slug"],
            "slug",
        ),
        (&["user", "create", "--email", "not-an-email"], "email"),
        (
            &[
                "member", "add", "--org", "nope", "--user", "nope", "--role", "admin",
            ],
            "organization id is not a UUID",
        ),
        (
            &[
                "member",
                "add",
                "--org",
                &UserId::generate().to_string(),
                "--user",
                &UserId::generate().to_string(),
                "--role",
                "boss",
            ],
            "role",
        ),
        (
            &[
                "token",
                "issue",
                "--user",
                &UserId::generate().to_string(),
                "--ttl",
                "forever",
            ],
            "ttl",
        ),
        (&["seed", "--users", "many"], "--users"),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, mentions) in cases {
        let line = run(cli(), args).failure(2);
        assert!(line.contains(mentions), "{args:?}: {line}");
    }
}

async fn conflicts_and_unknown_references_are_one_clear_line(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    run(
        cli(),
        &["org", "create", "--name", "Platform", "--platform"],
    )
    .line();
    run(cli(), &["user", "create", "--email", "a@example.com"]).line();
    let unknown = UserId::generate().to_string();

    let cases: [(&[&str], &str); 6] = [
        (&["seed", "--users", "20000000"], "at most"),
        (
            &["org", "create", "--name", "Other", "--platform"],
            "a platform organization already exists",
        ),
        (
            &["org", "create", "--name", "Platform"],
            "an organization already has this slug",
        ),
        (
            &["user", "create", "--email", "A@example.com"],
            "a user already has this email",
        ),
        (&["token", "issue", "--user", &unknown], "no user"),
        (&["token", "revoke", "bm90LWEtdG9rZW4"], "cannot revoke"),
    ];
    for (args, says) in cases {
        let line = run(cli(), args).failure(1);
        assert!(line.contains(says), "{args:?}: {line}");
    }
}

async fn a_revoked_token_no_longer_authenticates(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let user = run(cli(), &["user", "create", "--email", "a@example.com"]).line();
    let token = run(cli(), &["token", "issue", "--user", &user]).line();

    let revoked = run(cli(), &["token", "revoke", &token]);

    assert_eq!((revoked.code, revoked.stdout.as_str()), (Some(0), ""));
    let authority = BiscuitAuthority::new(&RootKey::parse(&key).unwrap());
    let revocation_id = authority
        .verify(&BearerToken::parse(&token).unwrap())
        .await
        .unwrap()
        .revocation_id;
    let record = db
        .database
        .token_record(&revocation_id)
        .await
        .unwrap()
        .expect("kept until cleanup");
    assert!(record.revoked_at.is_some());
}

async fn seed_writes_the_rows_asked_for(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let seeded = run(
        admin_api(&db, &key),
        &[
            "seed",
            "--users",
            "30",
            "--orgs",
            "3",
            "--workspaces",
            "7",
            "--expired-tokens",
            "11",
        ],
    );
    assert_eq!(
        (seeded.code, seeded.stdout.as_str()),
        (Some(0), ""),
        "{seeded:?}"
    );
    let page = first(100);
    let users = db.database.users(&Default::default(), &page).await;
    let organizations = db.database.organizations(&Default::default(), &page).await;
    let workspaces = db.database.workspaces(&Default::default(), &page).await;
    let (users, organizations, workspaces) = (
        users.unwrap().rows,
        organizations.unwrap().rows,
        workspaces.unwrap().rows,
    );
    assert_eq!(
        (users.len(), organizations.len(), workspaces.len()),
        (30, 3, 7)
    );
    let members: u64 = organizations.iter().map(|o| o.member_count).sum();
    assert_eq!(members, 30);
    assert_eq!(db.database.count_stale(Timestamp::now()).await.unwrap(), 11);
}

#[tokio::test]
async fn without_configuration_the_data_lives_in_a_fresh_sqlite_file_and_key_under_data() {
    let folder = tempfile::tempdir().unwrap();
    let cli = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_admin-api"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(folder.path());
        command
    };

    let user = run(cli(), &["user", "create", "--email", "first@example.com"]).line();
    assert!(
        folder.path().join("data/admin-api.db").exists(),
        "created and migrated on first use"
    );
    assert!(
        !folder.path().join("data/root-key").exists(),
        "no key until one is needed"
    );
    let first = run(cli(), &["token", "issue", "--user", &user]);
    let second = run(cli(), &["token", "issue", "--user", &user]);

    assert_eq!(first.code, Some(0));
    assert!(
        first.stderr.contains("created a new root key file"),
        "{first:?}"
    );
    assert!(
        !second.stderr.contains("created a new root key file"),
        "the key is reused"
    );
    let key = folder.path().join("data/root-key");
    let hex = std::fs::read_to_string(&key).unwrap();
    let authority = BiscuitAuthority::new(&RootKey::parse(&hex).unwrap());
    for token in [first.line(), second.line()] {
        assert!(
            authority
                .verify(&BearerToken::parse(&token).unwrap())
                .await
                .is_ok(),
            "signed with the stored key"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

async fn a_key_rotation_keeps_old_tokens_working_while_the_old_key_is_listed(db: TestDatabase) {
    let (old, new) = (RootKey::generate().to_hex(), RootKey::generate().to_hex());
    let user = run(
        admin_api(&db, &old),
        &["user", "create", "--email", "a@example.com"],
    )
    .line();
    let old_token = run(admin_api(&db, &old), &["token", "issue", "--user", &user]).line();
    let rotated = || {
        let mut command = admin_api(&db, &new);
        command.env("ADMIN_API_PREVIOUS_ROOT_KEYS", &old);
        command
    };

    let revoked = run(rotated(), &["token", "revoke", &old_token]);
    assert_eq!(
        revoked.code,
        Some(0),
        "a token signed with the previous key is still ours: {revoked:?}"
    );
    let new_token = run(rotated(), &["token", "issue", "--user", &user]).line();
    let new_authority = BiscuitAuthority::new(&RootKey::parse(&new).unwrap());
    assert!(
        new_authority
            .verify(&BearerToken::parse(&new_token).unwrap())
            .await
            .is_ok(),
        "signed with the new key"
    );

    let line = run(admin_api(&db, &new), &["token", "revoke", &new_token]);
    assert_eq!(line.code, Some(0));
    let refused = run(admin_api(&db, &new), &["token", "revoke", &old_token]).failure(1);
    assert!(refused.contains("cannot revoke"), "{refused}");
}

async fn a_token_cannot_be_scoped_to_an_organization_its_user_is_not_in(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let platform = run(
        cli(),
        &["org", "create", "--name", "Platform", "--platform"],
    )
    .line();
    let user = run(cli(), &["user", "create", "--email", "a@example.com"]).line();

    let refused = run(
        cli(),
        &["token", "issue", "--user", &user, "--org", &platform],
    )
    .failure(1);

    assert_eq!(
        refused,
        "error: cannot issue: the user is not a member of the organization"
    );
    assert_eq!(
        db.database.count_stale(Timestamp::MAX).await.unwrap(),
        0,
        "nothing recorded"
    );
    run(
        cli(),
        &[
            "member", "add", "--org", &platform, "--user", &user, "--role", "viewer",
        ],
    );
    run(
        cli(),
        &["token", "issue", "--user", &user, "--org", &platform],
    )
    .line();
}

async fn a_token_is_revoked_from_standard_input_or_by_its_id(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let user = run(cli(), &["user", "create", "--email", "a@example.com"]).line();
    let piped = run(cli(), &["token", "issue", "--user", &user]).line();
    let by_id = run(cli(), &["token", "issue", "--user", &user]).line();
    let (piped_record, _) = issued(&db, &key, &piped).await;
    let (by_id_record, _) = issued(&db, &key, &by_id).await;

    let from_stdin = run_with_input(cli(), &["token", "revoke", "-"], &format!("{piped}\n"));
    let with_id = run(
        cli(),
        &[
            "token",
            "revoke",
            "--id",
            &by_id_record.token_id.to_string(),
        ],
    );

    for outcome in [&from_stdin, &with_id] {
        assert_eq!(
            (outcome.code, outcome.stdout.as_str()),
            (Some(0), ""),
            "{outcome:?}"
        );
    }
    for revocation_id in [piped_record.revocation_id, by_id_record.revocation_id] {
        let record = db
            .database
            .token_record(&revocation_id)
            .await
            .unwrap()
            .expect("kept");
        assert!(record.revoked_at.is_some());
    }
    let again = run(
        cli(),
        &[
            "token",
            "revoke",
            "--id",
            &by_id_record.token_id.to_string(),
        ],
    );
    assert_eq!(
        again.code,
        Some(0),
        "revoking again keeps the first revocation: {again:?}"
    );
}

async fn revoking_refuses_what_it_cannot_revoke_with_one_line(db: TestDatabase) {
    let key = RootKey::generate().to_hex();
    let cli = || admin_api(&db, &key);
    let unknown = TokenId::generate().to_string();

    let cases: [(&[&str], &str, i32, &str); 4] = [
        (
            &["token", "revoke", "--id", &unknown],
            "",
            1,
            "error: cannot revoke: no record of this token",
        ),
        (
            &["token", "revoke", "-"],
            "",
            1,
            "error: no token on standard input",
        ),
        (
            &["token", "revoke", "-"],
            "not a token\n",
            1,
            "error: not a token: malformed token",
        ),
        (
            &["token", "revoke", "--id", "nope"],
            "",
            2,
            "invalid value 'nope' for '--id <ID>'",
        ),
    ];
    for (args, input, code, expected) in cases {
        let outcome = run_with_input(cli(), args, input);
        assert_eq!(outcome.code, Some(code), "{args:?}: {outcome:?}");
        assert!(outcome.stdout.is_empty(), "{outcome:?}");
        assert!(outcome.stderr.contains(expected), "{args:?}: {outcome:?}");
        assert!(!outcome.stderr.contains("panicked"), "{outcome:?}");
    }
    let both = run(cli(), &["token", "revoke", "x", "--id", &unknown]);
    assert_eq!(both.code, Some(2), "{both:?}");
    let neither = run(cli(), &["token", "revoke"]);
    assert_eq!(neither.code, Some(2), "{neither:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_database_and_key_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let cli = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_admin-api"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .current_dir(folder.path());
        command
    };
    let user = run(cli(), &["user", "create", "--email", "a@example.com"]).line();
    run(cli(), &["token", "issue", "--user", &user]).line();
    let served = Served::start(cli());
    assert_eq!(served.get("/readyz", None).status, 200);

    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let data = folder.path().join("data");
    assert_eq!(mode(&data), 0o700);
    let files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "admin-api.db",
        "admin-api.db-wal",
        "admin-api.db-shm",
        "root-key",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[test]
fn a_key_file_others_can_read_is_warned_about_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("shared-key");
    std::fs::write(&path, RootKey::generate().to_hex()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let database = format!("sqlite://{}", folder.path().join("admin.db").display());
    let mut command = admin_api_at(&database, "");
    command
        .env_remove("ADMIN_API_ROOT_KEY")
        .env("ADMIN_API_ROOT_KEY_FILE", &path);

    let user = run(command, &["user", "create", "--email", "a@example.com"]).line();
    let mut command = admin_api_at(&database, "");
    command
        .env_remove("ADMIN_API_ROOT_KEY")
        .env("ADMIN_API_ROOT_KEY_FILE", &path);
    let issued = run(command, &["token", "issue", "--user", &user]);

    assert_eq!(issued.code, Some(0), "{issued:?}");
    let warning = issued
        .stderr
        .lines()
        .find(|line| line.contains("can be read by other users"))
        .unwrap_or_else(|| panic!("a warning: {issued:?}"));
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut command = admin_api_at(&database, "");
    command
        .env_remove("ADMIN_API_ROOT_KEY")
        .env("ADMIN_API_ROOT_KEY_FILE", &path);
    let quiet = run(command, &["token", "issue", "--user", &user]);
    assert!(
        !quiet.stderr.contains("can be read by other users"),
        "{quiet:?}"
    );
}

/// The first `rows` rows of a listing, oldest first.
fn first(rows: usize) -> Seek {
    Seek {
        order: Order::Asc,
        after: Position::FIRST,
        rows,
        total: false,
    }
}

/// Seeding 200,000 users on the embedded SQLite default, three times in a row, while two other
/// processes keep the cores busy: every run succeeds and records its event (its concurrent
/// batches used to outwait SQLite's busy timeout: `database is locked`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_sqlite_succeeds_while_other_processes_keep_the_cores_busy() {
    let Some(db) = TestDatabase::new(admin_adapters::testing::Backend::Sqlite).await else {
        return;
    };
    let key = RootKey::generate().to_hex();
    let _busy = BusyLoops::start(2).expect("sh runs");
    for _ in 0..3 {
        let seeded = run(admin_api(&db, &key), &["seed", "--users", "200000"]);
        assert_eq!(
            (seeded.code, seeded.stdout.as_str()),
            (Some(0), ""),
            "{seeded:?}"
        );
    }
    let users = db
        .database
        .users(
            &Default::default(),
            &Seek {
                total: true,
                ..first(1)
            },
        )
        .await
        .unwrap();
    assert_eq!(users.total, Some(600_000));
    let seeds = db
        .database
        .events(
            &AuditFilter {
                action: Some("seed".to_owned()),
                ..AuditFilter::default()
            },
            &Seek {
                total: true,
                ..first(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(seeds.total, Some(3));
}
