use admin_domain::Listing;
use serde_json::{Value, json};

use super::support::*;

async fn document() -> Value {
    let reply = World::default().send(anonymous("/openapi.json")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

#[actix_web::test]
async fn the_document_is_openapi_3_1_and_describes_every_endpoint() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in [
        ("get", "/v1/admin/access"),
        ("get", "/v1/admin/platform-status"),
        ("post", "/v1/admin/cleanup-tokens"),
        ("get", "/v1/admin/platform/users"),
        ("get", "/v1/admin/platform/organizations"),
        ("get", "/v1/admin/platform/workspaces"),
        ("get", "/v1/admin/platform/users/{user_id}"),
        ("get", "/v1/admin/platform/users/{user_id}/memberships"),
        ("get", "/v1/admin/platform/organizations/{organization_id}"),
        (
            "get",
            "/v1/admin/platform/organizations/{organization_id}/members",
        ),
        ("get", "/v1/admin/platform/workspaces/{workspace_id}"),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path}");
        assert_eq!(operation["security"], json!([{"bearer": []}]), "{path}");
        for status in ["200", "401", "403", "500", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path} documents {status}"
            );
        }
        assert_eq!(
            operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Envelope"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[actix_web::test]
async fn the_listing_parameters_carry_their_bounds_and_cursor_patterns() {
    let doc = document().await;
    for (path, listing) in [
        ("/v1/admin/platform/users", Listing::Users),
        ("/v1/admin/platform/organizations", Listing::Organizations),
        ("/v1/admin/platform/workspaces", Listing::Workspaces),
    ] {
        let operation = &doc["paths"][path]["get"];
        let parameter = |name: &str| {
            operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            (
                parameter("limit")["schema"]["minimum"].clone(),
                parameter("limit")["schema"]["maximum"].clone()
            ),
            (json!(1), json!(200))
        );
        assert_eq!(
            parameter("cursor")["schema"]["pattern"],
            listing.cursor_pattern(),
            "{path}"
        );
        assert_eq!(
            operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ValidationBody"
        );
    }
    assert!(doc["components"]["schemas"]["ValidationBody"].is_object());
    let required = &doc["paths"]["/v1/admin/access"]["get"]["parameters"][0];
    assert_eq!(
        (required["name"].clone(), required["required"].clone()),
        (json!("organization_id"), json!(true))
    );
}

/// The parameter named `name` of `GET path`.
fn parameter(doc: &Value, path: &str, name: &str) -> Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("{path} declares {name}"))
}

#[actix_web::test]
async fn every_new_parameter_path_and_response_is_described() {
    let doc = document().await;
    let users = "/v1/admin/platform/users";
    assert_eq!(
        parameter(&doc, users, "order")["schema"]["enum"],
        json!(["asc", "desc"])
    );
    assert_eq!(
        parameter(&doc, users, "include_total")["schema"]["type"],
        "boolean"
    );
    let email = parameter(&doc, users, "email")["schema"].clone();
    assert_eq!(
        (&email["minLength"], &email["maxLength"]),
        (&json!(1), &json!(254))
    );
    let slug = parameter(&doc, "/v1/admin/platform/organizations", "slug")["schema"].clone();
    assert_eq!(slug["maxLength"], 63);
    let organization = parameter(&doc, "/v1/admin/platform/workspaces", "organization_id");
    assert_eq!(organization["schema"]["format"], "uuid");

    let members = "/v1/admin/platform/organizations/{organization_id}/members";
    let path_id = parameter(&doc, members, "organization_id");
    assert_eq!(
        (
            &path_id["in"],
            &path_id["required"],
            &path_id["schema"]["format"]
        ),
        (&json!("path"), &json!(true), &json!("uuid"))
    );
    assert_eq!(
        parameter(&doc, members, "role")["schema"]["enum"],
        json!(["owner", "admin", "member", "viewer"])
    );
    assert_eq!(
        parameter(&doc, members, "cursor")["schema"]["pattern"],
        Listing::Members(admin_domain::OrganizationId::generate()).cursor_pattern()
    );
    for path in [
        members,
        "/v1/admin/platform/users/{user_id}",
        "/v1/admin/platform/workspaces/{workspace_id}",
    ] {
        let responses = &doc["paths"][path]["get"]["responses"];
        assert!(responses["404"].is_object(), "{path}");
        assert!(responses["422"].is_object(), "{path}");
    }
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("MemberItem", "user_id"),
        ("MembershipItem", "organization_slug"),
        ("PageBody_MemberItem", "total"),
    ] {
        let properties = schemas[schema]["properties"].clone();
        assert!(
            properties[field].is_object(),
            "{schema}.{field}: {properties}"
        );
    }
}

/// `since` and `until` declare what pydantic's `datetime` accepts (a date-time, a date, a
/// number), each with its format, so that text no format admits (an empty string) is
/// schema-invalid rather than a schema-valid request the service refuses.
#[actix_web::test]
async fn since_and_until_declare_the_forms_they_accept() {
    let doc = document().await;
    let operation = &doc["paths"]["/v1/admin/platform/audit-events"]["get"];
    for name in ["since", "until"] {
        let parameter = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap();
        let forms = parameter["schema"]["anyOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let described: Vec<(Value, Value)> = forms
            .iter()
            .map(|form| (form["type"].clone(), form["format"].clone()))
            .collect();
        assert_eq!(
            described,
            vec![
                (json!("string"), json!("date-time")),
                (json!("string"), json!("date")),
                (json!("number"), Value::Null),
            ],
            "{parameter}"
        );
        // The float path's bounds, which hold every number pydantic (and so the service)
        // accepts: a fraction or an exponent divides by 1,000 once more past 2e10.
        assert_eq!(
            forms[2]["minimum"].as_f64(),
            Some(-62_135_596_800_000_000.0),
            "{parameter}"
        );
        assert_eq!(
            forms[2]["maximum"].as_f64(),
            Some(253_402_300_799_000_000.0),
            "{parameter}"
        );
    }
}
