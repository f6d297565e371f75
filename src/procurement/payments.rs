//! Paying for orders: the buyer records payments, the producer confirms or rejects them, and
//! the buyer asks once for more time (the amounts and dates are `accounts`).

use chrono::Utc;
use entity::{
    order,
    payment::{self, PaymentStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    accounts::{NewPayment, account_of, check_payment, extension_of},
    orders::{self, Side},
};
use crate::{
    audit::Change,
    auth::Caller,
    error::{AppError, AppResult, Checks, ErrorCode, is_unique_violation},
    ids::new_uuid,
};

/// The buyer records a payment; nothing is due less until the producer confirms it.
pub async fn record(caller: Caller<'_>, new: NewPayment) -> AppResult<payment::Model> {
    let db = caller.db();
    let (order, side) = orders::load_with_side(db, new.order_id, caller.viewer).await?;
    if side != Some(Side::Buyer) {
        return Err(AppError::Forbidden(
            "forbidden.only_buying_unit_records_payments",
        ));
    }
    let txn = db.begin().await?;
    // The order's row is locked: concurrent payments are checked one after another.
    let order = order::Entity::find_by_id(order.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))?;
    let account = account_of(&txn, &order).await?;
    let today = Utc::now().date_naive();
    let mut checks = check_payment(&new, &account, order.placed_at.date_naive(), today);
    checks.require(
        !account.cancelled,
        "orderId",
        ErrorCode::InvalidState,
        msg!("payments.cancelled_order_takes_no_payment"),
    );
    checks.finish()?;
    let payment = payment::ActiveModel {
        id: Set(new_uuid()),
        order_id: Set(order.id),
        buyer_org_id: Set(order.buyer_org_id),
        amount_fen: Set(new.amount_fen),
        method: Set(new.method),
        reference: Set(new.reference.trim().to_owned()),
        paid_on: Set(new.paid_on),
        status: Set(PaymentStatus::Recorded),
        recorded_by: Set(caller.viewer.user_id),
        recorded_at: Set(Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
        reject_reason: Set(None),
    };
    let payment = match payment.insert(&txn).await {
        Ok(payment) => payment,
        Err(error) if is_unique_violation(&error) => {
            return Err(AppError::field(
                "reference",
                ErrorCode::Duplicate,
                msg!("payments.transfer_s_reference_was_already_recorded"),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    audit(
        caller,
        &txn,
        "payment.record",
        &payment,
        json!({
            "order": order.id, "amount_fen": payment.amount_fen, "reference": payment.reference,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(payment)
}

/// The producer confirms the money arrived, or rejects the payment with a reason.
pub async fn decide(
    caller: Caller<'_>,
    id: Uuid,
    confirm: bool,
    reason: Option<String>,
) -> AppResult<payment::Model> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if !confirm {
        let mut checks = Checks::default();
        checks.length(reason.as_deref().unwrap_or_default(), "reason", 2, 500);
        checks.finish()?;
    }
    let db = caller.db();
    let found = payment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("not_found.payment"))?;
    let (_, side) = orders::load_with_side(db, found.order_id, caller.viewer).await?;
    if side != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.only_producer_confirms_payment",
        ));
    }
    let status = if confirm {
        PaymentStatus::Confirmed
    } else {
        PaymentStatus::Rejected
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    // Decided once: the status in the WHERE clause makes a second decision lose cleanly.
    let moved = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(status))
        .col_expr(
            payment::Column::DecidedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(payment::Column::DecidedAt, Expr::value(now))
        .col_expr(payment::Column::RejectReason, Expr::value(reason.clone()))
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.eq(PaymentStatus::Recorded))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("payments.payment_was_already_confirmed_rejected"),
        ));
    }
    let decided = payment::Model {
        status,
        decided_by: Some(caller.viewer.user_id),
        decided_at: Some(now),
        reject_reason: reason,
        ..found
    };
    let action = if confirm {
        "payment.confirm"
    } else {
        "payment.reject"
    };
    audit(
        caller,
        &txn,
        action,
        &decided,
        json!({ "reason": decided.reject_reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(decided)
}

/// The buyer's one 15-day extension of a pay-after-delivery order's due date, asked before it
/// passes.
pub async fn extend(caller: Caller<'_>, order_id: Uuid) -> AppResult<order::Model> {
    let db = caller.db();
    let (order, side) = orders::load_with_side(db, order_id, caller.viewer).await?;
    if side != Some(Side::Buyer) {
        return Err(AppError::Forbidden(
            "forbidden.only_buying_unit_asks_more_time",
        ));
    }
    let today = Utc::now().date_naive();
    let due_on = extension_of(&order, today)?;
    let txn = db.begin().await?;
    let moved = order::Entity::update_many()
        .col_expr(order::Column::DueOn, Expr::value(due_on))
        .col_expr(order::Column::DueExtended, Expr::value(true))
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::DueExtended.eq(false))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("payments.due_date_was_already_extended_once"),
        ));
    }
    caller
        .audit(
            &txn,
            Change {
                action: "order.extend_due",
                target_type: "Order",
                target_id: Some(order.id),
                summary: json!({ "from": order.due_on, "to": due_on }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(order::Model {
        due_on: Some(due_on),
        due_extended: true,
        ..order
    })
}

async fn audit(
    caller: Caller<'_>,
    conn: &impl ConnectionTrait,
    action: &str,
    payment: &payment::Model,
    summary: serde_json::Value,
) -> AppResult<()> {
    caller
        .audit(
            conn,
            Change {
                action,
                target_type: "Payment",
                target_id: Some(payment.id),
                summary,
            },
        )
        .await
}
