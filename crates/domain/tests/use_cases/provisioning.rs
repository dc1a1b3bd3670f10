use std::time::Duration;

use admin_domain::*;

use super::support::{World, ready};

fn existing_user(world: &mut World) {
    world.directory.expect_find_user().returning(|id| {
        ready(Ok(Some(User {
            id,
            email: Email::parse("ada@example.com").expect("an email"),
            display_name: None,
            is_active: true,
            created_at: Timestamp::now(),
        })))
    });
}

fn existing_organization(world: &mut World) {
    world.directory.expect_find_organization().returning(|id| {
        ready(Ok(Some(OrganizationSummary {
            organization: Organization {
                id,
                name: Name::parse("Acme").expect("a name"),
                slug: Slug::parse("acme").expect("a slug"),
                is_platform: false,
                created_at: Timestamp::now(),
            },
            member_count: 0,
            workspace_count: 0,
        })))
    });
}

fn membership(world: &mut World, role: Option<Role>) {
    world
        .access
        .expect_role_in()
        .returning(move |_, _| ready(Ok(role)));
}

#[tokio::test]
async fn an_issued_token_is_recorded_with_its_claims_and_a_whole_second_expiry() {
    let mut world = World::default();
    existing_user(&mut world);
    existing_organization(&mut world);
    membership(&mut world, Some(Role::Member));
    let (user, organization) = (UserId::generate(), OrganizationId::generate());
    world
        .authority
        .expect_issue()
        .withf(move |claims| claims.user_id == user && claims.organization_id == Some(organization))
        .returning(|_| {
            Ok(IssuedToken {
                token: "signed".to_owned(),
                revocation_id: RevocationId::parse("cafe").expect("hex"),
            })
        });
    world
        .tokens
        .expect_record()
        .withf(move |records, _| {
            let record = &records[0];
            let lifetime = record.expires_at.unix_micros() - record.issued_at.unix_micros();
            records.len() == 1
                && record.user_id == user
                && record.organization_id == Some(organization)
                && record.revocation_id.as_str() == "cafe"
                && record.revoked_at.is_none()
                && record.expires_at.unix_micros() % 1_000_000 == 0
                && (899_000_000..=900_000_000).contains(&lifetime)
        })
        .times(1)
        .returning(|_, _| ready(Ok(())));
    let ttl = Ttl::parse("15m").expect("valid");

    let issued = world
        .service()
        .issue_token(user, Some(organization), ttl)
        .await
        .expect("issues");

    assert_eq!(issued.token, "signed");
}

#[tokio::test]
async fn a_token_for_an_unknown_user_is_not_issued() {
    let mut world = World::default();
    world
        .directory
        .expect_find_user()
        .returning(|_| ready(Ok(None)));
    world.authority.expect_issue().never();
    world.tokens.expect_record().never();
    let ttl = Ttl::parse("1h").expect("valid");

    let outcome = world
        .service()
        .issue_token(UserId::generate(), None, ttl)
        .await;

    assert!(matches!(outcome, Err(AdminError::NotFound(Missing::User))));
}

#[tokio::test]
async fn a_token_scoped_to_an_organization_its_user_is_not_a_member_of_is_not_issued() {
    let mut world = World::default();
    existing_user(&mut world);
    existing_organization(&mut world);
    membership(&mut world, None);
    world.authority.expect_issue().never();
    world.tokens.expect_record().never();
    let ttl = Ttl::parse("1h").expect("valid");

    let outcome = world
        .service()
        .issue_token(UserId::generate(), Some(OrganizationId::generate()), ttl)
        .await;

    assert!(matches!(outcome, Err(AdminError::NotAMember)));
}

#[tokio::test]
async fn a_token_is_revoked_by_the_id_its_authority_block_names() {
    let mut world = World::default();
    let token_id = TokenId::generate();
    let at = Timestamp::now();
    world.authority.expect_verify().returning(move |_| {
        ready(Ok(VerifiedToken {
            token_id,
            user_id: UserId::generate(),
            organization_id: None,
            revocation_id: RevocationId::parse("beef").expect("hex"),
        }))
    });
    world
        .tokens
        .expect_revoke()
        .withf(move |id, _, _| *id == token_id)
        .times(1)
        .returning(move |_, _, _| {
            ready(Ok(Some(Revocation {
                revoked_at: at,
                already_revoked: true,
            })))
        });
    let token = BearerToken::parse("abc").expect("well formed");

    let revocation = world
        .service()
        .revoke_text_by_operator(&token)
        .await
        .expect("revoked");

    assert_eq!(
        revocation,
        Revocation {
            revoked_at: at,
            already_revoked: true
        }
    );
}

#[tokio::test]
async fn revoking_a_token_unknown_to_the_store_is_not_found() {
    let mut world = World::default();
    world.authority.expect_verify().returning(|_| {
        ready(Ok(VerifiedToken {
            token_id: TokenId::generate(),
            user_id: UserId::generate(),
            organization_id: None,
            revocation_id: RevocationId::parse("beef").expect("hex"),
        }))
    });
    world
        .tokens
        .expect_revoke()
        .returning(|_, _, _| ready(Ok(None)));
    let token = BearerToken::parse("abc").expect("well formed");

    let outcome = world.service().revoke_text_by_operator(&token).await;

    assert!(matches!(outcome, Err(AdminError::NotFound(Missing::Token))));
}

#[tokio::test]
async fn revoking_a_forged_token_touches_nothing() {
    let mut world = World::default();
    world
        .authority
        .expect_verify()
        .returning(|_| ready(Err(AuthFailure::BadSignature.into())));
    world.tokens.expect_revoke().never();
    let token = BearerToken::parse("abc").expect("well formed");

    let outcome = world.service().revoke_text_by_operator(&token).await;

    assert!(matches!(
        outcome,
        Err(AdminError::Unauthenticated(AuthFailure::BadSignature))
    ));
}

#[tokio::test]
async fn an_organization_without_a_slug_gets_one_from_its_name() {
    let mut world = World::default();
    world
        .directory
        .expect_add_organizations()
        .withf(|rows, _| {
            rows.len() == 1 && rows[0].slug.as_str() == "acme-corp" && rows[0].is_platform
        })
        .times(1)
        .returning(|_, _| ready(Ok(())));
    let new = NewOrganization {
        name: Name::parse("Acme Corp").expect("valid"),
        slug: None,
        platform: true,
    };

    let organization = world
        .provisioning()
        .create_organization(new)
        .await
        .expect("creates");

    assert_eq!(organization.name.as_str(), "Acme Corp");
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict() {
    let mut world = World::default();
    world
        .directory
        .expect_add_organizations()
        .returning(|_, _| ready(Err(StoreError::Conflict(Conflict::SlugTaken))));
    let new = NewOrganization {
        name: Name::parse("Acme").expect("valid"),
        slug: None,
        platform: false,
    };

    let outcome = world.provisioning().create_organization(new).await;

    assert!(matches!(
        outcome,
        Err(AdminError::Conflict(Conflict::SlugTaken))
    ));
}

#[tokio::test]
async fn a_membership_in_an_unknown_organization_is_not_added() {
    let mut world = World::default();
    existing_user(&mut world);
    world
        .directory
        .expect_find_organization()
        .returning(|_| ready(Ok(None)));
    world.directory.expect_set_memberships().never();

    let outcome = world
        .provisioning()
        .set_membership(UserId::generate(), OrganizationId::generate(), Role::Admin)
        .await;

    assert!(matches!(
        outcome,
        Err(AdminError::NotFound(Missing::Organization))
    ));
}

#[tokio::test]
async fn seeding_writes_every_row_asked_for_in_batches() {
    use std::sync::{Arc, Mutex};
    let counts = Arc::new(Mutex::new([0usize; 5]));
    let mut world = World::default();
    let tally = |slot: usize, counts: &Arc<Mutex<[usize; 5]>>| {
        let counts = Arc::clone(counts);
        move |n: usize| {
            assert!(n <= 5_000, "batches stay bounded");
            counts.lock().expect("lock")[slot] += n;
        }
    };
    let (orgs, users, members, workspaces, tokens) = (
        tally(0, &counts),
        tally(1, &counts),
        tally(2, &counts),
        tally(3, &counts),
        tally(4, &counts),
    );
    // One event for the whole seed, once its rows are written; none of their own.
    world
        .trail
        .expect_append()
        .withf(|event| event.action == Action::Seed && event.via == Via::Cli)
        .times(1)
        .returning(|_| ready(Ok(())));
    world
        .directory
        .expect_add_organizations()
        .returning(move |rows, _| {
            orgs(rows.len());
            ready(Ok(()))
        });
    world
        .directory
        .expect_add_users()
        .returning(move |rows, _| {
            users(rows.len());
            ready(Ok(()))
        });
    world
        .directory
        .expect_set_memberships()
        .returning(move |rows, _| {
            members(rows.len());
            ready(Ok(()))
        });
    world
        .directory
        .expect_add_workspaces()
        .returning(move |rows, _| {
            workspaces(rows.len());
            ready(Ok(()))
        });
    world.tokens.expect_record().returning(move |rows, _| {
        assert!(rows.iter().all(|r| r.expires_at < Timestamp::now().saturating_sub(Duration::from_secs(3_600))));
        tokens(rows.len());
        ready(Ok(()))
    });
    let plan = SeedPlan {
        users: 12_001,
        organizations: 7,
        workspaces: 30,
        expired_tokens: 5_003,
    };

    world.provisioning().seed(plan).await.expect("seeds");

    assert_eq!(
        *counts.lock().expect("lock"),
        [7, 12_001, 12_001, 30, 5_003]
    );
}
