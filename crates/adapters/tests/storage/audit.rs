//! The audit trail on real databases: events read back as written, in one chain however many
//! pools append, written with their change or not at all, and tampering named.

use std::collections::HashSet;

use admin_adapters::database::{DatabaseUrl, PoolSettings};
use admin_adapters::testing::TestDatabase;
use admin_adapters::{Database, on_both_backends};
use admin_domain::*;
use futures_util::future::{join, join_all};

use super::fixtures::{self, *};

on_both_backends!(
    an_event_reads_back_with_every_field_as_written,
    events_are_listed_by_filter_in_both_orders_with_exact_totals,
    a_change_whose_event_cannot_be_written_does_not_happen,
    a_revocation_that_changes_nothing_records_nothing,
    appends_from_two_pools_at_once_form_one_chain,
    two_instances_batching_reads_beside_changes_form_one_chain,
    an_edited_event_is_named,
    a_deleted_event_names_the_one_after_the_gap,
    a_deleted_newest_event_or_one_added_past_the_head_is_named,
);

/// An event from the API, with an actor, a target and details of every kind.
fn api_event(action: Action, target: Option<Target>, at: Timestamp) -> AuditEntry {
    let origin = Origin::Api {
        actor: Actor {
            user_id: UserId::generate(),
            token_id: TokenId::generate(),
        },
        request_id: "req-1".to_owned(),
    };
    AuditEntry {
        at,
        ..AuditEntry::new(
            &origin,
            action,
            target,
            Details::new()
                .with("email_prefix", "é\"\\\n\u{1}x".to_owned())
                .with("count", 7u64)
                .with("dry_run", false)
                .with("organization_id", None::<OrganizationId>),
        )
    }
}

async fn all_events(db: &Database, filter: &AuditFilter, order: Order) -> Vec<AuditEvent> {
    let read = async |seek: Seek| db.events(filter, &seek).await.expect("reads");
    let rows = walk(Listing::AuditEvents, order, 2, read, async || {}).await;
    assert!(strictly_ordered(&rows, order));
    let read = async |seek: Seek| db.events(filter, &seek).await.expect("counts");
    assert_eq!(
        total(read).await,
        rows.len() as u64,
        "{filter:?}: the total"
    );
    rows
}

fn intact(events: u64, check: &ChainCheck) -> bool {
    matches!(check, ChainCheck::Intact { events: n, .. } if *n == events)
}

async fn an_event_reads_back_with_every_field_as_written(db: TestDatabase) {
    let db = db.database.clone();
    let first = api_event(
        Action::TokenRevoke,
        Some(Target::token(TokenId::generate())),
        at(5),
    );
    let second = event(Action::Seed);
    db.append(&first).await.expect("appends");
    db.append(&second).await.expect("appends");

    let events = all_events(&db, &AuditFilter::default(), Order::Asc).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].entry, first, "every field");
    assert_eq!(events[1].entry, second);
    assert_eq!(events[0].prev_hash, "0".repeat(64));
    assert_eq!(events[1].prev_hash, events[0].hash);
    assert_eq!(events[0].hash.len(), 64);
    let head = db.head().await.expect("head");
    assert_eq!(
        (head.events, head.hash.clone()),
        (2, events[1].hash.clone())
    );
    assert_eq!(
        db.verify().await.expect("verifies"),
        ChainCheck::Intact {
            events: 2,
            head: head.hash
        }
    );
}

async fn events_are_listed_by_filter_in_both_orders_with_exact_totals(db: TestDatabase) {
    let db = db.database.clone();
    let user = UserId::generate();
    let entries: Vec<AuditEntry> = (0..6)
        .map(|i| {
            let action = if i % 2 == 0 {
                Action::TokenRevoke
            } else {
                Action::UserCreate
            };
            let mut entry = api_event(action, Some(Target::user(user)), at(10 * i));
            if i >= 4 {
                entry.target = None;
            }
            entry
        })
        .collect();
    for entry in &entries {
        db.append(entry).await.expect("appends");
    }
    let actor = entries[3].actor.expect("an actor").user_id;
    let ids = |events: Vec<AuditEvent>| -> Vec<AuditEventId> {
        events.into_iter().map(|e| e.entry.id).collect()
    };
    let of =
        |picks: &[usize]| -> Vec<AuditEventId> { picks.iter().map(|&i| entries[i].id).collect() };
    let cases = [
        (AuditFilter::default(), of(&[0, 1, 2, 3, 4, 5])),
        (
            AuditFilter {
                action: Some("token.revoke".to_owned()),
                ..AuditFilter::default()
            },
            of(&[0, 2, 4]),
        ),
        (
            AuditFilter {
                actor_user_id: Some(actor),
                ..AuditFilter::default()
            },
            of(&[3]),
        ),
        (
            AuditFilter {
                target_id: Some(user.as_uuid()),
                ..AuditFilter::default()
            },
            of(&[0, 1, 2, 3]),
        ),
        (
            AuditFilter {
                since: Some(at(10)),
                until: Some(at(40)),
                ..AuditFilter::default()
            },
            of(&[1, 2, 3]),
        ),
        (
            AuditFilter {
                action: Some("user.delete".to_owned()),
                ..AuditFilter::default()
            },
            Vec::new(),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(all_events(&db, &filter, Order::Asc).await),
            expected,
            "{filter:?}"
        );
        let mut newest_first = expected.clone();
        newest_first.reverse();
        assert_eq!(
            ids(all_events(&db, &filter, Order::Desc).await),
            newest_first,
            "{filter:?}"
        );
    }
}

/// Makes every insert of an event fail, as a full disk or a broken constraint would.
async fn refuse_events(db: &Database) {
    let sql = if db.is_postgres() {
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no events'; END $$; \
         CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse();"
    } else {
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'no events'); END;"
    };
    db.execute_raw(sql).await.expect("the trigger is made");
}

async fn a_change_whose_event_cannot_be_written_does_not_happen(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let organization = stored_organization(&db, "acme", false).await;
    let now = Timestamp::now();
    let live = token(user.id, now.saturating_add(hours(1)), None);
    let stale = token(user.id, now.saturating_sub(hours(1)), None);
    db.record(&[live.clone(), stale.clone()], &[])
        .await
        .expect("recorded");
    refuse_events(&db).await;

    let newcomer = fixtures::user(2, now);
    assert!(
        db.add_users(
            std::slice::from_ref(&newcomer),
            &[event(Action::UserCreate)]
        )
        .await
        .is_err()
    );
    assert_eq!(
        db.find_user(newcomer.id).await.expect("reads"),
        None,
        "no user"
    );
    let membership = Membership {
        user_id: user.id,
        organization_id: organization.id,
        role: Role::Admin,
        joined_at: now,
    };
    assert!(
        db.set_memberships(&[membership], &[event(Action::MembershipSet)])
            .await
            .is_err()
    );
    assert_eq!(
        db.role_in(user.id, organization.id).await.expect("reads"),
        None,
        "no membership"
    );
    assert!(
        db.revoke(live.id, now, &event(Action::TokenRevoke))
            .await
            .is_err()
    );
    let seek = Seek {
        order: Order::Asc,
        after: Position::start(Order::Asc),
        rows: 10,
        total: false,
    };
    let rows = async |filter: TokenFilter| {
        let read = db.tokens_of(user.id, &filter, &seek).await;
        read.map(|read| read.rows)
    };
    let revoked = TokenFilter {
        state: Some(TokenState::Revoked),
        at: now,
    };
    assert!(
        rows(revoked).await.expect("reads").is_empty(),
        "nothing revoked"
    );
    let event_all = event(Action::UserRevokeTokens).counting("revoked_count");
    assert!(db.revoke_all(user.id, now, &event_all).await.is_err());
    assert!(
        rows(revoked).await.expect("reads").is_empty(),
        "still nothing revoked"
    );
    assert!(
        db.delete_stale(now, 100, &event(Action::TokensCleanup))
            .await
            .is_err()
    );
    let all = TokenFilter {
        state: None,
        at: now,
    };
    assert_eq!(rows(all).await.expect("reads").len(), 2, "nothing deleted");
    assert!(db.append(&event(Action::Seed)).await.is_err());
    assert!(
        intact(0, &db.verify().await.expect("verifies")),
        "the chain is untouched"
    );
}

async fn a_revocation_that_changes_nothing_records_nothing(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let now = Timestamp::now();
    let record = token(user.id, now.saturating_add(hours(1)), None);
    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");
    let revoke = event(Action::TokenRevoke);
    db.revoke(record.id, now, &revoke).await.expect("revokes");
    db.revoke(record.id, now, &event(Action::TokenRevoke))
        .await
        .expect("again");
    let all = event(Action::UserRevokeTokens).counting("revoked_count");
    assert_eq!(
        db.revoke_all(user.id, now, &all)
            .await
            .expect("revokes none"),
        0
    );
    assert_eq!(
        db.delete_stale(at(0), 10, &event(Action::TokensCleanup))
            .await
            .expect("none"),
        0
    );

    let events = all_events(&db, &AuditFilter::default(), Order::Asc).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entry, revoke);
}

async fn appends_from_two_pools_at_once_form_one_chain(db: TestDatabase) {
    let first = db.database.clone();
    let second = first.another_pool(4).expect("a second pool");
    let user = stored_user(&first).await;
    let now = Timestamp::now();
    let records: Vec<TokenRecord> = (0..40)
        .map(|_| token(user.id, now.saturating_add(hours(1)), None))
        .collect();
    first.record(&records, &[]).await.expect("recorded");
    let revocations = records.iter().enumerate().map(|(i, record)| {
        let db = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let id = record.id;
        async move {
            db.revoke(id, now, &event(Action::TokenRevoke))
                .await
                .expect("revokes");
            db.append(&event(Action::UsersList)).await.expect("appends");
        }
    });
    join_all(revocations).await;
    assert!(intact(80, &first.verify().await.expect("verifies")));
    assert_eq!(first.head().await.expect("head").events, 80);
}

/// Two instances, each with its own batching appender (which chains a batch on the head it
/// saw last, and chains it again when another instance or a change moved the head), append
/// reads at once beside revocations: one chain, every event in it once.
async fn two_instances_batching_reads_beside_changes_form_one_chain(db: TestDatabase) {
    let url = DatabaseUrl::parse(&db.url).expect("a URL");
    let first = db.database.clone();
    let second = Database::open(url, PoolSettings::default())
        .await
        .expect("a second instance");
    let user = stored_user(&first).await;
    let now = Timestamp::now();
    let records: Vec<TokenRecord> = (0..20)
        .map(|_| token(user.id, now.saturating_add(hours(1)), None))
        .collect();
    first.record(&records, &[]).await.expect("recorded");
    let reads = (0..200).map(|i| {
        let db = if i % 2 == 0 { &first } else { &second };
        async move { db.append(&event(Action::UsersList)).await.expect("appends") }
    });
    let changes = records.iter().enumerate().map(|(i, record)| {
        let db = if i % 2 == 0 { &second } else { &first };
        async move {
            db.revoke(record.id, now, &event(Action::TokenRevoke))
                .await
                .expect("revokes");
        }
    });
    join(join_all(reads), join_all(changes)).await;
    assert!(intact(220, &first.verify().await.expect("verifies")));
    let ids: HashSet<AuditEventId> = all_events(&first, &AuditFilter::default(), Order::Asc)
        .await
        .iter()
        .map(|event| event.entry.id)
        .collect();
    assert_eq!(ids.len(), 220, "every event once");
}

/// `n` events appended: their ids, oldest first.
async fn chain_of(db: &Database, n: usize) -> Vec<AuditEventId> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let entry = event(Action::UserCreate);
        db.append(&entry).await.expect("appends");
        ids.push(entry.id);
    }
    ids
}

fn broken(check: ChainCheck) -> (u64, String, ChainBreak) {
    match check {
        ChainCheck::Broken { seq, id, problem } => (seq, id, problem),
        intact => panic!("the chain still verifies: {intact:?}"),
    }
}

async fn an_edited_event_is_named(db: TestDatabase) {
    let db = db.database.clone();
    let ids = chain_of(&db, 5).await;
    db.execute_raw("UPDATE audit_events SET action = 'seed' WHERE seq = 3")
        .await
        .expect("edited");
    let (seq, id, problem) = broken(db.verify().await.expect("verifies"));
    assert_eq!(
        (seq, id, problem),
        (3, ids[2].to_string(), ChainBreak::Content)
    );
}

async fn a_deleted_event_names_the_one_after_the_gap(db: TestDatabase) {
    let db = db.database.clone();
    let ids = chain_of(&db, 5).await;
    db.execute_raw("DELETE FROM audit_events WHERE seq = 2")
        .await
        .expect("deleted");
    let (seq, id, problem) = broken(db.verify().await.expect("verifies"));
    assert_eq!(
        (seq, id, problem),
        (3, ids[2].to_string(), ChainBreak::Link)
    );
}

async fn a_deleted_newest_event_or_one_added_past_the_head_is_named(db: TestDatabase) {
    let db = db.database.clone();
    let ids = chain_of(&db, 3).await;
    db.execute_raw("DELETE FROM audit_events WHERE seq = 3")
        .await
        .expect("deleted");
    let (seq, id, problem) = broken(db.verify().await.expect("verifies"));
    assert_eq!(
        (seq, id, problem),
        (2, ids[1].to_string(), ChainBreak::Head)
    );

    // A copy of the second event, added as the fourth: its link is wrong.
    db.execute_raw(
        "INSERT INTO audit_events (seq, id, at, action, via, details, prev_hash, hash) \
         SELECT 4, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', at, action, via, details, prev_hash, hash \
         FROM audit_events WHERE seq = 2",
    )
    .await
    .expect("inserted");
    let (seq, _, problem) = broken(db.verify().await.expect("verifies"));
    assert_eq!((seq, problem), (4, ChainBreak::Link));
}
