//! The storage adapter: one [`Database`] implements the admin access, token store, platform
//! directory and audit trail ports against PostgreSQL or SQLite. Queries are written once, with
//! diesel, and run on whichever backend the URL names (`connections::with_connection!`); where
//! the two must differ, the difference is in `backend`. This file only names the parts:
//!
//! | module | what |
//! | --- | --- |
//! | `store` | [`Database`]: opened, sized, asked how it is; it holds the parts below |
//! | `url`, `settings`, `setup_errors` | the URL, the pools' settings, why storage could not be set up |
//! | `connect`, `connections` | a session; the pools and the connection a statement runs on |
//! | `shared` | PostgreSQL's shared, pipelined connections |
//! | `writable` | keeping the primary's connections on the server that accepts writes |
//! | `replica` | reads from a replica while it keeps up, and the watcher that says so |
//! | `backend` | where PostgreSQL and SQLite are told different things |
//! | `access`, `tokens`, `directory`, `audit`, `election` | the storage ports |
//! | `chain`, `appender` | the audit chain's rows and appends; batched appends |
//! | `keyset`, `prefix`, `totals` | a page's statement; how a prefix narrows it; kept totals |
//! | `schema`, `sql_types`, `rows` | the tables, their two portable column types, and rows |
//! | `errors`, `migrations` | storage failures in the domain's terms; the embedded migrations |
//! | `for_tests` | what tests ask beyond the ports (feature `testing`) |

mod access;
mod appender;
mod audit;
mod backend;
mod chain;
mod connect;
mod connections;
mod directory;
mod election;
mod errors;
#[cfg(feature = "testing")]
mod for_tests;
mod keyset;
mod migrations;
mod prefix;
mod replica;
mod rows;
mod schema;
mod settings;
mod setup_errors;
mod shared;
mod sql_types;
mod store;
mod tokens;
mod totals;
mod url;
mod writable;

pub use backend::CLEANUP_TURN;
pub use election::CleanupSchedule;
pub use prefix::SELECTIVE;
pub use settings::PoolSettings;
pub use setup_errors::DatabaseError;
pub use setup_errors::MigrationError;
pub use shared::PIPELINE_DEPTH;
pub use store::Database;
pub use url::DatabaseUrl;
