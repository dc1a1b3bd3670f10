//! How statements are built: the tables and their portable column types, rows, keyset pages,
//! prefixes, totals, and where the two backends are told different things.

pub(in crate::database) mod backend;
pub(in crate::database) mod keyset;
pub(in crate::database) mod prefix;
pub(in crate::database) mod rows;
pub(in crate::database) mod schema;
pub(in crate::database) mod sql_types;
pub(in crate::database) mod totals;
