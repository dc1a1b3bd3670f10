//! The operator's commands that create things, and synthetic data. They run with the
//! operator's own database access, so they take no caller (their events are `via: cli`), and
//! they need neither token verification nor admin access: [`Provisioning`] holds only the
//! directory, the token store and the audit trail.

use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use futures_util::{TryStreamExt, stream};

use crate::audit::{Action, AuditEntry, ChainCheck, ChainHead, Details, Origin, Target};
use crate::entities::{Membership, Organization, TokenRecord, User, Workspace};
use crate::errors::{AdminError, Missing};
use crate::ids::{OrganizationId, RevocationId, TokenId, UserId, WorkspaceId};
use crate::inputs::{Email, Name, SeedPlan, Slug};
use crate::ports::{AuditTrail, PlatformDirectory, TokenStore};
use crate::role::Role;
use crate::timestamp::Timestamp;

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

/// Batches a seed writes at once: enough to keep a database server's cores busy.
const SEED_CONCURRENCY: usize = 4;

/// The commands that create organizations, users, memberships and workspaces, and seed
/// synthetic data, over a directory, a token store and the audit trail.
#[derive(Debug)]
pub struct Provisioning<D, T, A> {
    directory: D,
    tokens: T,
    trail: A,
}

/// The event of an operator's command.
fn cli_event(action: Action, target: Target, details: Details) -> AuditEntry {
    AuditEntry::new(&Origin::Cli, action, Some(target), details)
}

impl<D: PlatformDirectory, T: TokenStore, A: AuditTrail> Provisioning<D, T, A> {
    /// The commands over these ports.
    pub fn new(directory: D, tokens: T, trail: A) -> Self {
        Self {
            directory,
            tokens,
            trail,
        }
    }

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
            name: new.name,
            slug,
            is_platform: new.platform,
            created_at: Timestamp::now(),
        };
        let event = cli_event(
            Action::OrganizationCreate,
            Target::organization(organization.id),
            Details::new(),
        );
        self.directory
            .add_organizations(
                std::slice::from_ref(&organization),
                std::slice::from_ref(&event),
            )
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
            email,
            display_name,
            is_active: true,
            created_at: Timestamp::now(),
        };
        let event = cli_event(Action::UserCreate, Target::user(user.id), Details::new());
        self.directory
            .add_users(std::slice::from_ref(&user), std::slice::from_ref(&event))
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
        require_user(&self.directory, user_id).await?;
        require_organization(&self.directory, organization_id).await?;
        let membership = Membership {
            user_id,
            organization_id,
            role,
            joined_at: Timestamp::now(),
        };
        let event = cli_event(
            Action::MembershipSet,
            Target::organization(organization_id),
            Details::new()
                .with("user_id", Some(user_id))
                .with("role", role.as_str().to_owned()),
        );
        self.directory
            .set_memberships(&[membership], std::slice::from_ref(&event))
            .await?;
        Ok(membership)
    }

    /// Creates a workspace in an organization; its slug is derived from its name when absent.
    pub async fn create_workspace(
        &self,
        organization_id: OrganizationId,
        name: Name,
        slug: Option<Slug>,
    ) -> Result<Workspace, AdminError> {
        require_organization(&self.directory, organization_id).await?;
        let slug = match slug {
            Some(slug) => slug,
            None => Slug::from_name(&name)?,
        };
        let workspace = Workspace {
            id: WorkspaceId::generate(),
            organization_id,
            name,
            slug,
            created_at: Timestamp::now(),
        };
        let event = cli_event(
            Action::WorkspaceCreate,
            Target::workspace(workspace.id),
            Details::new().with("organization_id", Some(organization_id)),
        );
        self.directory
            .add_workspaces(
                std::slice::from_ref(&workspace),
                std::slice::from_ref(&event),
            )
            .await?;
        Ok(workspace)
    }

    /// Writes synthetic data in batches, [`SEED_CONCURRENCY`] at a time: organizations, users
    /// each a member of one organization (in contiguous runs, so that a batch moves few
    /// organizations' member counts; roles in turn), workspaces spread over the organizations,
    /// and token records that expired a day ago, spread over the users. Its one event is
    /// recorded once every batch is written: the batches are many transactions, not one.
    pub async fn seed(&self, plan: SeedPlan) -> Result<(), AdminError> {
        let plan = plan.validate()?;
        let event = AuditEntry::new(
            &Origin::Cli,
            Action::Seed,
            None,
            Details::new()
                .with("users", plan.users as u64)
                .with("organizations", plan.organizations as u64)
                .with("workspaces", plan.workspaces as u64)
                .with("expired_tokens", plan.expired_tokens as u64),
        );
        // Names unique to this run (the random tail of a UUIDv7), so seeds can be repeated.
        let run = UserId::generate().as_uuid().simple().to_string();
        let run = &run[run.len() - 8..];
        let start = Timestamp::now().saturating_sub(Duration::from_secs(30 * 86_400));
        let at = |step: usize, unit_micros: u64| {
            start.saturating_add(Duration::from_micros(
                unit_micros.saturating_mul(step as u64),
            ))
        };
        let organizations: &[OrganizationId] = &(0..plan.organizations)
            .map(|_| OrganizationId::generate())
            .collect::<Vec<_>>();
        let users: &[UserId] = &(0..plan.users)
            .map(|_| UserId::generate())
            .collect::<Vec<_>>();
        let members_each = users.len().div_ceil(organizations.len().max(1));

        in_batches(plan.organizations, |range| async move {
            let rows = range
                .map(|i| {
                    Ok(Organization {
                        id: organizations[i],
                        name: Name::parse(&format!("Org {i}"))?,
                        slug: Slug::parse(&format!("org-{run}-{i}"))?,
                        is_platform: false,
                        created_at: at(i, 1_000_000),
                    })
                })
                .collect::<Result<Vec<_>, AdminError>>()?;
            Ok(self.directory.add_organizations(&rows, &[]).await?)
        })
        .await?;

        in_batches(plan.users, |range| async move {
            let rows = range
                .clone()
                .map(|i| {
                    Ok(User {
                        id: users[i],
                        email: Email::parse(&format!("user{i}-{run}@example.com"))?,
                        display_name: Some(Name::parse(&format!("User {i}"))?),
                        is_active: true,
                        created_at: at(i, 1_000),
                    })
                })
                .collect::<Result<Vec<_>, AdminError>>()?;
            self.directory.add_users(&rows, &[]).await?;
            if organizations.is_empty() {
                return Ok(());
            }
            let memberships: Vec<Membership> = range
                .map(|i| Membership {
                    user_id: users[i],
                    organization_id: organizations[i / members_each],
                    role: Role::ALL[i % Role::ALL.len()],
                    joined_at: at(i, 1_000),
                })
                .collect();
            Ok(self.directory.set_memberships(&memberships, &[]).await?)
        })
        .await?;

        in_batches(plan.workspaces, |range| async move {
            let rows = range
                .map(|i| {
                    Ok(Workspace {
                        id: WorkspaceId::generate(),
                        organization_id: organizations[i % organizations.len()],
                        name: Name::parse(&format!("WS {i}"))?,
                        slug: Slug::parse(&format!("ws-{i}"))?,
                        created_at: at(i, 1_000),
                    })
                })
                .collect::<Result<Vec<_>, AdminError>>()?;
            Ok(self.directory.add_workspaces(&rows, &[]).await?)
        })
        .await?;

        let expired_at = Timestamp::now().saturating_sub(Duration::from_secs(86_400));
        in_batches(plan.expired_tokens, |range| async move {
            let rows = range
                .map(|i| {
                    Ok(TokenRecord {
                        id: TokenId::generate(),
                        user_id: users[i % users.len()],
                        organization_id: None,
                        revocation_id: synthetic_revocation_id()?,
                        issued_at: expired_at.saturating_sub(Duration::from_secs(3_600)),
                        expires_at: expired_at,
                        revoked_at: None,
                    })
                })
                .collect::<Result<Vec<_>, AdminError>>()?;
            Ok(self.tokens.record(&rows, &[]).await?)
        })
        .await?;
        Ok(self.trail.append(&event).await?)
    }
}

impl<D, T, A: AuditTrail> Provisioning<D, T, A> {
    /// Walks the audit trail's chain, recomputing every hash.
    pub async fn verify_trail(&self) -> Result<ChainCheck, AdminError> {
        Ok(self.trail.verify().await?)
    }

    /// The audit trail's head: how many events, and the newest one's hash.
    pub async fn trail_head(&self) -> Result<ChainHead, AdminError> {
        Ok(self.trail.head().await?)
    }
}

/// [`Missing::User`] unless the directory has this user.
pub(super) async fn require_user(
    directory: &impl PlatformDirectory,
    id: UserId,
) -> Result<(), AdminError> {
    match directory.find_user(id).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound(Missing::User)),
    }
}

/// [`Missing::Organization`] unless the directory has this organization.
pub(super) async fn require_organization(
    directory: &impl PlatformDirectory,
    id: OrganizationId,
) -> Result<(), AdminError> {
    match directory.find_organization(id).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound(Missing::Organization)),
    }
}

/// Runs `write` on `0..count` in ranges of at most [`SEED_BATCH`], [`SEED_CONCURRENCY`] at
/// a time; the first error stops it.
async fn in_batches<W, F>(count: usize, write: W) -> Result<(), AdminError>
where
    W: FnMut(Range<usize>) -> F,
    F: Future<Output = Result<(), AdminError>>,
{
    let ranges = (0..count)
        .step_by(SEED_BATCH)
        .map(move |start| Ok(start..count.min(start + SEED_BATCH)));
    stream::iter(ranges)
        .try_for_each_concurrent(SEED_CONCURRENCY, write)
        .await
}

/// A random revocation id for a synthetic record that no token will ever present.
fn synthetic_revocation_id() -> Result<RevocationId, AdminError> {
    let [a, b] =
        [TokenId::generate(), TokenId::generate()].map(|id| id.as_uuid().simple().to_string());
    Ok(RevocationId::parse(&(a + &b))?)
}
