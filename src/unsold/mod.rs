//! Unsold-produce warnings (滞销预警) and purchase drives (集中采购滞销农产品): a periodic scan
//! flags published products that sit in stock unordered, producers report a surplus themselves,
//! and officers start drives that list flagged products; orders during a drive are tallied for it.

pub mod alerts;
pub mod drives;
pub mod reach;
pub mod scan;
pub mod unsold_api;
