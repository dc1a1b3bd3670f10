use std::time::Duration;

use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;
use admin_adapters::{BiscuitAuthority, RootKey};
use admin_domain::*;

use super::platform::*;

on_both_backends!(
    a_valid_token_authenticates,
    an_expired_token_is_401,
    a_revoked_token_is_401_at_once,
    a_token_unknown_to_the_store_is_401,
    a_token_signed_by_another_key_is_401,
    a_tampered_truncated_or_foreign_token_is_401,
    an_attenuated_token_works_for_its_listing_alone,
    the_part_2_permissions_attenuate_like_the_others,
    hostile_blocks_are_403_on_a_valid_token_and_401_unevaluated_on_a_revoked_or_expired_one,
);

async fn a_valid_token_authenticates(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.owner, None).await;
    assert_eq!(p.get("/v1/admin/platform-status", &token).await.status, 200);
}

async fn an_expired_token_is_401(db: TestDatabase) {
    let p = Platform::new(db).await;
    let authority = BiscuitAuthority::new(&p.key);
    let expired_at = Timestamp::now()
        .saturating_sub(Duration::from_secs(10))
        .truncated_to_seconds();
    let claims = TokenClaims {
        token_id: TokenId::generate(),
        user_id: p.admin.id,
        organization_id: None,
        expires_at: expired_at,
    };
    let issued = authority.issue(&claims).unwrap();
    let record = TokenRecord {
        id: claims.token_id,
        user_id: p.admin.id,
        organization_id: None,
        revocation_id: issued.revocation_id.clone(),
        issued_at: expired_at.saturating_sub(hour()),
        expires_at: expired_at,
        revoked_at: None,
    };
    p.db.database.record(&[record], &[]).await.unwrap();

    let reply = p.get("/v1/admin/platform/users", &issued.token).await;

    assert_eq!(reply.status, 401);
    assert_eq!(reply.body["error"], "AUTHENTICATION_FAILED");
}

async fn a_revoked_token_is_401_at_once(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, None).await;
    assert_eq!(p.get("/v1/admin/platform/users", &token).await.status, 200);

    p.service()
        .revoke_text_by_operator(&BearerToken::parse(&token).unwrap())
        .await
        .unwrap();

    assert_eq!(p.get("/v1/admin/platform/users", &token).await.status, 401);
    assert_eq!(p.get("/v1/admin/platform-status", &token).await.status, 401);
}

async fn a_token_unknown_to_the_store_is_401(db: TestDatabase) {
    let p = Platform::new(db).await;
    let claims = TokenClaims {
        token_id: TokenId::generate(),
        user_id: p.admin.id,
        organization_id: Some(p.platform.id),
        expires_at: Timestamp::now()
            .saturating_add(hour())
            .truncated_to_seconds(),
    };
    let unrecorded = BiscuitAuthority::new(&p.key).issue(&claims).unwrap();
    assert_eq!(
        p.get("/v1/admin/platform-status", &unrecorded.token)
            .await
            .status,
        401
    );
}

async fn a_token_signed_by_another_key_is_401(db: TestDatabase) {
    let p = Platform::new(db).await;
    let genuine = p.token(&p.admin, None).await;
    let record =
        p.db.database
            .token_record(
                &BiscuitAuthority::new(&p.key)
                    .verify(&BearerToken::parse(&genuine).unwrap())
                    .await
                    .unwrap()
                    .revocation_id,
            )
            .await
            .unwrap()
            .unwrap();
    let claims = TokenClaims {
        token_id: record.id,
        user_id: p.admin.id,
        organization_id: None,
        expires_at: record.expires_at,
    };
    let forged = BiscuitAuthority::new(&RootKey::generate())
        .issue(&claims)
        .unwrap();
    assert_eq!(
        p.get("/v1/admin/platform/users", &forged.token)
            .await
            .status,
        401
    );
}

async fn a_tampered_truncated_or_foreign_token_is_401(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, None).await;
    let mut flipped = token.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let huge = "A".repeat(10_000);
    for bad in [
        flipped.as_str(),
        &token[..token.len() / 2],
        "bm90IGEgYmlzY3VpdA",
        "%%%not-base64%%%",
        huge.as_str(),
    ] {
        let reply = p.get("/v1/admin/platform/users", bad).await;
        assert_eq!(reply.status, 401, "{}", &bad[..bad.len().min(20)]);
    }
    assert_eq!(
        p.call("GET", "/v1/admin/platform/users", Some(""))
            .await
            .status,
        401
    );
}

/// Attenuated to `users:list`: the users, one of them, and what they belong to; nothing else.
async fn an_attenuated_token_works_for_its_listing_alone(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;
    let attenuated = p.attenuated(&token, "users:list");

    let (user, organization) = (p.owner.id, p.customer.id);
    for uri in [
        "/v1/admin/platform/users?email=OWNER@example.com&include_total=true".to_owned(),
        format!("/v1/admin/platform/users/{user}"),
        format!("/v1/admin/platform/users/{user}/memberships?role=owner"),
    ] {
        let reply = p.get(&uri, &attenuated).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
    }
    let memberships = format!("/v1/admin/platform/users/{user}/memberships");
    let body = p.get(&memberships, &attenuated).await.body;
    assert_eq!(
        body["items"][0]["organization_id"],
        organization.to_string()
    );
    let workspace = WorkspaceId::generate();
    for (uri, permission) in [
        (
            "/v1/admin/platform/organizations".to_owned(),
            "organizations:list",
        ),
        (
            format!("/v1/admin/platform/organizations/{organization}"),
            "organizations:list",
        ),
        (
            format!("/v1/admin/platform/organizations/{organization}/members"),
            "organizations:list",
        ),
        (
            "/v1/admin/platform/workspaces".to_owned(),
            "workspaces:list",
        ),
        (
            format!("/v1/admin/platform/workspaces/{workspace}"),
            "workspaces:list",
        ),
        ("/v1/admin/platform-status".to_owned(), "platform:status"),
    ] {
        let uri = uri.as_str();
        assert_eq!(
            p.get(uri, &attenuated).await.outcome(),
            (403, Some(permission))
        );
    }
    let cleanup = p
        .call("POST", "/v1/admin/cleanup-tokens", Some(&attenuated))
        .await;
    assert_eq!(cleanup.outcome(), (403, Some("tokens:cleanup")));
}

/// `tokens:list`, `tokens:revoke` and `audit:list` are operations a token is attenuated to:
/// each opens its own endpoint and no other.
async fn the_part_2_permissions_attenuate_like_the_others(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;
    let user = p.owner.id;
    let tokens = format!("/v1/admin/platform/users/{user}/tokens");
    let revoke = format!("/v1/admin/platform/users/{user}/revoke-tokens");
    let audit = "/v1/admin/platform/audit-events";
    for (op, method, uri) in [
        ("tokens:list", "GET", tokens.as_str()),
        ("tokens:revoke", "POST", revoke.as_str()),
        ("audit:list", "GET", audit),
    ] {
        let attenuated = p.attenuated(&token, op);
        let reply = p.call(method, uri, Some(&attenuated)).await;
        assert_eq!(reply.status, 200, "{op}: {:?}", reply.body);
        for (method, other, permission) in [
            ("GET", "/v1/admin/platform/users", "users:list"),
            ("GET", tokens.as_str(), "tokens:list"),
            ("POST", revoke.as_str(), "tokens:revoke"),
            ("GET", audit, "audit:list"),
        ] {
            if permission != op {
                let reply = p.call(method, other, Some(&attenuated)).await;
                assert_eq!(reply.outcome(), (403, Some(permission)), "{op} on {other}");
            }
        }
    }
}

/// Every hostile variant, appended to a valid, a revoked and an expired token of a platform
/// administrator: 403 on the valid one (its blocks cannot be decided within the bound, or
/// their checks refuse), 401 on the others, whose blocks never run.
async fn hostile_blocks_are_403_on_a_valid_token_and_401_unevaluated_on_a_revoked_or_expired_one(
    db: TestDatabase,
) {
    let p = Platform::new(db).await;
    let valid = p.token(&p.admin, Some(&p.platform)).await;
    let revoked = p.token(&p.admin, Some(&p.platform)).await;
    p.service()
        .revoke_text_by_operator(&BearerToken::parse(&revoked).unwrap())
        .await
        .unwrap();
    let expired = expired_token(&p).await;
    for variant in admin_adapters::testing::hostile::variants() {
        let before = p.authority.evaluations();
        for (token, expected) in [(&revoked, 401), (&expired, 401)] {
            let reply = p
                .get("/v1/admin/platform/users", &variant.attenuate(token))
                .await;
            assert_eq!(reply.status, expected, "{}", variant.name);
            assert_eq!(reply.body["error"], "AUTHENTICATION_FAILED");
        }
        assert_eq!(
            p.authority.evaluations(),
            before,
            "{}: a refused token's blocks never run",
            variant.name
        );
        let reply = p
            .get("/v1/admin/platform/users", &variant.attenuate(&valid))
            .await;
        assert_eq!(
            reply.outcome(),
            (403, Some("users:list")),
            "{}",
            variant.name
        );
        let evaluated = p.authority.evaluations() - before;
        assert_eq!(evaluated, u64::from(variant.decided), "{}", variant.name);
    }
    assert_eq!(p.get("/v1/admin/platform/users", &valid).await.status, 200);
}

/// A token of the platform administrator that expired ten seconds ago, recorded.
async fn expired_token(p: &Platform) -> String {
    let expired_at = Timestamp::now()
        .saturating_sub(Duration::from_secs(10))
        .truncated_to_seconds();
    let claims = TokenClaims {
        token_id: TokenId::generate(),
        user_id: p.admin.id,
        organization_id: Some(p.platform.id),
        expires_at: expired_at,
    };
    let issued = p.authority.issue(&claims).unwrap();
    p.db.database
        .record(
            &[TokenRecord {
                id: claims.token_id,
                user_id: p.admin.id,
                organization_id: Some(p.platform.id),
                revocation_id: issued.revocation_id,
                issued_at: expired_at.saturating_sub(hour()),
                expires_at: expired_at,
                revoked_at: None,
            }],
            &[],
        )
        .await
        .unwrap();
    issued.token
}
