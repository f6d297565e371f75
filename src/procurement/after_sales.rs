//! After-sales (售后): the buyer asks for accepted goods back with the money (`RETURN`) or for
//! the money only (`REFUND_ONLY`), naming lines, quantities and a reason, within
//! [`WINDOW_DAYS`] of receipt; the producer accepts (the refund: the ledger's negative entries,
//! `orders::refund_in`) or rejects with a reason; a rejected request may be escalated once to
//! the county officer over the producer, who decides; returned goods go back into stock when the
//! producer confirms they arrived. Every step is one transaction on the order's locked row, so
//! two requests cannot together ask for more than was accepted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    order::{self, OrderStatus},
    order_line, product,
    return_request::{self, ReturnKind, ReturnStatus},
    return_request_line, shipment,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    ExprTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::orders::{self, Side};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope, visibility::Sight},
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
};

/// Days after receipt within which the buyer may ask (fresh produce does not keep; a week is
/// common, two weeks leave time for a canteen's inspection and paperwork).
pub const WINDOW_DAYS: i64 = 15;

/// What the buyer asks for.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub order_id: Uuid,
    pub kind: ReturnKind,
    /// Order line and quantity, in the order the client named them.
    pub lines: Vec<(Uuid, i64)>,
    pub reason: String,
}

/// A reason of 2 to 500 characters on `field`.
fn reason_checks(reason: &str, field: &str) -> Checks {
    let mut checks = Checks::default();
    checks.length(reason, field, 2, 500);
    checks
}

/// Each named quantity between 1 and what its line may still be asked for: accepted, less
/// refunded, less what open requests hold.
pub fn check_quantities(
    order_lines: &[order_line::Model],
    named: &[(Uuid, i64)],
    held: &HashMap<Uuid, i64>,
) -> Checks {
    let mut checks = Checks::default();
    for (index, (id, quantity)) in named.iter().enumerate() {
        let Some(line) = order_lines.iter().find(|l| l.id == *id) else {
            continue;
        };
        let open = std::cmp::max(
            orders::refundable(line) - held.get(id).copied().unwrap_or(0),
            0,
        );
        if !(1..=open).contains(quantity) {
            checks.push(UserError {
                field: Some(vec![
                    "input".into(),
                    "lines".into(),
                    index.to_string(),
                    "quantity".into(),
                ]),
                code: ErrorCode::Invalid,
                message: msg!(
                    "after_sales.ask_1_accepted_less_refunded_already",
                    open = open,
                    product_name = line.product_name
                ),
            });
        }
    }
    checks
}

/// When the order's goods were received: its last shipment's receipt.
async fn received_at(
    conn: &impl ConnectionTrait,
    order: &order::Model,
) -> AppResult<DateTime<Utc>> {
    let last = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order.id))
        .filter(shipment::Column::ReceivedAt.is_not_null())
        .order_by_desc(shipment::Column::ReceivedAt)
        .one(conn)
        .await?;
    Ok(last.and_then(|s| s.received_at).unwrap_or(order.updated_at))
}

/// Quantities per order line that the order's open requests hold.
async fn held(conn: &impl ConnectionTrait, order_id: Uuid) -> AppResult<HashMap<Uuid, i64>> {
    let open = Query::select()
        .column(return_request::Column::Id)
        .from(return_request::Entity)
        .and_where(return_request::Column::OrderId.eq(order_id))
        .and_where(return_request::Column::Status.is_in([
            ReturnStatus::Requested,
            ReturnStatus::Rejected,
            ReturnStatus::Escalated,
        ]))
        .to_owned();
    let rows = return_request_line::Entity::find()
        .filter(return_request_line::Column::RequestId.in_subquery(open))
        .all(conn)
        .await?;
    let mut held = HashMap::new();
    for row in rows {
        *held.entry(row.order_line_id).or_insert(0) += row.quantity;
    }
    Ok(held)
}

/// The order's row, locked for the rest of `txn`: its after-sales steps run one at a time.
async fn lock_order(txn: &DatabaseTransaction, id: Uuid) -> AppResult<order::Model> {
    order::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))
}

/// `requestReturn`: the buyer of a received order asks within the window.
pub async fn request(caller: Caller<'_>, new: NewRequest) -> AppResult<return_request::Model> {
    let db = caller.db();
    let (order, side) = orders::load_with_side(db, new.order_id, caller.viewer).await?;
    if side != Some(Side::Buyer) {
        return Err(AppError::Forbidden(
            "forbidden.only_buying_unit_asks_goods_back",
        ));
    }
    let mut checks = reason_checks(&new.reason, "reason");
    checks.require(
        !new.lines.is_empty(),
        "lines",
        ErrorCode::Invalid,
        msg!("after_sales.name_lines_quantities_return"),
    );
    checks.finish()?;
    if !matches!(order.status, OrderStatus::Received | OrderStatus::Settled) {
        return Err(AppError::field(
            "orderId",
            ErrorCode::InvalidState,
            msg!("after_sales.after_sales_follow_receipt"),
        ));
    }
    let since = received_at(db, &order).await?;
    if Utc::now() - since > chrono::Duration::days(WINDOW_DAYS) {
        return Err(AppError::field(
            "orderId",
            ErrorCode::OutsidePeriod,
            msg!(
                "after_sales.after_sales_asked_within_days_receipt",
                window_days = WINDOW_DAYS
            ),
        ));
    }
    let txn = db.begin().await?;
    let order = lock_order(&txn, order.id).await?;
    let order_lines = orders::lines(&txn, order.id).await?;
    orders::match_lines(&order_lines, &new.lines, "lines", false)?;
    check_quantities(&order_lines, &new.lines, &held(&txn, order.id).await?).finish()?;
    let row = return_request::Model {
        id: new_uuid(),
        order_id: order.id,
        kind: new.kind,
        status: ReturnStatus::Requested,
        reason: new.reason.trim().to_owned(),
        requested_by: caller.viewer.user_id,
        requested_at: Utc::now(),
        answer_reason: None,
        answered_at: None,
        escalation_reason: None,
        escalated_at: None,
        decided_by: None,
        decision_reason: None,
        decided_at: None,
        goods_arrived_at: None,
    };
    let saved = row.into_active_model().insert(&txn).await?;
    let lines: Vec<return_request_line::ActiveModel> = new
        .lines
        .iter()
        .map(|(line, quantity)| return_request_line::ActiveModel {
            request_id: Set(saved.id),
            order_line_id: Set(*line),
            quantity: Set(*quantity),
        })
        .collect();
    return_request_line::Entity::insert_many(lines)
        .exec_without_returning(&txn)
        .await?;
    audit(
        &txn,
        caller,
        "requestReturn",
        &saved,
        json!({ "kind": saved.kind.to_value(), "reason": saved.reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The request and its order, if the viewer is party to it or an officer over either side.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(return_request::Model, order::Model)> {
    let request = return_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.return_request"))?;
    let sight = Sight::of(conn, Some(viewer)).await?;
    let order = order::Entity::find_by_id(request.order_id)
        .filter(sight.payment_follow_up())
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.return_request"))?;
    Ok((request, order))
}

/// A request's lines with their order lines.
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    request: Uuid,
) -> AppResult<Vec<return_request_line::Model>> {
    Ok(return_request_line::Entity::find()
        .filter(return_request_line::Column::RequestId.eq(request))
        .all(conn)
        .await?)
}

/// Moves the request from `from` to its next status inside `txn`, unless it moved meanwhile.
async fn move_status(
    txn: &DatabaseTransaction,
    id: Uuid,
    from: ReturnStatus,
    set: impl FnOnce(&mut return_request::ActiveModel),
) -> AppResult<return_request::Model> {
    let current = return_request::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("not_found.return_request"))?;
    if current.status != from {
        return Err(AppError::field(
            "requestId",
            ErrorCode::InvalidState,
            msg!(
                "after_sales.request_not",
                status = current.status.to_value(),
                from = from.to_value()
            ),
        ));
    }
    let mut active = current.into_active_model();
    set(&mut active);
    Ok(active.update(txn).await?)
}

/// The refund a request's outcome is: its lines, as `refundOrder` would refund them.
async fn refund_request(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    order: &order::Model,
    request: &return_request::Model,
    action: &'static str,
) -> AppResult<orders::Refunded> {
    let named: Vec<(Uuid, i64)> = lines_of(txn, request.id)
        .await?
        .iter()
        .map(|l| (l.order_line_id, l.quantity))
        .collect();
    let plan = orders::refund_plan(&orders::lines(txn, order.id).await?, &named)?;
    let note = format!("after-sales refund: {}", request.reason);
    let summary = json!({ "returnRequest": request.id, "reason": request.reason });
    orders::refund_in(txn, caller, order, &plan, note, action, summary).await
}

/// `acceptReturn` / `rejectReturn`: the producer answers a request; acceptance refunds it.
pub async fn answer(
    caller: Caller<'_>,
    id: Uuid,
    accept: bool,
    reason: Option<String>,
) -> AppResult<return_request::Model> {
    let db = caller.db();
    let (_, order) = load_visible(db, caller.viewer, id).await?;
    if orders::side_of(db, caller.viewer, &order).await? != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.producer_answers_after_sales_requests",
        ));
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match &reason {
        Some(r) => reason_checks(r, "reason").finish()?,
        None if !accept => {
            return Err(AppError::field(
                "reason",
                ErrorCode::Invalid,
                msg!("after_sales.rejection_needs_reason"),
            ));
        }
        None => {}
    }
    let txn = db.begin().await?;
    let order = lock_order(&txn, order.id).await?;
    let now = Utc::now();
    let status = if accept {
        ReturnStatus::Accepted
    } else {
        ReturnStatus::Rejected
    };
    let moved = move_status(&txn, id, ReturnStatus::Requested, |a| {
        a.status = Set(status);
        a.answer_reason = Set(reason.clone());
        a.answered_at = Set(Some(now));
    })
    .await?;
    let refunded = if accept {
        Some(refund_request(&txn, caller, &order, &moved, "acceptReturn").await?)
    } else {
        audit(
            &txn,
            caller,
            "rejectReturn",
            &moved,
            json!({ "reason": reason }),
        )
        .await?;
        None
    };
    txn.commit().await?;
    if let Some(refunded) = &refunded {
        orders::publish_refund(caller, &order, refunded);
    }
    Ok(moved)
}

/// `escalateReturn`: the buyer takes a rejected request to the county officer, once.
pub async fn escalate(
    caller: Caller<'_>,
    id: Uuid,
    reason: String,
) -> AppResult<return_request::Model> {
    let db = caller.db();
    let (_, order) = load_visible(db, caller.viewer, id).await?;
    if orders::side_of(db, caller.viewer, &order).await? != Some(Side::Buyer) {
        return Err(AppError::Forbidden(
            "forbidden.buying_unit_escalates_own_requests",
        ));
    }
    reason_checks(&reason, "reason").finish()?;
    let txn = db.begin().await?;
    let order = lock_order(&txn, order.id).await?;
    let now = Utc::now();
    let moved = move_status(&txn, id, ReturnStatus::Rejected, |a| {
        a.status = Set(ReturnStatus::Escalated);
        a.escalation_reason = Set(Some(reason.trim().to_owned()));
        a.escalated_at = Set(Some(now));
    })
    .await?;
    crate::org::reputation::escalated(&txn, &order).await?;
    audit(
        &txn,
        caller,
        "escalateReturn",
        &moved,
        json!({ "reason": reason.trim() }),
    )
    .await?;
    txn.commit().await?;
    Ok(moved)
}

/// `decideReturn`: a county (or higher) officer over the producer decides an escalated
/// request; for the buyer, it is refunded.
pub async fn decide(
    caller: Caller<'_>,
    id: Uuid,
    for_buyer: bool,
    reason: String,
) -> AppResult<return_request::Model> {
    let db = caller.db();
    let (_, order) = load_visible(db, caller.viewer, id).await?;
    let producer_region = producer_region(db, order.producer_org_id).await?;
    if !scope::acting(db, caller.viewer)
        .await?
        .covers_from_county(&producer_region)
    {
        return Err(AppError::Forbidden(
            "forbidden.county_higher_officer_over_producer_decides",
        ));
    }
    reason_checks(&reason, "reason").finish()?;
    let txn = db.begin().await?;
    let order = lock_order(&txn, order.id).await?;
    let now = Utc::now();
    let status = if for_buyer {
        ReturnStatus::Upheld
    } else {
        ReturnStatus::Dismissed
    };
    let moved = move_status(&txn, id, ReturnStatus::Escalated, |a| {
        a.status = Set(status);
        a.decided_by = Set(Some(caller.viewer.user_id));
        a.decision_reason = Set(Some(reason.trim().to_owned()));
        a.decided_at = Set(Some(now));
    })
    .await?;
    let refunded = if for_buyer {
        Some(refund_request(&txn, caller, &order, &moved, "decideReturn").await?)
    } else {
        audit(
            &txn,
            caller,
            "decideReturn",
            &moved,
            json!({ "forBuyer": false, "reason": reason.trim() }),
        )
        .await?;
        None
    };
    txn.commit().await?;
    if let Some(refunded) = &refunded {
        orders::publish_refund(caller, &order, refunded);
    }
    Ok(moved)
}

/// `confirmReturnArrived`: the producer confirms refunded goods came back; they go back into
/// stock, once.
pub async fn confirm_arrived(caller: Caller<'_>, id: Uuid) -> AppResult<return_request::Model> {
    let db = caller.db();
    let (request, order) = load_visible(db, caller.viewer, id).await?;
    if orders::side_of(db, caller.viewer, &order).await? != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.producer_confirms_what_came_back",
        ));
    }
    if request.kind != ReturnKind::Return || !request.status.refunded() {
        return Err(AppError::field(
            "requestId",
            ErrorCode::InvalidState,
            msg!("after_sales.only_refunded_return_brings_goods_back"),
        ));
    }
    let txn = db.begin().await?;
    let now = Utc::now();
    // The guard in the WHERE clause makes a second confirmation change nothing.
    let marked = return_request::Entity::update_many()
        .col_expr(return_request::Column::GoodsArrivedAt, Expr::value(now))
        .filter(return_request::Column::Id.eq(id))
        .filter(return_request::Column::GoodsArrivedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return Err(AppError::field(
            "requestId",
            ErrorCode::InvalidState,
            msg!("after_sales.goods_were_confirmed_already"),
        ));
    }
    let order_lines = orders::lines(&txn, order.id).await?;
    for line in lines_of(&txn, id).await? {
        let Some(ordered) = order_lines.iter().find(|l| l.id == line.order_line_id) else {
            continue;
        };
        product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).add(line.quantity),
            )
            .filter(product::Column::Id.eq(ordered.product_id))
            .exec(&txn)
            .await?;
    }
    let arrived = return_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("not_found.return_request"))?;
    audit(&txn, caller, "confirmReturnArrived", &arrived, json!({})).await?;
    txn.commit().await?;
    Ok(arrived)
}

async fn producer_region(conn: &impl ConnectionTrait, producer: Uuid) -> AppResult<String> {
    entity::organization::Entity::find_by_id(producer)
        .one(conn)
        .await?
        .and_then(|o| o.region_code)
        .ok_or(AppError::NotFound("not_found.producer"))
}

async fn audit(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    action: &'static str,
    request: &return_request::Model,
    mut summary: serde_json::Value,
) -> AppResult<()> {
    summary["order"] = json!(request.order_id);
    summary["status"] = json!(request.status.to_value());
    caller
        .audit(
            txn,
            Change {
                action,
                target_type: "ReturnRequest",
                target_id: Some(request.id),
                summary,
            },
        )
        .await
}

/// Requests the viewer may see (parties, and officers over either side), newest first;
/// `status` and `order` narrow them.
pub async fn visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    status: Option<ReturnStatus>,
    order_id: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<return_request::Model>> {
    let sight = Sight::of(conn, Some(viewer)).await?;
    let orders = Query::select()
        .column(order::Column::Id)
        .from(order::Entity)
        .cond_where(sight.payment_follow_up())
        .to_owned();
    let mut select =
        return_request::Entity::find().filter(return_request::Column::OrderId.in_subquery(orders));
    if let Some(status) = status {
        select = select.filter(return_request::Column::Status.eq(status));
    }
    if let Some(order) = order_id {
        select = select.filter(return_request::Column::OrderId.eq(order));
    }
    Ok(select
        .order_by_desc(return_request::Column::RequestedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: u128, accepted: i64, refunded: i64) -> order_line::Model {
        order_line::Model {
            id: Uuid::from_u128(id),
            accepted_quantity: Some(accepted),
            refunded_quantity: refunded,
            order_id: Uuid::nil(),
            position: 0,
            product_id: Uuid::nil(),
            product_name: format!("p{id}"),
            category: entity::product::ProductCategory::GrainOil,
            spec: String::new(),
            unit: String::new(),
            price_fen: 100,
            quantity: accepted,
            shipped_quantity: accepted,
            purchase_drive_id: None,
        }
    }

    #[test]
    fn a_request_stays_within_what_was_accepted_less_refunded_and_held() {
        let lines = [line(1, 10, 2), line(2, 5, 0)];
        let held = HashMap::from([(Uuid::from_u128(1), 3)]);
        let ok = check_quantities(
            &lines,
            &[(Uuid::from_u128(1), 5), (Uuid::from_u128(2), 5)],
            &held,
        );
        assert!(ok.into_errors().is_empty());
        let over = check_quantities(
            &lines,
            &[(Uuid::from_u128(1), 6), (Uuid::from_u128(2), 0)],
            &held,
        );
        let fields: Vec<Vec<String>> = over
            .into_errors()
            .into_iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                vec![
                    "input".to_owned(),
                    "lines".into(),
                    "0".into(),
                    "quantity".into()
                ],
                vec![
                    "input".to_owned(),
                    "lines".into(),
                    "1".into(),
                    "quantity".into()
                ],
            ]
        );
    }
}
