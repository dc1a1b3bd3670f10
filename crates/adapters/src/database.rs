//! The storage adapter: one [`Database`] implements the storage ports against PostgreSQL or
//! SQLite. Queries are written once, with diesel, and run on whichever backend the URL names
//! (`connection::connections::with_connection!`); where the two must differ, the difference is
//! in `query::backend`. This file only names the parts:
//!
//! | module | what |
//! | --- | --- |
//! | `store` | [`Database`]: opened, sized, asked how it is; it holds its connections, a replica, the appender |
//! | `access`, `tokens`, `directory`, `audit`, `election` | the storage ports, one file each |
//! | `connection/` | the URL and settings, sessions and pools, PostgreSQL's shared connections, the primary's writability, the replica and its watcher, migrations, setup errors |
//! | `query/` | the schema and its two portable column types, rows, keyset pages, prefixes, totals, and where the backends differ |
//! | `trail/` | the audit chain's rows and appends; the appender's batches |
//! | `errors` | storage failures in the domain's terms |
//! | `for_tests` | what tests ask beyond the ports (feature `testing`) |

mod access;
mod audit;
mod connection;
mod directory;
mod election;
mod errors;
#[cfg(feature = "testing")]
mod for_tests;
mod query;
mod store;
mod tokens;
mod trail;

pub use connection::settings::PoolSettings;
pub use connection::setup_errors::DatabaseError;
pub use connection::setup_errors::MigrationError;
pub use connection::shared::PIPELINE_DEPTH;
pub use connection::url::DatabaseUrl;
pub use election::CleanupSchedule;
pub use query::backend::CLEANUP_TURN;
pub use query::prefix::SELECTIVE;
pub use store::Database;
