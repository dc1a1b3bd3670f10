//! The use cases against mockall mocks of the ports: one test per rule of the contract.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod use_cases {
    mod access;
    mod authentication;
    mod cleanup;
    mod listing;
    mod provisioning;
    mod support;
}
