//! Token administration through the real app on real databases: the bodies, revocation held
//! at once (by a second instance too), the 404s and 422s.

use admin_adapters::on_both_backends;
use admin_adapters::testing::{Backend, TestDatabase};
use admin_adapters::{BiscuitAuthority, Database, DatabaseUrl, PoolSettings};
use admin_domain::*;
use serde_json::{Value, json};

use super::platform::*;

on_both_backends!(
    a_users_tokens_are_listed_without_their_secrets_and_by_state,
    revoking_one_token_holds_at_once_and_again_answers_the_first_time,
    revoking_all_of_a_users_tokens_counts_them_and_spares_later_ones,
    unknown_ids_are_404_and_bad_ones_422,
    a_token_that_expired_unrevoked_is_revoked_like_any_other,
);

fn is_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| text.len() == 26 && text.as_bytes()[10] == b'T')
}

async fn a_users_tokens_are_listed_without_their_secrets_and_by_state(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let scoped = p.token(&p.owner, Some(&p.customer)).await;
    let unscoped = p.token(&p.owner, None).await;
    let uri = format!("/v1/admin/platform/users/{}/tokens", p.owner.id);

    let reply = p.get(&format!("{uri}?include_total=true"), &admin).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["total"], 2);
    assert_eq!(reply.body["limit"], 50);
    assert_eq!(reply.body["next_cursor"], Value::Null);
    let items = reply.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let first = items[0].as_object().expect("an item");
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "expires_at",
            "id",
            "issued_at",
            "organization_id",
            "revoked_at",
            "state",
            "user_id"
        ]
    );
    assert_eq!(first["user_id"], p.owner.id.to_string());
    assert_eq!(first["organization_id"], p.customer.id.to_string());
    assert_eq!(items[1]["organization_id"], Value::Null);
    assert!(is_timestamp(&first["issued_at"]) && is_timestamp(&first["expires_at"]));
    assert_eq!(
        (&first["revoked_at"], &first["state"]),
        (&Value::Null, &json!("active"))
    );
    let text = reply.body.to_string();
    for token in [&scoped, &unscoped] {
        assert!(!text.contains(token.as_str()), "no token text in {text}");
    }

    // Newest first; then by state once one is revoked.
    let desc = p.get(&format!("{uri}?order=desc&limit=1"), &admin).await;
    assert_eq!(desc.body["items"][0]["id"], items[1]["id"]);
    let second = desc.body["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    let next = p
        .get(&format!("{uri}?order=desc&limit=1&cursor={second}"), &admin)
        .await;
    assert_eq!(next.body["items"][0]["id"], items[0]["id"]);
    let revoked = p
        .call(
            "POST",
            &format!(
                "/v1/admin/platform/tokens/{}/revoke",
                items[0]["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(revoked.status, 200);
    for (state, expected) in [("revoked", &items[0]), ("active", &items[1])] {
        let reply = p
            .get(&format!("{uri}?state={state}&include_total=true"), &admin)
            .await;
        assert_eq!(reply.body["total"], 1, "{state}");
        assert_eq!(reply.body["items"][0]["id"], expected["id"], "{state}");
        assert_eq!(reply.body["items"][0]["state"], state);
    }
    let expired = p.get(&format!("{uri}?state=expired"), &admin).await;
    assert_eq!(expired.body["items"], json!([]));
}

async fn revoking_one_token_holds_at_once_and_again_answers_the_first_time(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let victim = p.user("victim@example.com", None).await;
    let stolen = p.token(&victim, None).await;
    let verified = p
        .authority
        .verify(&BearerToken::parse(&stolen).unwrap())
        .await
        .expect("verifies");
    let id = verified.token_id;
    // A token attenuated from it offline: the same authority block, so the same record.
    let attenuated = p.appended(
        &stolen,
        biscuit_auth::macros::block!(r#"check if operation($op);"#),
    );
    // A second instance on the same database, its own pools and cache, already trusting it.
    let other = match p.db.backend() {
        Backend::Postgres => {
            let url = DatabaseUrl::parse(&p.db.url).expect("a URL");
            let database = Database::open(url, PoolSettings::default())
                .await
                .expect("opens");
            Some((database, BiscuitAuthority::new(&p.key)))
        }
        Backend::Sqlite => None,
    };
    let status = "/v1/admin/platform-status";
    assert_eq!(p.get(status, &attenuated).await.status, 200);
    if let Some((database, authority)) = &other {
        let other = service_on(database.clone(), authority);
        let before = p.call_on(other, "GET", status, Some(&stolen)).await;
        assert_eq!(before.status, 200);
    }

    let uri = format!("/v1/admin/platform/tokens/{id}/revoke");
    let first = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["id"], id.to_string());
    assert_eq!(first.body["already_revoked"], false);
    assert!(is_timestamp(&first.body["revoked_at"]));
    assert_eq!(p.get(status, &stolen).await.status, 401);
    assert_eq!(
        p.get(status, &attenuated).await.status,
        401,
        "attenuated from it: revoked too"
    );
    if let Some((database, authority)) = &other {
        let other = service_on(database.clone(), authority);
        let after = p.call_on(other, "GET", status, Some(&stolen)).await;
        assert_eq!(after.status, 401, "the second instance refuses it at once");
    }

    let again = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(
        again.body,
        json!({"id": id.to_string(), "revoked_at": first.body["revoked_at"], "already_revoked": true})
    );
}

async fn revoking_all_of_a_users_tokens_counts_them_and_spares_later_ones(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let held = [
        p.token(&p.owner, None).await,
        p.token(&p.owner, Some(&p.customer)).await,
        p.token(&p.owner, None).await,
    ];
    let uri = format!("/v1/admin/platform/users/{}/revoke-tokens", p.owner.id);

    let reply = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["user_id"], p.owner.id.to_string());
    assert_eq!(reply.body["revoked_count"], 3);
    assert!(is_timestamp(&reply.body["revoked_at"]));
    for token in &held {
        assert_eq!(p.get("/v1/admin/platform-status", token).await.status, 401);
    }
    assert_eq!(p.get("/v1/admin/platform-status", &admin).await.status, 200);

    let later = p.token(&p.owner, None).await;
    assert_eq!(p.get("/v1/admin/platform-status", &later).await.status, 200);
    let again = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(again.body["revoked_count"], 1);
    let none = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!((none.status, &none.body["revoked_count"]), (200, &json!(0)));
    assert!(is_timestamp(&none.body["revoked_at"]));
}

async fn unknown_ids_are_404_and_bad_ones_422(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let unknown = UserId::generate();
    let cases = [
        (
            "GET",
            format!("/v1/admin/platform/users/{unknown}/tokens"),
            "User not found",
        ),
        (
            "POST",
            format!("/v1/admin/platform/users/{unknown}/revoke-tokens"),
            "User not found",
        ),
        (
            "POST",
            format!("/v1/admin/platform/tokens/{unknown}/revoke"),
            "Token not found",
        ),
    ];
    for (method, uri, message) in cases {
        let reply = p.call(method, &uri, Some(&admin)).await;
        assert_eq!(reply.status, 404, "{uri}");
        assert_eq!(reply.body["error"], "NOT_FOUND");
        assert_eq!(reply.body["message"], message);
        assert_eq!(reply.body["details"], json!({}));
    }
    let bad = p
        .call(
            "POST",
            "/v1/admin/platform/tokens/nope/revoke",
            Some(&admin),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["detail"][0]["loc"], json!(["path", "token_id"]));
    assert_eq!(bad.body["detail"][0]["type"], "uuid_parsing");
    let uri = format!("/v1/admin/platform/users/{}/tokens?state=stale", p.owner.id);
    let bad = p.get(&uri, &admin).await;
    assert_eq!(
        bad.body["detail"],
        json!([{
            "type": "literal_error",
            "loc": ["query", "state"],
            "msg": "Input should be 'active', 'expired' or 'revoked'",
            "input": "stale",
            "ctx": {"expected": "'active', 'expired' or 'revoked'"}
        }])
    );
}

/// The contract: "a token that expired unrevoked is revoked like any other", and lists as
/// revoked from then on.
async fn a_token_that_expired_unrevoked_is_revoked_like_any_other(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let expired_at = Timestamp::now()
        .saturating_sub(std::time::Duration::from_secs(10))
        .truncated_to_seconds();
    let record = TokenRecord {
        id: TokenId::generate(),
        user_id: p.owner.id,
        organization_id: None,
        revocation_id: RevocationId::parse("0e0e0e0e").expect("hex"),
        issued_at: expired_at.saturating_sub(hour()),
        expires_at: expired_at,
        revoked_at: None,
    };
    let id = record.id;
    p.db.database.record(&[record], &[]).await.unwrap();
    let listing = format!("/v1/admin/platform/users/{}/tokens", p.owner.id);
    let before = p.get(&format!("{listing}?state=expired"), &admin).await;
    assert_eq!(before.body["items"][0]["id"], id.to_string());

    let uri = format!("/v1/admin/platform/tokens/{id}/revoke");
    let reply = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["already_revoked"], false);
    assert!(is_timestamp(&reply.body["revoked_at"]));

    let revoked = p.get(&format!("{listing}?state=revoked"), &admin).await;
    assert_eq!(revoked.body["items"][0]["id"], id.to_string());
    assert_eq!(revoked.body["items"][0]["state"], "revoked");
    assert_eq!(
        revoked.body["items"][0]["revoked_at"],
        reply.body["revoked_at"]
    );
    let expired = p.get(&format!("{listing}?state=expired"), &admin).await;
    assert_eq!(expired.body["items"], json!([]), "revoked, not expired");
}
