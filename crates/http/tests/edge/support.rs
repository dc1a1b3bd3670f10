//! An app on mocked ports, callers described by what authentication reads, and checks of the
//! contract's envelope.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
pub use admin_domain::mocks::{World, ready};
use admin_domain::*;
use admin_http::readiness::{Health, Probe};
use admin_http::routes;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

/// A readiness probe that answers as told.
pub struct FixedProbe(pub Result<(), String>);

impl Probe for FixedProbe {
    fn check(&self) -> LocalBoxFuture<'_, Result<(), String>> {
        let answer = self.0.clone();
        Box::pin(async move { answer })
    }
}

pub const TOKEN: &str = "EsICCtcBCiRhMTk3ZmJmZS1kMWZkLT";

/// The domain's mocked ports, as the edge tests use them: a caller that authenticates, and a
/// request sent to an app built on them.
pub trait Edge: Sized {
    fn with_caller(platform_role: Option<Role>) -> (Self, UserId);
    fn authenticates(&mut self, user: UserId, platform_role: Option<Role>, allows_operation: bool);
    fn verifies(&mut self, user: UserId, platform_role: Option<Role>);
    async fn send_with(self, request: TestRequest, probe: Result<(), String>) -> Reply;
    async fn send(self, request: TestRequest) -> Reply;
}

impl Edge for World {
    /// A world where the bearer of [`TOKEN`] authenticates as a platform `role` (or, with
    /// `None`, a user with no platform role).
    fn with_caller(platform_role: Option<Role>) -> (Self, UserId) {
        let mut world = Self::default();
        let user = UserId::generate();
        world.authenticates(user, platform_role, true);
        (world, user)
    }

    fn authenticates(&mut self, user: UserId, platform_role: Option<Role>, allows_operation: bool) {
        self.verifies(user, platform_role);
        self.authority
            .expect_authorize()
            .returning(move |_, _, _| ready(Ok(allows_operation)));
    }

    /// The bearer of [`TOKEN`] verifies and its record admits it as `user` with
    /// `platform_role`; what its own checks decide is left to the test.
    fn verifies(&mut self, user: UserId, platform_role: Option<Role>) {
        let token_id = TokenId::generate();
        let revocation_id = RevocationId::parse("abcd").unwrap();
        let verified = VerifiedToken {
            token_id,
            user_id: user,
            organization_id: None,
            revocation_id: revocation_id.clone(),
        };
        self.authority
            .expect_verify()
            .returning(move |_| ready(Ok(verified.clone())));
        let record = CallerRecord {
            token: TokenRecord {
                id: token_id,
                user_id: user,
                organization_id: None,
                revocation_id,
                issued_at: Timestamp::now(),
                expires_at: Timestamp::now().saturating_add(Duration::from_secs(600)),
                revoked_at: None,
            },
            user_active: true,
            platform_role,
            scoped_to_platform: platform_role.is_some(),
        };
        self.access
            .expect_caller()
            .returning(move |_| ready(Ok(Some(record.clone()))));
    }

    /// Sends `request` to an app built on this world, with readiness answering `probe`.
    async fn send_with(self, request: TestRequest, probe: Result<(), String>) -> Reply {
        let service: AdminService<MockPorts> = self.service();
        let app = test::init_service(routes::app(
            Data::new(service),
            Data::new(Health::new(FixedProbe(probe))),
        ))
        .await;
        Reply::read(app.call(request.to_request()).await.expect("a response")).await
    }

    async fn send(self, request: TestRequest) -> Reply {
        self.send_with(request, Ok(())).await
    }
}

/// What a listing port returns: `rows`, and no total.
pub fn found<T>(rows: Vec<T>) -> Rows<T> {
    Rows { rows, total: None }
}

pub fn get(uri: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
}

pub fn anonymous(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    async fn read(response: ServiceResponse<impl MessageBody>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await.to_vec();
        Self {
            status,
            headers,
            bytes,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.bytes))
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks this is the contract's envelope with this status, code and message; returns
    /// its details.
    pub fn envelope(&self, status: u16, error: &str, message: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        let keys: Vec<&str> = body
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["details", "error", "message", "status_code", "timestamp"],
            "exactly the envelope's fields"
        );
        assert_eq!(body["error"], error);
        assert_eq!(body["message"], message);
        assert_eq!(body["status_code"], status);
        assert_contract_timestamp(body["timestamp"].as_str().expect("a string"));
        body["details"].clone()
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff`: UTC, exactly six fractional digits, no zone.
pub fn assert_contract_timestamp(text: &str) {
    let shape = text
        .bytes()
        .map(|b| if b.is_ascii_digit() { b'9' } else { b })
        .collect::<Vec<u8>>();
    assert_eq!(
        String::from_utf8_lossy(&shape),
        "9999-99-99T99:99:99.999999",
        "{text}"
    );
}

/// An id for paths: any valid UUID (the mocks decide what it names).
pub const ID: &str = "5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e";

pub const PLATFORM_ENDPOINTS: [(&str, &str, Permission); 13] = [
    (
        "POST",
        "/v1/admin/cleanup-tokens",
        Permission::TokensCleanup,
    ),
    ("GET", "/v1/admin/platform/users", Permission::UsersList),
    (
        "GET",
        "/v1/admin/platform/organizations",
        Permission::OrganizationsList,
    ),
    (
        "GET",
        "/v1/admin/platform/workspaces",
        Permission::WorkspacesList,
    ),
    (
        "GET",
        "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e",
        Permission::UsersList,
    ),
    (
        "GET",
        "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/memberships",
        Permission::UsersList,
    ),
    (
        "GET",
        "/v1/admin/platform/organizations/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e",
        Permission::OrganizationsList,
    ),
    (
        "GET",
        "/v1/admin/platform/organizations/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/members",
        Permission::OrganizationsList,
    ),
    (
        "GET",
        "/v1/admin/platform/workspaces/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e",
        Permission::WorkspacesList,
    ),
    (
        "GET",
        "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/tokens",
        Permission::TokensList,
    ),
    (
        "POST",
        "/v1/admin/platform/tokens/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/revoke",
        Permission::TokensRevoke,
    ),
    (
        "POST",
        "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/revoke-tokens",
        Permission::TokensRevoke,
    ),
    (
        "GET",
        "/v1/admin/platform/audit-events",
        Permission::AuditList,
    ),
];

/// Every endpoint of the API: the two open to any caller, then the platform's.
pub fn all_endpoints() -> Vec<(&'static str, &'static str)> {
    [
        ("GET", "/v1/admin/access?organization_id=x"),
        ("GET", "/v1/admin/platform-status"),
    ]
    .into_iter()
    .chain(PLATFORM_ENDPOINTS.map(|(method, uri, _)| (method, uri)))
    .collect()
}

pub fn request(method: &str, uri: &str) -> TestRequest {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("a method");
    TestRequest::default().method(method).uri(uri)
}

/// Sends `request` to the management app, with readiness answering `probe`.
pub async fn manage_with(request: TestRequest, probe: Result<(), String>) -> Reply {
    let app = test::init_service(routes::management(Data::new(Health::new(FixedProbe(
        probe,
    )))))
    .await;
    Reply::read(app.call(request.to_request()).await.expect("a response")).await
}

pub async fn manage(request: TestRequest) -> Reply {
    manage_with(request, Ok(())).await
}
