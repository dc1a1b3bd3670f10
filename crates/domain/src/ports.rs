//! The ports: what the domain needs from the outside world, as small traits.
//!
//! Each method's doc comment states the contract every implementation MUST keep, so a sibling
//! service can implement or mock a port without reading this project's adapters. With the
//! `mocks` feature, mockall mocks of every port are exported (`MockAdminAccess`,
//! `MockTokenStore`, `MockPlatformDirectory`, `MockTokenAuthority`, `MockAuditTrail`), and
//! [`MockPorts`] bundles them.
//!
//! A method that changes something and takes an [`AuditEntry`] MUST write the event in the
//! same transaction as the change, through the same chain as [`AuditTrail::append`]: when the
//! event cannot be written, the change does not happen.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::audit::{AuditEntry, AuditEvent, AuditFilter, ChainCheck, ChainHead};
use crate::caller::CallerRecord;
use crate::entities::{
    Member, Membership, Organization, OrganizationMembership, OrganizationSummary, Revocation,
    TokenRecord, User, Workspace,
};
use crate::errors::{AuthorityError, BoxError, StoreError};
use crate::filters::{OrganizationFilter, RoleFilter, TokenFilter, UserFilter, WorkspaceFilter};
use crate::ids::{OrganizationId, RevocationId, TokenId, UserId, WorkspaceId};
use crate::listing::{Rows, Seek};
use crate::permission::Permission;
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::token::{BearerToken, IssuedToken, TokenClaims, VerifiedToken};

/// Admin access: who holds which role where, and which organization is the platform's.
///
/// Implementations MUST read current data on every call (no caching): a demotion or a
/// revocation takes effect on the next request.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AdminAccess: Send + Sync + 'static {
    /// Reads, in one round trip, the record of the token with this revocation id together with
    /// its user's activity, the user's role in the platform organization, and whether the
    /// token's organization is the platform organization.
    ///
    /// MUST return `Ok(None)` when no token record has this revocation id.
    fn caller(
        &self,
        revocation_id: &RevocationId,
    ) -> impl Future<Output = Result<Option<CallerRecord>, StoreError>> + Send;

    /// The role of `user` in `organization`.
    ///
    /// MUST return `Ok(None)` both when the user is not a member and when the organization
    /// does not exist: callers cannot tell the two apart.
    fn role_in(
        &self,
        user: UserId,
        organization: OrganizationId,
    ) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
}

/// The token store: one record per token issued.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenStore: Send + Sync + 'static {
    /// Stores these records, all or none, with `events` appended to the trail.
    ///
    /// MUST return [`StoreError::NotFound`] when a record names an unknown user or
    /// organization, and [`Conflict::DuplicateId`](crate::Conflict::DuplicateId) for a duplicate id or revocation id.
    fn record(
        &self,
        tokens: &[TokenRecord],
        events: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks the record `id` revoked at `at`, unless it already is: the first revocation
    /// time stays. Records `event` when it revoked the record, and only then.
    ///
    /// MUST return `Ok(None)` when there is no such record, else the revocation time kept and
    /// whether the record was revoked already.
    fn revoke(
        &self,
        id: TokenId,
        at: Timestamp,
        event: &AuditEntry,
    ) -> impl Future<Output = Result<Option<Revocation>, StoreError>> + Send;

    /// Marks revoked at `at` every record of `user` that could still authenticate then (not
    /// revoked, expiring after `at`), in one statement, and returns how many; records
    /// `event.counted(n)` when it revoked `n > 0`.
    ///
    /// MUST count exactly the records it revoked, whatever runs beside it: a record revoked
    /// meanwhile by another call is counted by that call only. MUST return
    /// [`StoreError::NotFound`] with [`Missing::User`](crate::Missing::User) for an unknown
    /// user, known or not where the records are (a user just made is known).
    fn revoke_all(
        &self,
        user: UserId,
        at: Timestamp,
        event: &AuditEntry,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// A page of a user's token records, by when they were issued. MUST return
    /// [`StoreError::NotFound`] with [`Missing::User`](crate::Missing::User) for an unknown
    /// user, known or not where the records are read: a user just made has its tokens listed,
    /// wherever else users are read from.
    fn tokens_of(
        &self,
        user: UserId,
        filter: &TokenFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<TokenRecord>, StoreError>> + Send;

    /// How many records expired before `cutoff` or were revoked before it.
    fn count_stale(
        &self,
        cutoff: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes at most `batch` records that expired before `cutoff` or were revoked before it,
    /// and returns how many it deleted; records `event.counted(n)` when it deleted `n > 0`.
    ///
    /// MUST never delete a record that expires after `cutoff` and is not revoked before it.
    /// MUST be safe to call from several processes at once: each record is deleted (and
    /// counted) by one call only, and no call waits for another's batch.
    fn delete_stale(
        &self,
        cutoff: Timestamp,
        batch: u32,
        event: &AuditEntry,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// The platform directory: every user, organization, workspace and membership, read in keyset
/// pages, and created.
///
/// Listing methods MUST return the rows matching every filter given, in `seek.order` by
/// (creation time, id) (for memberships, when the user joined, then the member's or the
/// organization's id), strictly after `seek.after`, at most `seek.rows` of them (the use
/// cases ask for one more than a page holds, to learn whether another page follows), and
/// cost about the same on the last page as on the first, without a query per row.
///
/// When `seek.total`, they MUST also return how many rows match every filter, on every page,
/// exactly: at a cost independent of the table's size for an unfiltered listing and for a
/// parent's unfiltered members or workspaces (kept counters), and reading no more than the
/// matching rows of an index otherwise.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PlatformDirectory: Send + Sync + 'static {
    /// A page of users.
    fn users(
        &self,
        filter: &UserFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<User>, StoreError>> + Send;

    /// A page of organizations with their member and workspace counts, read with them.
    fn organizations(
        &self,
        filter: &OrganizationFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<OrganizationSummary>, StoreError>> + Send;

    /// A page of workspaces.
    fn workspaces(
        &self,
        filter: &WorkspaceFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<Workspace>, StoreError>> + Send;

    /// A page of an organization's members (none for an unknown organization).
    fn members(
        &self,
        organization: OrganizationId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<Member>, StoreError>> + Send;

    /// A page of the organizations a user belongs to (none for an unknown user).
    fn memberships(
        &self,
        user: UserId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<OrganizationMembership>, StoreError>> + Send;

    /// The user with this id, if there is one.
    fn find_user(
        &self,
        id: UserId,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The organization with this id, with its counts, if there is one.
    fn find_organization(
        &self,
        id: OrganizationId,
    ) -> impl Future<Output = Result<Option<OrganizationSummary>, StoreError>> + Send;

    /// The workspace with this id, if there is one.
    fn find_workspace(
        &self,
        id: WorkspaceId,
    ) -> impl Future<Output = Result<Option<Workspace>, StoreError>> + Send;

    /// Adds users, all or none, with `events` appended to the trail. MUST return
    /// [`Conflict::EmailTaken`](crate::Conflict::EmailTaken) for an email taken.
    fn add_users(
        &self,
        users: &[User],
        events: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds organizations, all or none, with `events` appended to the trail. MUST return
    /// [`Conflict::SlugTaken`](crate::Conflict::SlugTaken) for a slug taken and
    /// [`Conflict::SecondPlatform`](crate::Conflict::SecondPlatform) for a second platform
    /// organization.
    fn add_organizations(
        &self,
        organizations: &[Organization],
        events: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds workspaces, all or none, with `events` appended to the trail. MUST return
    /// [`Conflict::WorkspaceSlugTaken`](crate::Conflict::WorkspaceSlugTaken) for a slug taken
    /// within the organization, [`StoreError::NotFound`] for an unknown organization.
    fn add_workspaces(
        &self,
        workspaces: &[Workspace],
        events: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds memberships, or changes the role of those that exist (which keep when they were
    /// made), all or none, with `events` appended to the trail. MUST return [`StoreError::NotFound`]
    /// for an unknown user or organization.
    fn set_memberships(
        &self,
        memberships: &[Membership],
        events: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The audit trail: events chained by hash, appended by every instance through one chain.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AuditTrail: Send + Sync + 'static {
    /// Appends `event`, which accompanies no change (a read, a dry run, a seed's summary).
    fn append(&self, event: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A page of events matching `filter`, keyset on (`at`, id), with their total when
    /// `seek.total` (read through the index that serves the filter), as the directory's
    /// listings.
    fn events(
        &self,
        filter: &AuditFilter,
        seek: &Seek,
    ) -> impl Future<Output = Result<Rows<AuditEvent>, StoreError>> + Send;

    /// Walks the whole chain in the order it was appended, recomputing every hash.
    fn verify(&self) -> impl Future<Output = Result<ChainCheck, StoreError>> + Send;

    /// The chain's head now.
    fn head(&self) -> impl Future<Output = Result<ChainHead, StoreError>> + Send;
}

/// Token verification: signs tokens, and turns a presented token into verified claims, then
/// into a decision, in that order, so that nothing a token's holder appended is evaluated
/// before its record has been read.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenAuthority: Send + Sync + 'static {
    /// Signs a token stating `claims`, with an expiry check at `claims.expires_at`.
    fn issue(&self, claims: &TokenClaims) -> Result<IssuedToken, BoxError>;

    /// Checks the token's signature and reads its authority block's claims.
    ///
    /// MUST NOT evaluate any rule or check. MUST return [`crate::AuthFailure::Malformed`] for
    /// anything that is not a token of this service's format, [`crate::AuthFailure::BadSignature`]
    /// for a token not signed by this service's root key or altered since, and
    /// [`AuthorityError::Busy`] rather than wait without bound.
    fn verify(
        &self,
        token: &BearerToken,
    ) -> impl Future<Output = Result<VerifiedToken, AuthorityError>> + Send;

    /// Whether the token's own checks, those its holders appended included, accept
    /// `operation` with the facts `time(now)` and `operation("<operation>")`.
    ///
    /// MUST cost a bounded amount of work whatever the token carries, off the caller's
    /// thread: a token whose checks cannot be decided within the bound is refused (`false`).
    /// Called only once the token's record admitted it.
    fn authorize(
        &self,
        token: &BearerToken,
        operation: Permission,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, AuthorityError>> + Send;
}

/// The scheduled cleanup's election: one run per interval, however many instances keep the
/// schedule (one implementation per instance: it may hold a session between calls).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CleanupElection: Send + 'static {
    /// The run of this interval, when it falls to this instance now: no run is in progress on
    /// any instance and none started within `interval`.
    ///
    /// MUST record the run as started before returning it, and MUST NOT return a run to a
    /// second instance until this one's is finished (or this instance is gone).
    fn claim(
        &mut self,
        interval: Duration,
    ) -> impl Future<Output = Result<Option<ClaimedRun>, StoreError>> + Send;

    /// Records how many rows `run` deleted so far.
    fn progress(
        &self,
        run: &ClaimedRun,
        deleted: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records `run` finished, having deleted `deleted` rows, and lets the next run be
    /// elected (also when recording fails).
    fn finish(
        &mut self,
        run: ClaimedRun,
        deleted: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A cleanup run an instance was elected for, recorded as started; shown as its id.
#[derive(Debug, PartialEq, Eq)]
pub struct ClaimedRun {
    id: uuid::Uuid,
}

impl ClaimedRun {
    /// The run `id`: its record's, and its events' `details.run_id`.
    pub fn new(id: uuid::Uuid) -> Self {
        Self { id }
    }

    /// The run's id.
    pub fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl fmt::Display for ClaimedRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.id.fmt(f)
    }
}

/// The five ports a service is built from, named once so that code generic over them has
/// one type parameter instead of five.
pub trait Ports: 'static {
    /// Admin access.
    type Access: AdminAccess;
    /// The token store.
    type Tokens: TokenStore;
    /// The platform directory.
    type Directory: PlatformDirectory;
    /// Token verification.
    type Authority: TokenAuthority;
    /// The audit trail.
    type Trail: AuditTrail;
}

/// The mocks of every port, bundled: `AdminService<MockPorts>` runs the real rules against
/// mockall expectations.
#[cfg(any(test, feature = "mocks"))]
#[derive(Debug)]
pub struct MockPorts;

#[cfg(any(test, feature = "mocks"))]
impl Ports for MockPorts {
    type Access = MockAdminAccess;
    type Tokens = MockTokenStore;
    type Directory = MockPlatformDirectory;
    type Authority = MockTokenAuthority;
    type Trail = MockAuditTrail;
}
