//! Sales that reach the ledger through reports an officer accepted (seed 000's channels beyond
//! orders): an outlet's (zone, counter, dedicated shop, online hall) and a fair exhibitor's
//! on-site sales. They enter the same chain and rollups as orders' sales, classified the same
//! way on the day of the sale; the organisation answering for the outlet or the fair stands on
//! the buying side, placed where the outlet or the fair is. They count toward no unit's own
//! target (the rollup by buying unit leaves them out). A correction is a negative entry pointing
//! at the line's sale and classified as it was, exactly like a refund.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    ledger_entry::{self, LedgerChannel, LedgerEntryKind, Purpose},
    product,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entries::{Classifier, append};
use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::new_uuid,
    org::buyers,
};

/// Where a reported sale happened.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Venue {
    Outlet(Uuid),
    Fair(Uuid),
}

/// One accepted report line, or a correction of one (negative quantity and amount).
#[derive(Clone, Debug)]
pub struct ReportedSale {
    pub venue: Venue,
    /// The report line this entry records; a correction names the line it corrects.
    pub report_line_id: Uuid,
    /// The organisation answering for the outlet (its operator) or the fair (its organiser): a
    /// buyer organisation, the buying side of the entry.
    pub answering_org_id: Uuid,
    /// The outlet's region or the fair's venue: the buying side's place.
    pub place_code: String,
    pub product_id: Uuid,
    /// Positive for a sale, negative for a correction.
    pub quantity: i64,
    /// The same sign as `quantity`.
    pub amount_fen: i64,
    pub sold_on: NaiveDate,
    pub purpose: Purpose,
}

/// Why a reported sale cannot be recorded as given, if it cannot: it moves some quantity, and its
/// amount has the quantity's sign (or is zero: a line netted down to less than a fen).
pub fn problem_with(sale: &ReportedSale) -> Option<String> {
    if sale.quantity == 0 {
        Some(msg!("reported.reported_sale_has_quantity"))
    } else if sale.amount_fen != 0 && (sale.quantity > 0) != (sale.amount_fen > 0) {
        Some(msg!("reported.reported_sale_s_quantity_amount_have"))
    } else {
        None
    }
}

impl Venue {
    fn channel(self) -> (LedgerChannel, Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Outlet(id) => (LedgerChannel::Outlet, Some(id), None),
            Self::Fair(id) => (LedgerChannel::Fair, None, Some(id)),
        }
    }
}

/// Classifies (statuses, certified, pairing on the day of each sale) and appends, in the
/// caller's transaction. Corrections copy the sale of their line.
pub async fn record_reported_sales(
    conn: &impl ConnectionTrait,
    sales: &[ReportedSale],
) -> AppResult<Vec<ledger_entry::Model>> {
    if let Some(why) = sales.iter().find_map(problem_with) {
        return Err(AppError::state(ErrorCode::Invalid, why));
    }
    let mut entries = Vec::with_capacity(sales.len());
    let (new, corrections): (Vec<&ReportedSale>, Vec<&ReportedSale>) =
        sales.iter().partition(|s| s.quantity > 0);
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(
            product::Column::Id.is_in(
                new.iter()
                    .map(|s| s.product_id)
                    .collect::<std::collections::HashSet<_>>(),
            ),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut classifier = Classifier::default();
    let mut answering: HashMap<Uuid, entity::buyer::Model> = HashMap::new();
    for sale in new {
        let product = products.get(&sale.product_id).ok_or_else(|| {
            AppError::state(
                ErrorCode::NotFound,
                msg!("reported.reported_sale_names_no_known_product"),
            )
        })?;
        let mut buyer = match answering.get(&sale.answering_org_id) {
            Some(known) => known.clone(),
            None => {
                let (_, loaded) = buyers::load(conn, sale.answering_org_id).await?;
                answering.insert(sale.answering_org_id, loaded.clone());
                loaded
            }
        };
        buyer.region_code = sale.place_code.clone();
        let certified = product
            .certified_on(sale.sold_on)
            .then_some(product.id)
            .into_iter()
            .collect();
        let classified = classifier
            .sale(
                conn,
                product.producer_org_id,
                &buyer,
                sale.sold_on,
                certified,
            )
            .await?;
        let (channel, outlet_id, fair_id) = sale.venue.channel();
        entries.push(ledger_entry::Model {
            channel,
            report_line_id: Some(sale.report_line_id),
            outlet_id,
            fair_id,
            purpose: sale.purpose,
            ..classified.entry(
                product.id,
                &product.name,
                product.category,
                sale.quantity,
                sale.amount_fen,
            )
        });
    }
    entries.extend(corrections_of(conn, &corrections).await?);
    append(conn, entries).await
}

/// Negative entries for corrections, each pointing at its line's sale.
async fn corrections_of(
    conn: &impl ConnectionTrait,
    corrections: &[&ReportedSale],
) -> AppResult<Vec<ledger_entry::Model>> {
    if corrections.is_empty() {
        return Ok(Vec::new());
    }
    let sold: HashMap<Uuid, ledger_entry::Model> = ledger_entry::Entity::find()
        .filter(
            ledger_entry::Column::ReportLineId.is_in(corrections.iter().map(|c| c.report_line_id)),
        )
        .filter(ledger_entry::Column::Kind.eq(LedgerEntryKind::Sale))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|sale| Some((sale.report_line_id?, sale)))
        .collect();
    corrections
        .iter()
        .map(|correction| {
            let sale = sold
                .get(&correction.report_line_id)
                .cloned()
                .ok_or_else(|| {
                    AppError::state(
                        ErrorCode::NotFound,
                        msg!("reported.correction_names_report_line_no_recorded"),
                    )
                })?;
            Ok(ledger_entry::Model {
                id: new_uuid(),
                kind: LedgerEntryKind::Refund,
                refund_of: Some(sale.id),
                quantity: correction.quantity,
                amount_fen: correction.amount_fen,
                reporting_year: correction.sold_on.year(),
                occurred_on: correction.sold_on,
                recorded_at: Utc::now(),
                ..sale
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(quantity: i64, amount_fen: i64) -> ReportedSale {
        ReportedSale {
            venue: Venue::Outlet(Uuid::nil()),
            report_line_id: Uuid::nil(),
            answering_org_id: Uuid::nil(),
            place_code: "440604".into(),
            product_id: Uuid::nil(),
            quantity,
            amount_fen,
            sold_on: NaiveDate::default(),
            purpose: Purpose::Personal,
        }
    }

    #[test]
    fn a_sale_and_its_amount_have_one_sign() {
        assert_eq!(problem_with(&sale(3, 900)), None);
        assert_eq!(problem_with(&sale(-3, -900)), None);
        assert!(problem_with(&sale(3, -900)).is_some());
        assert!(problem_with(&sale(-3, 900)).is_some());
        assert!(problem_with(&sale(0, 900)).is_some());
        // Pro rata netting may leave less than a fen for what still counts.
        assert_eq!(problem_with(&sale(3, 0)), None);
    }
}
