//! Invoices (发票): the producer records each invoice it issued for an order (number, 普通 or
//! 专用, amount, date; the scan as a file on it), checked against what the buyer accepted: the
//! order's invoices never add up to more than accepted less refunded. The number is the
//! producer's own once.

use chrono::{NaiveDate, Utc};
use entity::{
    invoice::{self, InvoiceKind},
    order::{self, OrderStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    accounts,
    orders::{self, Side},
};
use crate::{
    audit::Change,
    auth::Caller,
    error::{AppError, AppResult, Checks, ErrorCode, is_unique_violation},
    ids::new_uuid,
    text::yuan,
};

/// What the producer records.
#[derive(Clone, Debug)]
pub struct NewInvoice {
    pub order_id: Uuid,
    pub number: String,
    pub kind: InvoiceKind,
    pub amount_fen: i64,
    pub issued_on: NaiveDate,
}

/// Checks that need no database: the number's form, a positive amount within what may still be
/// invoiced, a date between the order and today.
pub fn check(
    new: &NewInvoice,
    invoiceable_fen: i64,
    placed_on: NaiveDate,
    today: NaiveDate,
) -> Checks {
    let mut checks = Checks::default();
    let number = new.number.trim();
    checks
        .require(
            (1..=32).contains(&number.len())
                && number
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "number",
            ErrorCode::Invalid,
            msg!("invoices.invoice_number_has_1_32_letters"),
        )
        .require(
            new.amount_fen > 0 && new.amount_fen <= invoiceable_fen,
            "amount",
            ErrorCode::Invalid,
            msg!(
                "invoices.invoice_between_0_01_accepted_less",
                value0 = yuan(invoiceable_fen.max(0))
            ),
        )
        .require(
            placed_on <= new.issued_on && new.issued_on <= today,
            "issuedOn",
            ErrorCode::Invalid,
            msg!("invoices.invoice_issued_between_order_today"),
        );
    checks
}

/// The order's invoices, oldest first.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> AppResult<Vec<invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::OrderId.eq(order_id))
        .order_by_asc(invoice::Column::RecordedAt)
        .all(conn)
        .await?)
}

/// What the order's invoices add up to.
pub async fn invoiced_fen(conn: &impl ConnectionTrait, order_id: Uuid) -> AppResult<i64> {
    Ok(of_order(conn, order_id)
        .await?
        .iter()
        .map(|i| i.amount_fen)
        .sum())
}

/// `issueInvoice`: the producer records an invoice for a received order.
pub async fn issue(caller: Caller<'_>, new: NewInvoice) -> AppResult<invoice::Model> {
    let db = caller.db();
    let (order, side) = orders::load_with_side(db, new.order_id, caller.viewer).await?;
    if side != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.producer_records_invoices_issued",
        ));
    }
    if !matches!(order.status, OrderStatus::Received | OrderStatus::Settled) {
        return Err(AppError::field(
            "orderId",
            ErrorCode::InvalidState,
            msg!("invoices.invoices_follow_receipt_they_checked_against"),
        ));
    }
    let txn = db.begin().await?;
    // The order's row is locked: two invoices at once are checked one after the other.
    let order = order::Entity::find_by_id(order.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))?;
    let account = accounts::account_of(&txn, &order).await?;
    let invoiceable = account.accepted_fen.unwrap_or(0)
        - account.refunded_fen
        - invoiced_fen(&txn, order.id).await?;
    let today = Utc::now().date_naive();
    check(&new, invoiceable, order.placed_at.date_naive(), today).finish()?;
    let row = invoice::Model {
        id: new_uuid(),
        order_id: order.id,
        producer_org_id: order.producer_org_id,
        number: new.number.trim().to_owned(),
        kind: new.kind,
        amount_fen: new.amount_fen,
        issued_on: new.issued_on,
        issued_by: caller.viewer.user_id,
        recorded_at: Utc::now(),
    };
    let saved = row.into_active_model().insert(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::field(
                "number",
                ErrorCode::Duplicate,
                msg!("invoices.invoice_number_recorded_already"),
            )
        } else {
            e.into()
        }
    })?;
    caller
        .audit(
            &txn,
            Change {
                action: "issueInvoice",
                target_type: "Invoice",
                target_id: Some(saved.id),
                summary: json!({
                    "order": order.id, "number": saved.number, "amountFen": saved.amount_fen,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// An invoice, if the viewer may read its order.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &crate::auth::Viewer,
    id: Uuid,
) -> AppResult<invoice::Model> {
    let found = invoice::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.invoice"))?;
    let sight = crate::auth::visibility::Sight::of(conn, Some(viewer)).await?;
    order::Entity::find_by_id(found.order_id)
        .filter(sight.payment_follow_up())
        .select_only()
        .column(order::Column::Id)
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.invoice"))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn invoice(amount_fen: i64, number: &str, issued_on: NaiveDate) -> NewInvoice {
        NewInvoice {
            order_id: Uuid::nil(),
            number: number.into(),
            kind: InvoiceKind::Ordinary,
            amount_fen,
            issued_on,
        }
    }

    fn fields(checks: Checks) -> Vec<String> {
        checks
            .into_errors()
            .into_iter()
            .filter_map(|e| e.field.and_then(|f| f.last().cloned()))
            .collect()
    }

    #[test]
    fn an_invoice_stays_within_what_was_accepted() {
        assert!(
            fields(check(
                &invoice(8_000, "No-0001", day(5)),
                8_000,
                day(1),
                day(9)
            ))
            .is_empty()
        );
        assert_eq!(
            fields(check(
                &invoice(8_001, "No-0001", day(5)),
                8_000,
                day(1),
                day(9)
            )),
            ["amount"]
        );
        assert_eq!(
            fields(check(&invoice(0, "发票 1", day(10)), 8_000, day(1), day(9))),
            ["number", "amount", "issuedOn"]
        );
    }
}
