use std::future::Future;

use crate::audit::{Action, AuditEntry, AuditEvent, AuditFilter, Details, Target};
use crate::caller::Caller;
use crate::entities::{
    Member, OrganizationMembership, OrganizationSummary, TokenRecord, User, Workspace,
};
use crate::errors::{AdminError, Missing};
use crate::filters::{OrganizationFilter, RoleFilter, TokenFilter, UserFilter, WorkspaceFilter};
use crate::ids::{OrganizationId, UserId, WorkspaceId};
use crate::listing::{Page, PageRequest};
use crate::permission::Permission;
use crate::ports::{AuditTrail, PlatformDirectory, Ports, TokenStore};

use super::admin::AdminService;
use super::provisioning::{require_organization, require_user};

impl<P: Ports> AdminService<P> {
    /// A page of the platform's users matching `filter` (`users:list`).
    pub async fn list_users(
        &self,
        caller: &Caller,
        request: &PageRequest,
        filter: &UserFilter,
    ) -> Result<Page<User>, AdminError> {
        caller.require(Permission::UsersList)?;
        let rows = self.directory.users(filter, &request.seek()).await?;
        Ok(Page::from_rows(request, rows))
    }

    /// A page of the platform's organizations matching `filter`, with their sizes
    /// (`organizations:list`).
    pub async fn list_organizations(
        &self,
        caller: &Caller,
        request: &PageRequest,
        filter: &OrganizationFilter,
    ) -> Result<Page<OrganizationSummary>, AdminError> {
        caller.require(Permission::OrganizationsList)?;
        let rows = self
            .directory
            .organizations(filter, &request.seek())
            .await?;
        Ok(Page::from_rows(request, rows))
    }

    /// A page of the platform's workspaces matching `filter` (`workspaces:list`).
    pub async fn list_workspaces(
        &self,
        caller: &Caller,
        request: &PageRequest,
        filter: &WorkspaceFilter,
    ) -> Result<Page<Workspace>, AdminError> {
        caller.require(Permission::WorkspacesList)?;
        let rows = self.directory.workspaces(filter, &request.seek()).await?;
        Ok(Page::from_rows(request, rows))
    }

    /// A page of an organization's members (`organizations:list`); an unknown organization is
    /// [`Missing::Organization`].
    pub async fn list_members(
        &self,
        caller: &Caller,
        organization: OrganizationId,
        request: &PageRequest,
        filter: &RoleFilter,
    ) -> Result<Page<Member>, AdminError> {
        caller.require(Permission::OrganizationsList)?;
        let rows = self
            .directory
            .members(organization, filter, &request.seek())
            .await?;
        let page = Page::from_rows(request, rows);
        of_existing(page, || require_organization(&self.directory, organization)).await
    }

    /// A page of the organizations a user belongs to (`users:list`); an unknown user is
    /// [`Missing::User`].
    pub async fn list_memberships(
        &self,
        caller: &Caller,
        user: UserId,
        request: &PageRequest,
        filter: &RoleFilter,
    ) -> Result<Page<OrganizationMembership>, AdminError> {
        caller.require(Permission::UsersList)?;
        let rows = self
            .directory
            .memberships(user, filter, &request.seek())
            .await?;
        let page = Page::from_rows(request, rows);
        of_existing(page, || require_user(&self.directory, user)).await
    }

    /// A page of a user's tokens, newest or oldest issued first, by state at `filter.at`
    /// (`tokens:list`); an unknown user is [`Missing::User`], as the token records' store
    /// finds it (a replica's view of users may lag it).
    pub async fn list_tokens(
        &self,
        caller: &Caller,
        user: UserId,
        request: &PageRequest,
        filter: &TokenFilter,
    ) -> Result<Page<TokenRecord>, AdminError> {
        caller.require(Permission::TokensList)?;
        let rows = self.tokens.tokens_of(user, filter, &request.seek()).await?;
        Ok(Page::from_rows(request, rows))
    }

    /// One user (`users:list`).
    pub async fn user(&self, caller: &Caller, id: UserId) -> Result<User, AdminError> {
        caller.require(Permission::UsersList)?;
        found(self.directory.find_user(id).await?, Missing::User)
    }

    /// One organization, with its sizes (`organizations:list`).
    pub async fn organization(
        &self,
        caller: &Caller,
        id: OrganizationId,
    ) -> Result<OrganizationSummary, AdminError> {
        caller.require(Permission::OrganizationsList)?;
        found(
            self.directory.find_organization(id).await?,
            Missing::Organization,
        )
    }

    /// One workspace (`workspaces:list`).
    pub async fn workspace(
        &self,
        caller: &Caller,
        id: WorkspaceId,
    ) -> Result<Workspace, AdminError> {
        caller.require(Permission::WorkspacesList)?;
        found(self.directory.find_workspace(id).await?, Missing::Workspace)
    }

    /// A page of the audit trail's events matching `filter`, newest first unless the request
    /// says otherwise (`audit:list`).
    pub async fn list_audit_events(
        &self,
        caller: &Caller,
        request: &PageRequest,
        filter: &AuditFilter,
    ) -> Result<Page<AuditEvent>, AdminError> {
        caller.require(Permission::AuditList)?;
        let rows = self.trail.events(filter, &request.seek()).await?;
        Ok(Page::from_rows(request, rows))
    }

    /// Records that `caller` made the read `action` (of `target`, with the query's parameters
    /// as `details`), when reads are audited (`Settings::audit_reads`); else nothing.
    pub async fn record_read(
        &self,
        caller: &Caller,
        action: Action,
        target: Option<Target>,
        details: Details,
    ) -> Result<(), AdminError> {
        if self.settings.audit_reads {
            let event = AuditEntry::new(&caller.origin(), action, target, details);
            self.trail.append(&event).await?;
        }
        Ok(())
    }

    /// Whether reads are recorded in the audit trail (`Settings::audit_reads`).
    pub fn records_reads(&self) -> bool {
        self.settings.audit_reads
    }
}

/// `page` of a sub-listing, once its parent is known to exist: rows name their parent, so only
/// an empty page leaves that open, and then `exists` settles it (a 404 for an unknown one).
async fn of_existing<T, F>(page: Page<T>, exists: impl FnOnce() -> F) -> Result<Page<T>, AdminError>
where
    F: Future<Output = Result<(), AdminError>>,
{
    if page.items.is_empty() {
        exists().await?;
    }
    Ok(page)
}

fn found<T>(row: Option<T>, missing: Missing) -> Result<T, AdminError> {
    row.ok_or(AdminError::NotFound(missing))
}
