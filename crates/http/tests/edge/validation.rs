use serde_json::{Value, json};

use super::support::*;
use admin_domain::Role;

async fn refused(uri: &str) -> Value {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world.directory.expect_users().never();
    world.access.expect_role_in().never();
    world.tokens.expect_count_stale().never();
    let method = if uri.contains("cleanup") {
        "POST"
    } else {
        "GET"
    };
    let reply = world
        .send(request(method, uri).insert_header(("Authorization", format!("Bearer {TOKEN}"))))
        .await;
    assert_eq!(
        reply.status,
        422,
        "{uri}: {}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

#[actix_web::test]
async fn a_limit_too_large_is_the_pydantic_error_byte_for_byte() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world.directory.expect_users().never();
    let reply = world.send(get("/v1/admin/platform/users?limit=500")).await;
    assert_eq!(
        String::from_utf8(reply.bytes).unwrap(),
        r#"{"detail":[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 200","input":"500","ctx":{"le":200}}]}"#
    );
}

#[actix_web::test]
async fn a_limit_too_small_names_the_lower_bound() {
    let body = refused("/v1/admin/platform/users?limit=0").await;
    assert_eq!(
        body,
        json!({"detail": [{"type": "greater_than_equal", "loc": ["query", "limit"],
            "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}}]})
    );
}

#[actix_web::test]
async fn a_limit_that_is_no_integer_is_int_parsing_without_ctx() {
    for raw in ["abc", "1.5", ""] {
        let body = refused(&format!("/v1/admin/platform/users?limit={raw}")).await;
        assert_eq!(
            body,
            json!({"detail": [{"type": "int_parsing", "loc": ["query", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer", "input": raw}]})
        );
    }
}

#[actix_web::test]
async fn a_missing_organization_id_is_field_required_with_null_input() {
    let (mut world, _) = World::with_caller(None);
    world.access.expect_role_in().never();
    let reply = world.send(get("/v1/admin/access")).await;
    assert_eq!(
        String::from_utf8(reply.bytes).unwrap(),
        r#"{"detail":[{"type":"missing","loc":["query","organization_id"],"msg":"Field required","input":null}]}"#
    );
}

#[actix_web::test]
async fn several_bad_parameters_give_several_entries() {
    let body = refused("/v1/admin/platform/organizations?limit=-5&cursor=bogus").await;
    let entries = body["detail"].as_array().expect("a list");
    let locs: Vec<&Value> = entries.iter().map(|e| &e["loc"]).collect();
    assert_eq!(
        locs,
        [&json!(["query", "limit"]), &json!(["query", "cursor"])]
    );
    assert_eq!(entries[0]["type"], "greater_than_equal");
    assert_eq!(entries[1]["type"], "value_error");
    assert_eq!(entries[1]["input"], "bogus");
}

#[actix_web::test]
async fn the_input_is_the_raw_decoded_query_value() {
    let body = refused("/v1/admin/platform/workspaces?limit=%20x%20").await;
    assert_eq!(body["detail"][0]["input"], " x ");
}

#[actix_web::test]
async fn the_last_value_of_a_repeated_parameter_counts() {
    let body = refused("/v1/admin/platform/users?limit=10&limit=900").await;
    assert_eq!(body["detail"][0]["input"], "900");
}

#[actix_web::test]
async fn a_cursor_from_another_listing_is_refused() {
    let cursor = admin_domain::Cursor {
        listing: admin_domain::Listing::Users,
        order: admin_domain::Order::Asc,
        after: admin_domain::Position::FIRST,
    }
    .encode();
    let body = refused(&format!("/v1/admin/platform/workspaces?cursor={cursor}")).await;
    assert_eq!(body["detail"][0]["loc"], json!(["query", "cursor"]));
    assert_eq!(body["detail"][0]["msg"], "Value error, invalid cursor");
}

#[actix_web::test]
async fn dry_run_must_be_a_boolean() {
    let body = refused("/v1/admin/cleanup-tokens?dry_run=perhaps").await;
    assert_eq!(
        body,
        json!({"detail": [{"type": "bool_parsing", "loc": ["query", "dry_run"],
            "msg": "Input should be a valid boolean, unable to interpret input", "input": "perhaps"}]})
    );
}
