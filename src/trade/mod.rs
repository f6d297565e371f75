//! Trade beyond the catalogue's orders (issue 16): needs buyers post and the quotes producers
//! answer with (供需对接: `demands`, `quotes`, `demands_api`); fairs and matchmaking events
//! (产销对接大会) with their exhibitors, on-site sales reports and the fair's report off the
//! ledger (`fairs`, `fair_sales`, `fair_report`, `fairs_api`); outlets (supermarket zones,
//! counters, dedicated shops, online halls) and their monthly sales reports, which an officer
//! accepts into the ledger (`outlets`, `outlet_reports`, `report_import`, `ledger_link`).

pub mod demands;
pub mod demands_api;
pub mod fair_report;
pub mod fair_sales;
pub mod fairs;
pub mod fairs_api;
pub mod ledger_link;
pub mod outlet_reports;
pub mod outlet_reports_api;
pub mod outlets;
pub mod outlets_api;
pub mod quotes;
pub mod report_import;
