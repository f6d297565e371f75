//! fupin-market: the GraphQL API of a consumption poverty alleviation (消费扶贫) marketplace.
//!
//! Domains each keep their rules (services), their GraphQL types and their tests: `auth`
//! (accounts, tokens, roles, scopes), `region` (divisions, poverty status, pairings), `org`
//! (organisations, members, producers, buyers and their targets), `catalogue` (products,
//! certification, search), `procurement` (orders, agreements), `ledger` (the hash-chained
//! record of sales and its summaries), `unsold` (warnings and purchase drives) and `live`
//! (the event bus and subscriptions). Cross-cutting pieces
//! live in one place each: `error`, `ids`, `pagination`, `rate_limit`, `audit`, `loaders`, `text`
//! (what any string from a client may hold, and literal text search).

pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod generator;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod ledger;
pub mod live;
pub mod loaders;
pub mod org;
pub mod pagination;
pub mod procurement;
pub mod rate_limit;
pub mod redis_link;
pub mod region;
pub mod server;
pub mod state;
pub mod text;
pub mod unsold;
