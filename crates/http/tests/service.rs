//! The whole service in-process, on real databases: every test runs on a fresh PostgreSQL
//! database and a fresh SQLite file, with real Biscuit tokens.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod service {
    mod audit;
    mod platform;
    mod scenarios;
    mod token_admin;
    mod tokens;
}
