//! Regions (行政区划) with poverty status and its history, paired assistance, and the import of
//! the national division tree.

pub mod import;
pub mod regions;
pub mod regions_api;

pub use regions::subtree;
