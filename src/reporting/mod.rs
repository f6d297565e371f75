//! Reporting and assessment (issue 15): tasks allocated down the region tree (任务分解),
//! rankings of units and regions against their targets with the pro-rata pace, red warnings
//! (红色预警) for those behind it, flags for auditors (防止数字脱贫), and closed reporting
//! periods (关账) with their frozen, signed reports.

pub mod allocations;
pub mod allocations_api;
pub mod flags;
pub mod flags_api;
pub mod periods;
pub mod periods_api;
pub mod purchases;
pub mod ranking;
pub mod ranking_api;
pub mod reach;
pub mod warnings;
pub mod warnings_api;
