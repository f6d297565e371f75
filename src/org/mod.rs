//! Organisations: their members, and their registry entries as producers (经营主体) or buyers.

pub mod buyer_api;
pub mod buyers;
pub mod graphql;
pub mod link_api;
pub mod links;
pub mod members;
pub mod producer_api;
pub mod producers;
pub mod service;
