//! The storage ports against real databases: every test runs on a fresh PostgreSQL database and
//! on a fresh SQLite file (`postgres::…` and `sqlite::…`).
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod storage {
    mod access;
    mod audit;
    mod directory;
    mod fixtures;
    mod listings;
    mod migrations;
    mod replica;
    mod sharing;
    mod token_admin;
    mod tokens;
}
