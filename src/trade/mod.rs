//! Trade off and around the platform's orders (issue 16): outlets (supermarket zones, counters,
//! dedicated shops, online halls) and their monthly sales reports, which an officer accepts into
//! the ledger.

pub mod ledger_link;
pub mod outlet_reports;
pub mod outlet_reports_api;
pub mod outlets;
pub mod outlets_api;
pub mod report_import;
