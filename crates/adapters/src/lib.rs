//! # admin-adapters: the admin API's ports, implemented
//!
//! - [`Database`] implements [`admin_domain::AdminAccess`], [`admin_domain::TokenStore`],
//!   [`admin_domain::PlatformDirectory`] and [`admin_domain::AuditTrail`] with diesel-async, on PostgreSQL or an embedded SQLite
//!   file. All SQL of the project lives in [`database`].
//! - [`BiscuitAuthority`] implements [`admin_domain::TokenAuthority`] with biscuit-auth.
//! - [`Adapters`] names them together as the domain's [`admin_domain::Ports`].

pub mod biscuit;
pub mod database;
pub mod files;
#[cfg(feature = "testing")]
#[allow(clippy::expect_used, clippy::panic, clippy::print_stderr)]
// test support: failing loudly is its job
pub mod testing;

pub use biscuit::{BiscuitAuthority, PreviousKey, RootKey};
pub use database::{CleanupSchedule, Database, DatabaseError, DatabaseUrl, PoolSettings};

/// The production ports: the database for storage, Biscuit for tokens.
#[derive(Debug)]
pub struct Adapters;

impl admin_domain::Ports for Adapters {
    type Access = Database;
    type Tokens = Database;
    type Directory = Database;
    type Authority = BiscuitAuthority;
    type Trail = Database;
}
