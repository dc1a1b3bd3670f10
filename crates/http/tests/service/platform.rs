//! A platform on a real database: an app over it, and the commands to populate it.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use admin_adapters::testing::TestDatabase;
use admin_adapters::{Adapters, BiscuitAuthority, Database, RootKey};
use admin_domain::*;
use admin_http::readiness::Health;
use admin_http::routes;
use serde_json::Value;

/// A platform organization with an admin, and a customer organization with an owner.
pub struct Platform {
    pub db: TestDatabase,
    pub key: RootKey,
    /// The authority every request of this platform is verified by: its evaluation count
    /// tells whether a token's appended blocks ran.
    pub authority: BiscuitAuthority,
    pub platform: Organization,
    pub admin: User,
    pub customer: Organization,
    pub owner: User,
}

impl Platform {
    pub async fn new(db: TestDatabase) -> Self {
        let key = RootKey::generate();
        let authority = BiscuitAuthority::new(&key);
        let service = Provisioning::new(
            db.database.clone(),
            db.database.clone(),
            db.database.clone(),
        );
        let platform = service
            .create_organization(new_org("Platform", true))
            .await
            .expect("platform");
        let customer = service
            .create_organization(new_org("Customer", false))
            .await
            .expect("customer");
        let admin = service
            .create_user(Email::parse("admin@example.com").unwrap(), None)
            .await
            .expect("admin");
        let owner = service
            .create_user(Email::parse("owner@example.com").unwrap(), None)
            .await
            .expect("owner");
        service
            .set_membership(admin.id, platform.id, Role::Admin)
            .await
            .expect("member");
        service
            .set_membership(owner.id, customer.id, Role::Owner)
            .await
            .expect("member");
        Self {
            db,
            key,
            authority,
            platform,
            admin,
            customer,
            owner,
        }
    }

    /// The use cases on this platform's database and key.
    pub fn service(&self) -> AdminService<Adapters> {
        service(&self.db, &self.authority)
    }

    /// The provisioning commands on this platform's database.
    pub fn provisioning(&self) -> Provisioning<Database, Database, Database> {
        let database = &self.db.database;
        Provisioning::new(database.clone(), database.clone(), database.clone())
    }

    /// A token for `user`, optionally scoped.
    pub async fn token(&self, user: &User, organization: Option<&Organization>) -> String {
        let ttl = Ttl::parse("1h").unwrap();
        self.service()
            .issue_token(user.id, organization.map(|o| o.id), ttl)
            .await
            .expect("issued")
            .token
    }

    /// `token` attenuated offline to the one operation `op`, as its holder can.
    pub fn attenuated(&self, token: &str, op: &str) -> String {
        self.appended(
            token,
            biscuit_auth::macros::block!(r#"check if operation({op});"#, op = op),
        )
    }

    /// `token` with `block` appended offline, as its holder can.
    pub fn appended(&self, token: &str, block: biscuit_auth::builder::BlockBuilder) -> String {
        let public = biscuit_auth::KeyPair::from(
            &biscuit_auth::PrivateKey::from_bytes_hex(
                &self.key.to_hex(),
                biscuit_auth::builder::Algorithm::Ed25519,
            )
            .unwrap(),
        )
        .public();
        biscuit_auth::Biscuit::from_base64(token, public)
            .unwrap()
            .append(block)
            .unwrap()
            .to_base64()
            .unwrap()
    }

    pub async fn user(&self, email: &str, role_here: Option<(&Organization, Role)>) -> User {
        let service = self.provisioning();
        let user = service
            .create_user(Email::parse(email).unwrap(), None)
            .await
            .expect("user");
        if let Some((organization, role)) = role_here {
            service
                .set_membership(user.id, organization.id, role)
                .await
                .expect("member");
        }
        user
    }

    /// Sends `method uri` with `token` to the real app on this platform.
    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>) -> Reply {
        self.call_on(self.service(), method, uri, token).await
    }

    /// Sends `method uri` with `token` to an app over `service`: another instance, say.
    pub async fn call_on(
        &self,
        service: AdminService<Adapters>,
        method: &str,
        uri: &str,
        token: Option<&str>,
    ) -> Reply {
        self.send(service, request(method, uri, token)).await
    }

    /// Sends `request` to an app over `service`.
    pub async fn send(&self, service: AdminService<Adapters>, request: TestRequest) -> Reply {
        let health = Data::new(Health::new(self.db.database.clone()));
        let app = test::init_service(routes::app(Data::new(service), health)).await;
        Reply::read(app.call(request.to_request()).await.expect("a response")).await
    }

    /// The body of a GET on the management app, as text.
    pub async fn management_text(&self, uri: &str) -> String {
        let health = Data::new(Health::new(self.db.database.clone()));
        let app = test::init_service(routes::management(health)).await;
        let response = app
            .call(TestRequest::get().uri(uri).to_request())
            .await
            .expect("a response");
        String::from_utf8(test::read_body(response).await.to_vec()).expect("text")
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call("GET", uri, Some(token)).await
    }
}

fn service(db: &TestDatabase, authority: &BiscuitAuthority) -> AdminService<Adapters> {
    service_on(db.database.clone(), authority)
}

/// `method uri`, with `token` as its bearer.
pub fn request(method: &str, uri: &str, token: Option<&str>) -> TestRequest {
    let mut request = match method {
        "POST" => TestRequest::post(),
        _ => TestRequest::get(),
    }
    .uri(uri);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    request
}

/// The use cases on `database` and `authority`.
pub fn service_on(database: Database, authority: &BiscuitAuthority) -> AdminService<Adapters> {
    service_with(database, authority, Settings::default())
}

/// The use cases on `database` and `authority`, with `settings`.
pub fn service_with(
    database: Database,
    authority: &BiscuitAuthority,
    settings: Settings,
) -> AdminService<Adapters> {
    AdminService::new(
        database.clone(),
        database.clone(),
        database.clone(),
        authority.clone(),
        database,
        settings,
    )
}

fn new_org(name: &str, platform: bool) -> NewOrganization {
    NewOrganization {
        name: Name::parse(name).unwrap(),
        slug: None,
        platform,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `X-Request-Id` the service answered with.
    pub request_id: Option<String>,
}

impl Reply {
    async fn read(response: ServiceResponse<impl MessageBody>) -> Self {
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = test::read_body(response).await;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            body,
            request_id,
        }
    }

    /// The status, and the permission a 403 names.
    pub fn outcome(&self) -> (u16, Option<&str>) {
        (
            self.status,
            self.body["details"]["required_permission"].as_str(),
        )
    }
}

pub fn hour() -> Duration {
    Duration::from_secs(3_600)
}
