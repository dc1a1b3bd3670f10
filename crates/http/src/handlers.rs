//! The handlers: extract, call the endpoint's use case (and, for a read, the one that records
//! it when reads are audited: `audited`), answer. One file per area.

pub mod access;
pub mod audit;
pub mod audited;
pub mod cleanup;
pub mod health;
pub mod listing;
pub mod resources;
pub mod tokens;
