//! The audit chain's stored rows and their appends, one by one in a change's transaction or
//! in batches by the appender.

pub(in crate::database) mod appender;
pub(in crate::database) mod chain;
