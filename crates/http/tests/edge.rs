//! The HTTP edge against mockall mocks of the ports: every status code and envelope of the
//! contract, byte for byte where clients parse bytes.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod edge {
    mod auth;
    mod bodies;
    mod errors;
    mod health;
    mod listings;
    mod metrics;
    mod openapi;
    mod support;
    mod validation;
}
