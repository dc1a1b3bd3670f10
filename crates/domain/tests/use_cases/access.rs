use admin_domain::*;

use super::support::{Holder, World, ready};

/// Asks whether `holder` administers `organization`, the store answering `role` for it.
async fn check(holder: &Holder, organization: &str, role: Option<Role>) -> AccessDecision {
    let caller = holder.caller().await;
    let mut world = World::default();
    world
        .access
        .expect_role_in()
        .returning(move |_, _| ready(Ok(role)));
    let query = AccessQuery::new(organization.to_owned());
    world
        .service()
        .check_access(&caller, &query)
        .await
        .expect("answers")
}

fn organization() -> String {
    OrganizationId::generate().to_string()
}

#[tokio::test]
async fn owners_and_admins_have_access_with_their_role() {
    for role in [Role::Owner, Role::Admin] {
        let decision = check(&Holder::new(), &organization(), Some(role)).await;
        assert!(decision.has_access);
        assert_eq!(decision.role, Some(AccessRole::Member(role)));
    }
}

#[tokio::test]
async fn members_and_viewers_have_no_access_but_see_their_role() {
    for role in [Role::Member, Role::Viewer] {
        let decision = check(&Holder::new(), &organization(), Some(role)).await;
        assert!(!decision.has_access);
        assert_eq!(decision.role, Some(AccessRole::Member(role)));
    }
}

#[tokio::test]
async fn non_member_gets_no_access_and_null_role() {
    let decision = check(&Holder::new(), &organization(), None).await;
    assert!(!decision.has_access);
    assert_eq!(decision.role, None);
}

#[tokio::test]
async fn an_unknown_organization_answers_exactly_like_one_not_joined() {
    let holder = Holder::new();
    let unknown = check(&holder, &organization(), None).await;
    let not_an_id = check(&holder, "not-an-organization-id", None).await;
    for decision in [unknown, not_an_id] {
        assert!(!decision.has_access);
        assert_eq!(decision.role, None);
    }
}

#[tokio::test]
async fn text_that_is_no_organization_id_is_not_looked_up() {
    let caller = Holder::new().caller().await;
    let mut world = World::default();
    world.access.expect_role_in().never();
    let query = AccessQuery::new("'; drop table users; --".to_owned());

    let decision = world
        .service()
        .check_access(&caller, &query)
        .await
        .expect("answers");

    assert_eq!(decision.organization_id, "'; drop table users; --");
    assert!(!decision.has_access);
}

#[tokio::test]
async fn a_platform_admin_who_is_not_a_member_has_access_as_platform_admin() {
    for role in [Role::Owner, Role::Admin] {
        let decision = check(&Holder::platform(role), &organization(), None).await;
        assert!(decision.has_access);
        assert_eq!(decision.role, Some(AccessRole::PlatformAdmin));
        assert_eq!(AccessRole::PlatformAdmin.as_str(), "platform_admin");
    }
}

#[tokio::test]
async fn a_platform_admin_who_is_a_member_has_access_with_their_own_role() {
    let decision = check(
        &Holder::platform(Role::Admin),
        &organization(),
        Some(Role::Viewer),
    )
    .await;
    assert!(decision.has_access);
    assert_eq!(decision.role, Some(AccessRole::Member(Role::Viewer)));
}

#[tokio::test]
async fn a_platform_member_without_admin_role_gets_no_platform_access() {
    let decision = check(&Holder::platform(Role::Member), &organization(), None).await;
    assert!(!decision.has_access);
    assert_eq!(decision.role, None);
}

#[tokio::test]
async fn the_answer_names_the_caller_and_echoes_the_organization() {
    let holder = Holder::new();
    let organization = organization();
    let decision = check(&holder, &organization, None).await;
    assert_eq!(decision.user_id, holder.user_id);
    assert_eq!(decision.organization_id, organization);
}

#[tokio::test]
async fn the_organization_is_looked_up_for_the_caller() {
    let holder = Holder::new();
    let caller = holder.caller().await;
    let organization = OrganizationId::generate();
    let mut world = World::default();
    let user = holder.user_id;
    world
        .access
        .expect_role_in()
        .withf(move |u, o| *u == user && *o == organization)
        .times(1)
        .returning(|_, _| ready(Ok(Some(Role::Owner))));
    let query = AccessQuery::new(organization.to_string());

    assert!(
        world
            .service()
            .check_access(&caller, &query)
            .await
            .expect("answers")
            .has_access
    );
}

#[tokio::test]
async fn platform_status_is_true_only_for_a_token_scoped_to_the_platform_organization() {
    for scoped in [true, false] {
        let holder = Holder {
            scoped_to_platform: scoped,
            ..Holder::new()
        };
        let caller = holder
            .authenticate(Permission::PlatformStatus)
            .await
            .expect("authenticates");
        let status = World::default()
            .service()
            .platform_status(&caller)
            .expect("answers");
        assert_eq!(status, scoped);
    }
}
