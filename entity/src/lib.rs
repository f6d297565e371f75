//! SeaORM entities. Enumerations stored as strings derive `async_graphql::Enum` here too, so the
//! database value and the API value are one type; [`api_name::ApiName`] is the text of a variant
//! wherever one is stored as text (the ledger, audit summaries, exports).

pub mod agreement;
pub mod api_name;
pub mod audit_event;
pub mod buyer;
pub mod certification;
pub mod certification_review;
pub mod closed_period;
pub mod closed_period_rank;
pub mod closed_period_total;
pub mod idempotency_key;
pub mod job_run;
pub mod ledger_buyer_tally;
pub mod ledger_county_tally;
pub mod ledger_entry;
pub mod ledger_head;
pub mod ledger_tally;
pub mod membership;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod organization;
pub mod pairing;
pub mod payment;
pub mod price_change;
pub mod procurement_declaration;
pub mod procurement_policy;
pub mod producer;
pub mod product;
pub mod purchase_drive;
pub mod purchase_drive_product;
pub mod red_warning;
pub mod refresh_token;
pub mod region;
pub mod region_status;
pub mod role_grant;
pub mod stock_adjustment;
pub mod task_allocation;
pub mod unit_link;
pub mod unsold_alert;
pub mod user;
