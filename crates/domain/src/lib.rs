//! # admin-domain: the rules of the platform admin API
//!
//! This crate says who may administer what on a multi-tenant platform, and how the platform's
//! users, organizations, workspaces and tokens are listed and cleaned up. It knows nothing of
//! HTTP, SQL or token formats: those live behind five **ports** (traits) that adapters
//! implement.
//!
//! | port | what it gives the rules |
//! | --- | --- |
//! | [`AdminAccess`] | the caller's token record, platform role and memberships, read fresh |
//! | [`TokenStore`] | one record per issued token: record, revoke, clean up |
//! | [`PlatformDirectory`] | keyset pages of users, organizations, workspaces; creating them |
//! | [`TokenAuthority`] | token verification: signing, and a presented token into claims |
//! | [`AuditTrail`] | the hash-chained audit trail: events listed, verified; its head |
//!
//! [`AdminService`] holds one implementation of each (named together by a [`Ports`] type) and
//! offers the use cases: [`AdminService::authenticate`], [`AdminService::check_access`],
//! [`AdminService::platform_status`], [`AdminService::cleanup_tokens`], the seven listings
//! and the single reads, and issuing and revoking tokens, each change recorded as an [`AuditEntry`] in the change's
//! own transaction. [`Provisioning`] holds only a directory, a token store and the trail, for
//! the operator's commands that create things.
//!
//! ## The rules in brief
//! - A **platform administrator** is an `owner` or `admin` of the platform organization. They
//!   hold every [`Permission`]; everyone else holds only `access:check` and `platform:status`.
//! - A token authenticates when its signature is good, its record exists, is not revoked or
//!   expired, and its user is active ([`AuthFailure`] says which check failed, for logs only).
//!   Only then do its own checks, those its holders appended included, decide whether it may
//!   perform the operation, at a cost the token authority bounds.
//! - Access checks never reveal whether an organization exists.
//!
//! ## Testing against the ports
//! With the `mocks` feature, every port has a mockall mock, bundled as [`MockPorts`], and
//! [`mocks::World`] holds one of each, ready for expectations:
//!
//! ```
//! # #[cfg(feature = "mocks")]
//! # {
//! use admin_domain::mocks::{World, ready};
//! use admin_domain::*;
//!
//! let mut world = World::default();
//! world
//!     .authority
//!     .expect_verify()
//!     .returning(|_| ready(Err(AuthFailure::BadSignature.into())));
//! world.access.expect_caller().never();
//! let service: AdminService<MockPorts> = world.service();
//! let token = BearerToken::parse("forged").unwrap();
//! let outcome = block_on(service.authenticate(&token, Permission::UsersList));
//! assert!(matches!(outcome, Err(AdminError::Unauthenticated(AuthFailure::BadSignature))));
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! # }
//! ```
//!
//! `examples/sibling.rs` is a sibling service that implements one port on its own storage
//! and takes the mocks for the others.
#![warn(missing_docs)]

mod audit;
mod caller;
mod chain;
mod entities;
mod errors;
mod filters;
mod ids;
mod inputs;
mod listing;
#[cfg(any(test, feature = "mocks"))]
pub mod mocks;
mod permission;
mod ports;
mod role;
mod service;
mod store_status;
mod timestamp;
mod token;

pub use audit::{
    Action, Actor, AuditEntry, AuditEvent, AuditFilter, ChainBreak, ChainCheck, ChainHead, Detail,
    Details, Origin, Target, TargetKind, Via,
};
pub use caller::{Caller, CallerRecord};
pub use chain::GENESIS;
pub use entities::{
    Member, Membership, Organization, OrganizationMembership, OrganizationSummary, Revocation,
    TokenRecord, User, UserRevocation, Workspace,
};
pub use errors::{
    AdminError, AuthFailure, AuthorityError, BoxError, Conflict, InvalidInput, Missing, StoreError,
};
pub use filters::{
    Caseless, OrganizationFilter, RoleFilter, TokenFilter, TokenState, UserFilter, WorkspaceFilter,
};
pub use ids::{AuditEventId, OrganizationId, RevocationId, TokenId, UserId, WorkspaceId};
pub use inputs::{Email, Name, SeedPlan, Slug, Ttl, parse_duration};
pub use listing::{
    Cursor, Limit, LimitError, Listed, Listing, ListingKind, Order, Page, PageRequest, Position,
    Rows, Seek,
};
pub use permission::Permission;
pub use ports::{
    AdminAccess, AuditTrail, ClaimedRun, CleanupElection, PlatformDirectory, Ports, TokenAuthority,
    TokenStore,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{
    MockAdminAccess, MockAuditTrail, MockCleanupElection, MockPlatformDirectory, MockPorts,
    MockTokenAuthority, MockTokenStore,
};
pub use role::Role;
pub use service::{
    AccessDecision, AccessQuery, AccessRole, AdminService, CleanupReport, CleanupRequest,
    CleanupRun, NewOrganization, Provisioning, Settings,
};
pub use store_status::{PoolStatus, ReplicaStatus};
pub use timestamp::Timestamp;
pub use token::{BearerToken, IssuedToken, TokenClaims, VerifiedToken};
