//! Reporting and assessment: what officials and auditors read off the record (issue 15).

pub mod flags;
pub mod flags_api;
