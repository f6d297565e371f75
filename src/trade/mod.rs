//! Trade channels beyond the catalogue's orders: fairs and matchmaking events (产销对接大会),
//! with their exhibitors, on-site sales reports and the fair's report off the ledger.

pub mod fair_report;
pub mod fair_sales;
pub mod fairs;
pub mod fairs_api;
