//! fupin-market: the GraphQL API of a consumption poverty alleviation (消费扶贫) marketplace.
//!
//! Domains each keep their rules (`service`), their GraphQL types (`graphql`) and their tests:
//! `auth` (accounts, tokens, roles) and `org` (organisations and members). Cross-cutting pieces
//! live in one place each: `error`, `ids`, `pagination`, `rate_limit`, `audit`, `loaders`.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod loaders;
pub mod org;
pub mod pagination;
pub mod rate_limit;
pub mod server;
pub mod state;
