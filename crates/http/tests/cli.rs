//! The `admin-api` binary as users and scripts run it: ids on stdout, one-line errors on
//! stderr, and a server that answers and drains.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod cli {
    mod audit;
    mod cluster;
    mod commands;
    mod failover;
    mod first_minutes;
    mod hostile;
    mod pgbouncer;
    mod process;
    mod replica;
    mod resilience;
    mod schedule;
    mod serve;
}
