//! A sibling service built on the rules: a support desk that keeps who belongs where in its
//! own storage (here a map; a real one would have a table), implements the admin access port
//! on it, and reuses the domain's decisions (authentication, the access check, platform
//! status) with the mocks standing in for the ports it does not have. `make test` builds and
//! runs it.
//!
//!     cargo run -p admin-domain --features mocks --example sibling

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use admin_domain::mocks::ready;
use admin_domain::*;

/// The desk's own record of memberships and tokens.
#[derive(Debug, Default)]
struct Desk {
    roles: HashMap<(UserId, OrganizationId), Role>,
    tokens: HashMap<RevocationId, TokenRecord>,
    platform: Option<OrganizationId>,
}

impl AdminAccess for Desk {
    async fn caller(
        &self,
        revocation_id: &RevocationId,
    ) -> Result<Option<CallerRecord>, StoreError> {
        Ok(self.tokens.get(revocation_id).map(|token| CallerRecord {
            token: token.clone(),
            user_active: true,
            platform_role: self
                .platform
                .and_then(|platform| self.roles.get(&(token.user_id, platform)).copied()),
            scoped_to_platform: token.organization_id.is_some()
                && token.organization_id == self.platform,
        }))
    }

    async fn role_in(
        &self,
        user: UserId,
        organization: OrganizationId,
    ) -> Result<Option<Role>, StoreError> {
        Ok(self.roles.get(&(user, organization)).copied())
    }
}

/// The desk's ports: its own admin access, the mocks for the rest.
#[derive(Debug)]
struct DeskPorts;

impl Ports for DeskPorts {
    type Access = Desk;
    type Tokens = MockTokenStore;
    type Directory = MockPlatformDirectory;
    type Authority = MockTokenAuthority;
    type Trail = MockAuditTrail;
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (agent, customer) = (UserId::generate(), OrganizationId::generate());
    let revocation_id = RevocationId::parse("d35c")?;
    let token = TokenRecord {
        id: TokenId::generate(),
        user_id: agent,
        organization_id: None,
        revocation_id: revocation_id.clone(),
        issued_at: Timestamp::now(),
        expires_at: Timestamp::now().saturating_add(Duration::from_secs(600)),
        revoked_at: None,
    };
    let mut desk = Desk::default();
    desk.roles.insert((agent, customer), Role::Admin);
    desk.tokens.insert(revocation_id.clone(), token.clone());

    // Token verification is another service's: the mock says what it would.
    let mut authority = MockTokenAuthority::new();
    let verified = VerifiedToken {
        token_id: token.id,
        user_id: agent,
        organization_id: None,
        revocation_id,
    };
    authority
        .expect_verify()
        .returning(move |_| ready(Ok(verified.clone())));
    authority
        .expect_authorize()
        .returning(|_, _, _| ready(Ok(true)));

    let service: AdminService<DeskPorts> = AdminService::new(
        desk,
        MockTokenStore::new(),
        MockPlatformDirectory::new(),
        authority,
        MockAuditTrail::new(),
        Settings::default(),
    );
    let presented = BearerToken::parse("the-agents-token")?;
    let caller = service
        .authenticate(&presented, Permission::AccessCheck)
        .await?;
    let decision = service
        .check_access(&caller, &AccessQuery::new(customer.to_string()))
        .await?;
    let elsewhere = service
        .check_access(
            &caller,
            &AccessQuery::new(OrganizationId::generate().to_string()),
        )
        .await?;
    let listing = service
        .authenticate(&presented, Permission::UsersList)
        .await;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "the agent administers the customer: {}, as {:?}",
        decision.has_access, decision.role
    )?;
    writeln!(
        out,
        "the agent administers another organization: {}",
        elsewhere.has_access
    )?;
    writeln!(
        out,
        "the agent may list every user: {}",
        !matches!(listing, Err(AdminError::Forbidden(_)))
    )?;
    let expected = decision.has_access
        && decision.role == Some(AccessRole::Member(Role::Admin))
        && !elsewhere.has_access
        && matches!(listing, Err(AdminError::Forbidden(Permission::UsersList)));
    if !expected {
        return Err("the rules did not answer as the desk expects".into());
    }
    Ok(())
}
