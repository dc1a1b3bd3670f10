//! The handlers: extract, call one use case, answer. One file per area.

pub mod access;
pub mod audit;
pub mod audited;
pub mod cleanup;
pub mod health;
pub mod listing;
pub mod resources;
pub mod tokens;
