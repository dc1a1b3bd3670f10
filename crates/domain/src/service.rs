//! The use cases: [`AdminService`] for the API, [`Provisioning`] for the commands that
//! create things; one file per area. This file only names them.

mod access;
mod admin;
mod authentication;
mod cleanup;
mod listing;
mod provisioning;
mod refused;
mod tokens;

pub use access::{AccessDecision, AccessQuery, AccessRole};
pub use admin::{AdminService, Settings};
pub use cleanup::{CleanupReport, CleanupRequest, CleanupRun};
pub use provisioning::{NewOrganization, Provisioning};
