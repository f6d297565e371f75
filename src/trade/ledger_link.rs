//! Where accepted outlet reports meet the ledger: the one place that turns counted report lines
//! into the ledger's reported sales (`ledger::reported`), and that tells platform orders'
//! entries from reported ones.

use chrono::NaiveDate;
use sea_orm::{Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{error::AppResult, state::Services};

/// A counted report line (or a correction's decrease) bound for the ledger.
#[derive(Clone, Debug)]
pub struct Sale {
    pub outlet: Uuid,
    pub line_id: Uuid,
    /// The outlet's operator: the buyer side.
    pub operator: Uuid,
    /// The outlet's region: the buyer side's place.
    pub place_code: String,
    pub product_id: Uuid,
    /// Negative for a correction.
    pub quantity: i64,
    pub amount_fen: i64,
    pub sold_on: NaiveDate,
}

/// Records `sales` in the ledger, in the caller's transaction.
///
/// WIRING MISSING until `ledger::reported::record_reported_sales` exists on `main`: accepted
/// reports are then recorded nowhere.
pub async fn record(_conn: &impl ConnectionTrait, _sales: &[Sale]) -> AppResult<()> {
    Ok(())
}

/// Ledger entries that came from orders on this platform.
pub fn ordered_entries() -> Condition {
    Condition::all()
}

/// After the transaction that recorded sales commits.
pub fn after_commit(_services: &Services) {}
