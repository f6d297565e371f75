//! Reporting and assessment: the ledger as each level of government reports it, and the periods
//! it is judged by.

pub mod periods;
pub mod periods_api;
