//! Organisations: their members, their registry entries as producers (经营主体) or buyers, and
//! the consented links between buying units (`links`). Rules in `members`, `producers`, `buyers`
//! and `links`; their resolvers in the `*_api` files.

pub mod buyers;
pub mod buyers_api;
pub mod links;
pub mod links_api;
pub mod members;
pub mod membership;
pub mod organizations_api;
pub mod producers;
pub mod producers_api;
pub mod reputation;
