//! Trade between buyers and producers beyond the catalogue: needs buyers post and the quotes
//! producers answer with (供需对接: `demands`, `quotes`, `demands_api`).

pub mod demands;
pub mod demands_api;
pub mod quotes;
