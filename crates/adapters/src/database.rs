//! The storage adapter: one [`Database`] implements the admin access, token store and platform
//! directory ports against PostgreSQL or SQLite. Queries are written once, with diesel, and run
//! on whichever backend the URL names (`pools::with_connection!`); where the two must differ,
//! the difference is in `backend`. This file only names the parts:
//!
//! | module | what |
//! | --- | --- |
//! | `url`, `settings`, `setup` | the URL, the pools' settings and status, setup errors |
//! | `pools` | [`Database`]: its pools, made and sized; the connection a standalone statement runs on |
//! | `shared` | PostgreSQL's shared, pipelined connections |
//! | `writable` | keeping the primary's connections on the server that accepts writes |
//! | `replica` | reads from a replica while it keeps up, and the watcher that says so |
//! | `backend` | where PostgreSQL and SQLite are told different things |
//! | `access`, `tokens`, `directory`, `audit` | the four storage ports; `audit` also the chain |
//! | `prefix`, `totals` | how a prefix filter is read; kept totals, and a page read with its total |
//! | `schema`, `sql_types`, `rows` | the tables, their two portable column types, and rows |
//! | `errors`, `migrations` | storage failures in the domain's terms; the embedded migrations |

mod access;
mod appender;
mod audit;
mod backend;
mod connect;
mod directory;
mod errors;
mod migrations;
mod pools;
mod prefix;
mod replica;
mod rows;
mod schedule;
mod schema;
mod settings;
mod setup;
mod shared;
mod sql_types;
mod tokens;
mod totals;
mod url;
mod writable;

pub use audit::detail_json;
pub use backend::CLEANUP_TURN;
pub use pools::Database;
pub use prefix::SELECTIVE;
pub use replica::ReplicaStatus;
pub use schedule::{ClaimedRun, CleanupSchedule};
pub use settings::{PoolSettings, PoolStatus};
pub use setup::DatabaseError;
pub use setup::MigrationError;
pub use shared::PIPELINE_DEPTH;
pub use url::DatabaseUrl;
