//! Connections to the database: the URL, the pools and their settings, PostgreSQL's shared
//! connections, the primary's writability, the replica and its watcher, the migrations, and
//! why setting them up failed.

pub(in crate::database) mod connect;
pub(in crate::database) mod connections;
pub(in crate::database) mod migrations;
pub(in crate::database) mod replica;
pub(in crate::database) mod settings;
pub(in crate::database) mod setup_errors;
pub(in crate::database) mod shared;
pub(in crate::database) mod url;
pub(in crate::database) mod writable;
