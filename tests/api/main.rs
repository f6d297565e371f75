//! Integration tests over HTTP, in one binary (each file under `tests/` would link its own).
//! Run on SQLite by default; set `TEST_DATABASE_URL` (and `TEST_REDIS_URL`) for PostgreSQL/Redis.

// Tests: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod accounts;
mod after_sales;
mod agreements;
mod authorization;
mod bad_input;
mod catalogue;
mod catalogue_import;
mod channels;
mod consent;
mod contract;
mod cookbook;
mod demands;
mod explorer;
mod exports;
mod fairs;
mod files;
mod flags;
mod fuzz;
mod generator;
mod harness;
mod http_spec;
mod languages;
mod layout;
mod ledger;
mod ledger_values;
mod limits;
mod live;
mod lots;
mod operations;
mod orders;
mod organizations;
mod outlets;
mod parts;
mod payments;
mod periods;
mod quality_marks;
mod registry;
mod reputation;
mod scale_out;
mod schema;
mod scope;
mod shipments;
mod sides;
mod supervision;
mod tallies;
mod tasks;
mod unsold;
mod warnings;
mod webhooks;
mod world;
mod ws;
