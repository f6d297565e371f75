//! Trade beyond the catalogue's orders: needs buyers post and the quotes producers answer with
//! (供需对接: `demands`, `quotes`, `demands_api`), and fairs and matchmaking events
//! (产销对接大会) with their exhibitors, on-site sales reports and the fair's report off the
//! ledger (`fairs`, `fair_sales`, `fair_report`, `fairs_api`).

pub mod demands;
pub mod demands_api;
pub mod fair_report;
pub mod fair_sales;
pub mod fairs;
pub mod fairs_api;
pub mod quotes;
