//! The overdue-payment check: once per period across instances (`crate::jobs`), every received
//! order past its due date with money still due is warned once per due date; the warning goes
//! out on the event bus (`paymentOverdue`) to its parties and the officers over either side.
//! An extension moves the due date, so a payment overdue again is warned again.

use chrono::{DateTime, Utc};
use entity::{order, payment_warning};
use sea_orm::{
    Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use super::accounts;
use crate::{
    error::AppResult,
    jobs,
    live::events::{Event, PaymentOverdue},
    state::Services,
};

pub const JOB: &str = "overdue-payments";
/// Orders warned per statement, well under any bind-parameter limit.
const INSERT_CHUNK: usize = 500;

/// Checks once for the period containing `now`, unless another instance claimed it; returns
/// the orders warned now (`None` when the period was claimed already).
pub async fn run(services: &Services, now: DateTime<Utc>) -> AppResult<Option<Vec<Uuid>>> {
    let period = jobs::period_of(now, services.settings.overdue_check_interval);
    let txn = services.db.begin().await?;
    if !jobs::claim(&txn, JOB, &period, now).await? {
        return Ok(None);
    }
    let warnings = unwarned(&txn, now).await?;
    for chunk in warnings.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(_, w)| payment_warning::ActiveModel::from(w.clone()));
        // A warning is once per order and due date, even if two runs ever overlapped.
        payment_warning::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    payment_warning::Column::OrderId,
                    payment_warning::Column::DueOn,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    jobs::record_affected(&txn, JOB, &period, warnings.len() as u64).await?;
    txn.commit().await?;
    services
        .bus
        .publish(warnings.iter().map(|(order, warning)| {
            Event::PaymentOverdue(PaymentOverdue {
                order_id: order.id,
                buyer_org_id: order.buyer_org_id,
                producer_org_id: order.producer_org_id,
                due_on: warning.due_on,
                due_fen: warning.due_fen,
            })
        }));
    Ok(Some(warnings.iter().map(|(o, _)| o.id).collect()))
}

/// Overdue orders not yet warned for their current due date, with what each owes.
async fn unwarned(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
) -> AppResult<Vec<(order::Model, payment_warning::Model)>> {
    let warned = Query::select()
        .expr(Expr::val(1))
        .from(payment_warning::Entity)
        .and_where(
            Expr::col((payment_warning::Entity, payment_warning::Column::OrderId))
                .equals((order::Entity, order::Column::Id)),
        )
        .and_where(
            Expr::col((payment_warning::Entity, payment_warning::Column::DueOn))
                .equals((order::Entity, order::Column::DueOn)),
        )
        .to_owned();
    let orders = accounts::overdue(Condition::all(), now.date_naive())
        .filter(Expr::exists(warned).not())
        .all(txn)
        .await?;
    let mut warnings = Vec::with_capacity(orders.len());
    for order in orders {
        let Some(due_on) = order.due_on else { continue };
        let due_fen = accounts::account_of(txn, &order).await?.due_fen();
        let warning = payment_warning::Model {
            order_id: order.id,
            due_on,
            due_fen,
            warned_at: now,
        };
        warnings.push((order, warning));
    }
    Ok(warnings)
}

/// Runs the check on every instance; the claim keeps it to once per period.
pub fn spawn(services: Services) -> Option<tokio::task::JoinHandle<()>> {
    let interval = services.settings.overdue_check_interval;
    jobs::spawn_every(
        services,
        interval,
        "overdue-payment check",
        |services, now| async move {
            let warned = run(&services, now).await?;
            Ok(warned.map(|w| format!("warned {}", w.len())))
        },
    )
}

/// The warned order, if `visible` (a viewer's `Sight::payment_follow_up`) shows it.
pub async fn warned_order(
    conn: &impl ConnectionTrait,
    visible: Condition,
    order_id: Uuid,
) -> AppResult<Option<order::Model>> {
    Ok(order::Entity::find_by_id(order_id)
        .filter(visible)
        .one(conn)
        .await?)
}
