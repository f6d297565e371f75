//! Regions (行政区划) with poverty status and its history, paired assistance, and the import of
//! the national division tree.

pub mod graphql;
pub mod import;
pub mod service;

pub use service::subtree;
