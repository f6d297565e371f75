//! fupin-market: the GraphQL API of a consumption poverty alleviation (消费扶贫) marketplace.
//!
//! # Layout
//!
//! Each domain is a folder holding its **rules** and its **resolvers**: `auth` (accounts,
//! tokens, roles, scopes), `region` (divisions, poverty status, pairings), `org` (organisations,
//! members, producers, buyers, their targets and unit links), `catalogue` (products,
//! certification, search), `procurement` (orders, agreements), `ledger` (the hash-chained record
//! of sales and its summaries), `unsold` (warnings and purchase drives), `reporting` (what
//! officials and auditors read off the record: tasks allocated down, rankings, red warnings,
//! flags for auditors, closed periods) and `live` (the event bus and subscriptions).
//!
//! - A rule file is named for what it governs (`procurement/orders.rs`): plain async functions
//!   over a database connection that validate, decide and write, returning
//!   [`error::AppResult`]. Rules that act for a user take an [`auth::Caller`] (who, from where,
//!   with which services), which also writes their audit events. Validation that needs no
//!   database is a pure function with its own unit tests.
//! - A resolver file ends in `_api.rs` beside its rules (`procurement/orders_api.rs`): GraphQL
//!   types, inputs and payloads, and resolvers a few lines long that parse input, call one rule
//!   and wrap its answer. Resolvers return [`error::Result`], so a bare `?` always gives the
//!   client a code, never SQL text.
//! - Rules never import resolvers, `graphql` or `http`; the shared state ([`state::Services`])
//!   imports only leaves. `python3 scripts/layers.py --check` enforces both (tests/api/layout.rs).
//!
//! The edges: `graphql` (schema root, request context, node lookup, limits, scalars) and `http`
//! (the GraphQL endpoint, websocket, exports, health, metrics). Cross-cutting pieces live in one
//! place each: `error`, `i18n` (messages in Chinese and English), `ids`, `pagination`, `rate_limit`, `audit`, `loaders`, `text` (what any
//! string from a client may hold, and literal text search).

// The merged query and mutation roots nest one level per domain object.
#![recursion_limit = "256"]

// The message catalogue (`locales/messages.yml`), compiled in; read through `i18n`.
rust_i18n::i18n!("locales", fallback = "zh-CN");

// First, so that `msg!` is in scope in every module below.
#[macro_use]
pub mod i18n;

pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod generator;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod ledger;
pub mod live;
pub mod loaders;
pub mod org;
pub mod pagination;
pub mod procurement;
pub mod rate_limit;
pub mod redis_link;
pub mod region;
pub mod reporting;
pub mod server;
pub mod state;
pub mod text;
pub mod trade;
pub mod unsold;
pub mod webhooks;
