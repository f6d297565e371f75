//! Organisations: their members, and their registry entries as producers (经营主体) or buyers.

pub mod buyers;
pub mod buyers_api;
pub mod links;
pub mod links_api;
pub mod members;
pub mod membership;
pub mod organizations_api;
pub mod producers;
pub mod producers_api;
