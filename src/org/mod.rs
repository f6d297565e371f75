//! Organisations (producers and buyer units) and their members.

pub mod graphql;
pub mod service;
