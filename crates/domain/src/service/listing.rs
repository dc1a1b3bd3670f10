use crate::caller::Caller;
use crate::entities::{OrganizationSummary, User, Workspace};
use crate::errors::AdminError;
use crate::listing::{Page, PageRequest};
use crate::permission::Permission;
use crate::ports::{PlatformDirectory, Ports};

use super::admin::AdminService;

impl<P: Ports> AdminService<P> {
    /// A page of every user of the platform (`users:list`).
    pub async fn list_users(
        &self,
        caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<User>, AdminError> {
        caller.require(Permission::UsersList)?;
        let rows = self
            .directory
            .users(request.after, request.rows_to_read())
            .await?;
        Ok(Page::from_rows(request, rows))
    }

    /// A page of every organization of the platform, with sizes (`organizations:list`).
    pub async fn list_organizations(
        &self,
        caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<OrganizationSummary>, AdminError> {
        caller.require(Permission::OrganizationsList)?;
        let rows = self
            .directory
            .organizations(request.after, request.rows_to_read())
            .await?;
        Ok(Page::from_rows(request, rows))
    }

    /// A page of every workspace of the platform (`workspaces:list`).
    pub async fn list_workspaces(
        &self,
        caller: &Caller,
        request: &PageRequest,
    ) -> Result<Page<Workspace>, AdminError> {
        caller.require(Permission::WorkspacesList)?;
        let rows = self
            .directory
            .workspaces(request.after, request.rows_to_read())
            .await?;
        Ok(Page::from_rows(request, rows))
    }
}
