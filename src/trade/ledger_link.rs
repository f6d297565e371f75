//! Where accepted outlet reports meet the ledger: the one place that turns counted report lines
//! into the ledger's reported sales (`ledger::reported`), and that tells the entries of platform
//! orders from reported ones.

use chrono::NaiveDate;
use entity::ledger_entry::{self, Purpose};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    ledger::reported::{ReportedSale, Venue, record_reported_sales},
    live::events::{Event, LedgerAppended},
    state::Services,
};

/// A counted report line (or a correction's decrease) bound for the ledger.
#[derive(Clone, Debug)]
pub struct Sale {
    pub outlet: Uuid,
    /// The line sold (a correction names the line it corrects, whose sale it reverses in part).
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

/// Records `sales` in the ledger's chain and rollups, in the caller's transaction: channel
/// OUTLET, purpose PERSONAL (sales to the public), the operator on the buying side placed at the
/// outlet.
pub async fn record(
    conn: &impl ConnectionTrait,
    sales: &[Sale],
) -> AppResult<Vec<ledger_entry::Model>> {
    if sales.is_empty() {
        return Ok(Vec::new());
    }
    let reported: Vec<ReportedSale> = sales
        .iter()
        .map(|s| ReportedSale {
            venue: Venue::Outlet(s.outlet),
            report_line_id: s.line_id,
            answering_org_id: s.operator,
            place_code: s.place_code.clone(),
            product_id: s.product_id,
            quantity: s.quantity,
            amount_fen: s.amount_fen,
            sold_on: s.sold_on,
            purpose: Purpose::Personal,
        })
        .collect();
    record_reported_sales(conn, &reported).await
}

/// Ledger entries that came from orders on this platform (at a fair or not), not from reports.
pub fn ordered_entries() -> Condition {
    Condition::all().add(ledger_entry::Column::ReportLineId.is_null())
}

/// After the transaction that recorded `entries` commits: live tallies hear of them.
pub fn after_commit(services: &Services, entries: &[ledger_entry::Model]) {
    if !entries.is_empty() {
        services
            .bus
            .publish([Event::LedgerAppended(LedgerAppended::new(entries))]);
    }
}
