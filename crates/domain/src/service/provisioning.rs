//! The operator's commands: create things, issue and revoke tokens, seed synthetic data.
//! They run with the operator's own database access, so they take no caller.

use std::time::Duration;

use crate::entities::{Membership, Organization, TokenRecord, User, Workspace};
use crate::errors::AdminError;
use crate::ids::{OrganizationId, RevocationId, TokenId, UserId, WorkspaceId};
use crate::ports::{PlatformDirectory, Ports, TokenAuthority, TokenStore};
use crate::provisioning::{Email, Name, SeedPlan, Slug, Ttl};
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::token::{BearerToken, IssuedToken, TokenClaims};

use super::AdminService;

/// An organization to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// Its name.
    pub name: Name,
    /// Its slug; derived from the name when absent.
    pub slug: Option<Slug>,
    /// Whether it is the platform organization.
    pub platform: bool,
}

/// Rows a seed writes per call to a port.
const SEED_BATCH: usize = 5_000;

impl<P: Ports> AdminService<P> {
    /// Creates an organization. A taken slug, or a second platform organization, is a
    /// [`AdminError::Conflict`].
    pub async fn create_organization(
        &self,
        new: NewOrganization,
    ) -> Result<Organization, AdminError> {
        let slug = match new.slug {
            Some(slug) => slug,
            None => Slug::from_name(&new.name)?,
        };
        let organization = Organization {
            id: OrganizationId::generate(),
            name: new.name.as_str().to_owned(),
            slug: slug.as_str().to_owned(),
            is_platform: new.platform,
            created_at: Timestamp::now(),
        };
        self.directory
            .add_organizations(std::slice::from_ref(&organization))
            .await?;
        Ok(organization)
    }

    /// Creates an active user. A taken email is a [`AdminError::Conflict`].
    pub async fn create_user(
        &self,
        email: Email,
        display_name: Option<Name>,
    ) -> Result<User, AdminError> {
        let user = User {
            id: UserId::generate(),
            email: email.as_str().to_owned(),
            display_name: display_name.map(|name| name.as_str().to_owned()),
            is_active: true,
            created_at: Timestamp::now(),
        };
        self.directory
            .add_users(std::slice::from_ref(&user))
            .await?;
        Ok(user)
    }

    /// Makes the user a member of the organization with `role`, or changes its role there.
    pub async fn set_membership(
        &self,
        user_id: UserId,
        organization_id: OrganizationId,
        role: Role,
    ) -> Result<Membership, AdminError> {
        self.require_user(user_id).await?;
        self.require_organization(organization_id).await?;
        let membership = Membership {
            user_id,
            organization_id,
            role,
        };
        self.directory.set_memberships(&[membership]).await?;
        Ok(membership)
    }

    /// Creates a workspace in an organization; its slug is derived from its name when absent.
    pub async fn create_workspace(
        &self,
        organization_id: OrganizationId,
        name: Name,
        slug: Option<Slug>,
    ) -> Result<Workspace, AdminError> {
        self.require_organization(organization_id).await?;
        let slug = match slug {
            Some(slug) => slug,
            None => Slug::from_name(&name)?,
        };
        let workspace = Workspace {
            id: WorkspaceId::generate(),
            organization_id,
            name: name.as_str().to_owned(),
            slug: slug.as_str().to_owned(),
            created_at: Timestamp::now(),
        };
        self.directory
            .add_workspaces(std::slice::from_ref(&workspace))
            .await?;
        Ok(workspace)
    }

    /// Signs a token for the user, optionally scoped to an organization, living `ttl`, and
    /// records it. The expiry is whole seconds, as Biscuit dates are.
    pub async fn issue_token(
        &self,
        user_id: UserId,
        organization_id: Option<OrganizationId>,
        ttl: Ttl,
    ) -> Result<IssuedToken, AdminError> {
        self.require_user(user_id).await?;
        if let Some(organization_id) = organization_id {
            self.require_organization(organization_id).await?;
        }
        let issued_at = Timestamp::now();
        let claims = TokenClaims {
            token_id: TokenId::generate(),
            user_id,
            organization_id,
            expires_at: issued_at
                .saturating_add(ttl.duration())
                .truncated_to_seconds(),
        };
        let issued = self
            .authority
            .issue(&claims)
            .map_err(AdminError::Internal)?;
        let record = TokenRecord {
            id: claims.token_id,
            user_id,
            organization_id,
            revocation_id: issued.revocation_id.clone(),
            issued_at,
            expires_at: claims.expires_at,
            revoked_at: None,
        };
        self.tokens.record(&[record]).await?;
        Ok(issued)
    }

    /// Revokes a token signed by this service. Revoking it again keeps the first revocation.
    pub async fn revoke_token(&self, token: &BearerToken) -> Result<(), AdminError> {
        let revocation_id = self.authority.revocation_id(token)?;
        if self.tokens.revoke(&revocation_id, Timestamp::now()).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound("no record of this token".to_owned()))
        }
    }

    /// Writes synthetic data in batches: organizations, users each a member of one
    /// organization (roles in turn), workspaces spread over the organizations, and token
    /// records that expired a day ago, spread over the users.
    pub async fn seed(&self, plan: SeedPlan) -> Result<(), AdminError> {
        let plan = plan.validate()?;
        // Names unique to this run (the random tail of a UUIDv7), so seeds can be repeated.
        let run = UserId::generate().as_uuid().simple().to_string();
        let run = &run[run.len() - 8..];
        let start = Timestamp::now().saturating_sub(Duration::from_secs(30 * 86_400));
        let at = |step: usize, unit_micros: u64| {
            start.saturating_add(Duration::from_micros(
                unit_micros.saturating_mul(step as u64),
            ))
        };

        let organizations: Vec<OrganizationId> = (0..plan.organizations)
            .map(|_| OrganizationId::generate())
            .collect();
        for range in batches(plan.organizations) {
            let rows: Vec<Organization> = range
                .map(|i| Organization {
                    id: organizations[i],
                    name: format!("Org {i}"),
                    slug: format!("org-{run}-{i}"),
                    is_platform: false,
                    created_at: at(i, 1_000_000),
                })
                .collect();
            self.directory.add_organizations(&rows).await?;
        }

        let mut token_owners = Vec::with_capacity(plan.expired_tokens.min(plan.users));
        for range in batches(plan.users) {
            let users: Vec<User> = range
                .clone()
                .map(|i| User {
                    id: UserId::generate(),
                    email: format!("user{i}-{run}@example.com"),
                    display_name: Some(format!("User {i}")),
                    is_active: true,
                    created_at: at(i, 1_000),
                })
                .collect();
            self.directory.add_users(&users).await?;
            if !organizations.is_empty() {
                let memberships: Vec<Membership> = range
                    .zip(&users)
                    .map(|(i, user)| Membership {
                        user_id: user.id,
                        organization_id: organizations[i % organizations.len()],
                        role: Role::ALL[i % Role::ALL.len()],
                    })
                    .collect();
                self.directory.set_memberships(&memberships).await?;
            }
            let wanted = token_owners.capacity() - token_owners.len();
            token_owners.extend(users.iter().map(|user| user.id).take(wanted));
        }

        for range in batches(plan.workspaces) {
            let rows: Vec<Workspace> = range
                .map(|i| Workspace {
                    id: WorkspaceId::generate(),
                    organization_id: organizations[i % organizations.len()],
                    name: format!("WS {i}"),
                    slug: format!("ws-{i}"),
                    created_at: at(i, 1_000),
                })
                .collect();
            self.directory.add_workspaces(&rows).await?;
        }

        let expired_at = Timestamp::now().saturating_sub(Duration::from_secs(86_400));
        for range in batches(plan.expired_tokens) {
            let rows = range
                .map(|i| {
                    Ok(TokenRecord {
                        id: TokenId::generate(),
                        user_id: token_owners[i % token_owners.len()],
                        organization_id: None,
                        revocation_id: synthetic_revocation_id()?,
                        issued_at: expired_at.saturating_sub(Duration::from_secs(3_600)),
                        expires_at: expired_at,
                        revoked_at: None,
                    })
                })
                .collect::<Result<Vec<_>, AdminError>>()?;
            self.tokens.record(&rows).await?;
        }
        Ok(())
    }

    async fn require_user(&self, id: UserId) -> Result<(), AdminError> {
        match self.directory.find_user(id).await? {
            Some(_) => Ok(()),
            None => Err(AdminError::NotFound(format!("no user {id}"))),
        }
    }

    async fn require_organization(&self, id: OrganizationId) -> Result<(), AdminError> {
        match self.directory.find_organization(id).await? {
            Some(_) => Ok(()),
            None => Err(AdminError::NotFound(format!("no organization {id}"))),
        }
    }
}

/// `0..count` in ranges of at most [`SEED_BATCH`].
fn batches(count: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..count)
        .step_by(SEED_BATCH)
        .map(move |start| start..count.min(start + SEED_BATCH))
}

/// A random revocation id for a synthetic record that no token will ever present.
fn synthetic_revocation_id() -> Result<RevocationId, AdminError> {
    let [a, b] =
        [TokenId::generate(), TokenId::generate()].map(|id| id.as_uuid().simple().to_string());
    Ok(RevocationId::parse(&(a + &b))?)
}
