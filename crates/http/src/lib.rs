//! # admin-http: the admin API's actix-web edge
//!
//! Thin by design: each handler extracts its input, calls its use case of
//! [`admin_domain::AdminService`] (a read, also the one that records it when reads are
//! audited), and maps the result to the contract. Errors become the
//! contract's envelopes in [`errors`]; the routes and middleware are assembled in
//! [`routes::app`]; the `admin-api` command is in [`cli`].

pub mod bodies;
pub mod cli;
pub mod config;
pub mod datetime;
pub mod errors;
pub mod extract;
pub mod handlers;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod params;
pub mod readiness;
pub mod request_body;
pub mod routes;
pub mod schedule;
pub mod server;
pub mod telemetry;
pub mod wire;
