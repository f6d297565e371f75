//! The consumption-assistance ledger (消费扶贫台账): what officials report upward and are judged
//! by, so every entry is written once, in the receipt's transaction, and chained by hashes so an
//! auditor can prove nothing was altered.

pub mod cache;
pub mod entries;
pub mod ledger_api;
pub mod progress;
pub mod reported;
pub mod summary;
