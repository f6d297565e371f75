//! Shipments (发货, issue 17): an order ships in one or more parts, each with its carrier,
//! waybill, expected arrival and quantities per line; the buyer receives and inspects (验货)
//! each part, and what it accepts enters the ledger then; the goods it rejects go back into
//! stock when the producer confirms they came back.
//!
//! Every move starts by touching the order's row (an UPDATE guarded by its status): moves of
//! one order run one after another on PostgreSQL (the row is locked) and on SQLite (the first
//! statement takes the write lock), and each reads what the one before it committed. The
//! shipped quantity of a line can only grow up to what was ordered, in the UPDATE's own WHERE.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, SubsecRound, Utc};
use entity::{
    api_name::ApiName,
    lot::{self, InspectionResult as LotInspection},
    order::{self, OrderStatus},
    order_line, product, shipment, shipment_line, stock_adjustment,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    TransactionTrait,
    sea_query::{Expr, Func},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    accounts::{self, Stage},
    orders::{self, OrderTransition, Side},
};
use crate::{
    audit::Change,
    auth::Caller,
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
    ledger,
    live::events::{Event, LedgerAppended, OrderChanged},
    org::reputation,
};

const MAX_CARRIER: usize = 40;
const WAYBILL: (usize, usize) = (4, 32);
const MAX_REPORT: usize = 2000;
const MAX_INVOICE: usize = 64;
/// How far ahead an expected arrival may be.
const MAX_TRANSIT_DAYS: u64 = 90;

/// A shipment the producer sends: who carries it (none for self-delivery), when it should
/// arrive, and which lines in what quantity (`None`: everything still outstanding).
#[derive(Clone, Debug, Default)]
pub struct Dispatch {
    pub order_id: Uuid,
    pub carrier: Option<String>,
    pub waybill_no: Option<String>,
    pub expected_arrival: Option<NaiveDate>,
    /// Order line and quantity, in the order the client named them.
    pub lines: Option<Vec<(Uuid, i64)>>,
    /// The lots named for lines, so the buyer can trace what arrives.
    pub lots: Vec<NamedLot>,
}

/// A lot named for a line of a dispatch (`lines[index].lotId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedLot {
    pub index: usize,
    pub line_id: Uuid,
    pub lot_id: Uuid,
}

/// The lot each planned line ships from, by order line, with its input index.
type LotsByLine = HashMap<Uuid, (usize, lot::Model)>;

/// What the buyer found on inspecting a shipment: the accepted quantity of each of its lines
/// (by order line), the report, and the invoice that came with it.
#[derive(Clone, Debug, Default)]
pub struct Receipt {
    pub accepted: Vec<(Uuid, i64)>,
    pub report: Option<String>,
    pub invoice_no: Option<String>,
}

/// A shipment with its lines.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub shipment: shipment::Model,
    pub lines: Vec<shipment_line::Model>,
}

/// What inspection found, over a received shipment's lines.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InspectionResult {
    /// Everything shipped was accepted.
    Accepted,
    /// Some was accepted, some rejected.
    Partial,
    /// Nothing was accepted.
    Rejected,
}

impl Loaded {
    /// What inspection found; `None` before receipt.
    pub fn result(&self) -> Option<InspectionResult> {
        self.shipment.received_at?;
        let shipped: i64 = self.lines.iter().map(|l| l.quantity).sum();
        let accepted: i64 = self
            .lines
            .iter()
            .map(|l| l.accepted_quantity.unwrap_or(0))
            .sum();
        Some(if accepted == shipped {
            InspectionResult::Accepted
        } else if accepted == 0 {
            InspectionResult::Rejected
        } else {
            InspectionResult::Partial
        })
    }
}

/// What was rejected of a shipment line at inspection; `None` before receipt.
pub fn rejected(line: &shipment_line::Model) -> Option<i64> {
    line.accepted_quantity.map(|a| line.quantity - a)
}

/// Trimmed, and nothing when blank.
fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A carrier's name: letters (any script), digits, spaces and a few marks.
fn valid_carrier(name: &str) -> bool {
    (1..=MAX_CARRIER).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || " -.&()·（）".contains(c))
}

/// A waybill number: ASCII letters, digits and hyphens.
fn valid_waybill(number: &str) -> bool {
    (WAYBILL.0..=WAYBILL.1).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks a dispatch's carrier, waybill and date (its lines are checked against the order).
fn check_dispatch(dispatch: &Dispatch, today: NaiveDate) -> Checks {
    let mut checks = Checks::default();
    if let Some(carrier) = &dispatch.carrier {
        checks.require(
            valid_carrier(carrier),
            "carrier",
            ErrorCode::Invalid,
            msg!(
                "shipments.carrier_s_name_has_1_letters",
                max_carrier = MAX_CARRIER
            ),
        );
    }
    if let Some(waybill) = &dispatch.waybill_no {
        checks.require(
            valid_waybill(waybill),
            "waybillNo",
            ErrorCode::Invalid,
            msg!(
                "shipments.waybill_number_has_ascii_letters_digits",
                value0 = WAYBILL.0,
                value1 = WAYBILL.1
            ),
        );
        checks.require(
            dispatch.carrier.is_some(),
            "carrier",
            ErrorCode::Invalid,
            msg!("shipments.name_carrier_waybill_leave_both_out"),
        );
    }
    if let Some(arrival) = dispatch.expected_arrival {
        let latest = today.checked_add_days(Days::new(MAX_TRANSIT_DAYS));
        checks.require(
            arrival >= today && latest.is_some_and(|l| arrival <= l),
            "expectedArrival",
            ErrorCode::Invalid,
            msg!(
                "shipments.expect_arrival_between_today_days_from",
                max_transit_days = MAX_TRANSIT_DAYS
            ),
        );
    }
    checks
}

/// What is still to ship of a line.
pub fn outstanding(line: &order_line::Model) -> i64 {
    line.quantity - line.shipped_quantity
}

/// What `side` may do to an order now, its shipments counted: while a SHIPPED order has
/// anything outstanding, the producer ships again.
pub async fn available(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    side: Side,
) -> AppResult<Vec<OrderTransition>> {
    let mut moves = orders::available(order, side);
    if side == Side::Producer
        && order.status == OrderStatus::Shipped
        && orders::lines(conn, order.id)
            .await?
            .iter()
            .any(|l| outstanding(l) > 0)
    {
        moves.push(OrderTransition::Ship);
    }
    Ok(moves)
}

/// A shipment's plan: the input index of each line (when named), the line, and the quantity.
type Plan = Vec<(Option<usize>, order_line::Model, i64)>;

fn at(field: &str, index: usize, leaf: &str) -> Option<Vec<String>> {
    Some(vec![
        "input".to_owned(),
        field.to_owned(),
        index.to_string(),
        leaf.to_owned(),
    ])
}

/// The lines a dispatch ships and how much of each: the named ones, each of this order, once,
/// and within what is outstanding; nothing named, everything outstanding.
fn planned_lines(
    order_lines: &[order_line::Model],
    named: Option<&[(Uuid, i64)]>,
) -> AppResult<Plan> {
    let Some(named) = named else {
        let plan: Plan = order_lines
            .iter()
            .filter(|l| outstanding(l) > 0)
            .map(|l| (None, l.clone(), outstanding(l)))
            .collect();
        if plan.is_empty() {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("shipments.everything_ordered_has_shipped_already"),
            ));
        }
        return Ok(plan);
    };
    if named.is_empty() {
        return Err(AppError::field(
            "lines",
            ErrorCode::Invalid,
            msg!("shipments.name_least_one_line_ship_leave"),
        ));
    }
    let mut problems = Checks::default();
    let mut seen = HashSet::new();
    let mut plan = Vec::with_capacity(named.len());
    for (index, (id, quantity)) in named.iter().enumerate() {
        let Some(line) = order_lines.iter().find(|l| l.id == *id) else {
            problems.push(UserError {
                field: at("lines", index, "lineId"),
                code: ErrorCode::NotFound,
                message: msg!("shipments.no_line_order_has_id"),
            });
            continue;
        };
        if !seen.insert(*id) {
            problems.push(UserError {
                field: at("lines", index, "lineId"),
                code: ErrorCode::Duplicate,
                message: msg!("shipments.each_line_once_per_shipment"),
            });
        } else if !(1..=outstanding(line)).contains(quantity) {
            problems.push(UserError {
                field: at("lines", index, "quantity"),
                code: ErrorCode::Invalid,
                message: msg!(
                    "shipments.ship_1_ordered_shipped_already",
                    value0 = outstanding(line),
                    unit = line.unit,
                    product_name = line.product_name,
                    quantity = line.quantity,
                    shipped_quantity = line.shipped_quantity
                ),
            });
        } else {
            plan.push((Some(index), line.clone(), *quantity));
        }
    }
    problems.finish()?;
    if plan.is_empty() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("shipments.everything_ordered_has_shipped_already"),
        ));
    }
    Ok(plan)
}

/// What a receipt accepts of each line a shipment carries: `(line, shipped, accepted)`. It names
/// every line of the shipment once (accept 0 to reject one), each between 0 and what shipped.
fn accepted_plan(
    shipped: &[(order_line::Model, i64)],
    named: &[(Uuid, i64)],
) -> AppResult<Vec<(order_line::Model, i64, i64)>> {
    let mut problems = Checks::default();
    let mut matched: HashMap<Uuid, i64> = HashMap::new();
    for (index, (id, accepted)) in named.iter().enumerate() {
        let Some((line, quantity)) = shipped.iter().find(|(l, _)| l.id == *id) else {
            problems.push(UserError {
                field: at("accepted", index, "lineId"),
                code: ErrorCode::NotFound,
                message: msg!("shipments.no_line_shipment_has_id"),
            });
            continue;
        };
        if matched.insert(*id, *accepted).is_some() {
            problems.push(UserError {
                field: at("accepted", index, "lineId"),
                code: ErrorCode::Duplicate,
                message: msg!("shipments.each_line_once"),
            });
        } else if !(0..=*quantity).contains(accepted) {
            problems.push(UserError {
                field: at("accepted", index, "acceptedQuantity"),
                code: ErrorCode::Invalid,
                message: msg!(
                    "shipments.accept_between_0_what_shipment_carried",
                    quantity = quantity,
                    product_name = line.product_name
                ),
            });
        }
    }
    for (line, _) in shipped.iter().filter(|(l, _)| !matched.contains_key(&l.id)) {
        problems.push(UserError::on(
            "accepted",
            ErrorCode::Invalid,
            msg!(
                "shipments.name_every_line_shipment_accept_0",
                product_name = line.product_name
            ),
        ));
    }
    problems.finish()?;
    Ok(shipped
        .iter()
        .map(|(line, quantity)| (line.clone(), *quantity, matched[&line.id]))
        .collect())
}

fn check_receipt(receipt: &Receipt) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(
            receipt.report.as_deref().unwrap_or_default(),
            "inspectionReport",
            0,
            MAX_REPORT,
        )
        .length(
            receipt.invoice_no.as_deref().unwrap_or_default(),
            "invoiceNo",
            0,
            MAX_INVOICE,
        );
    checks.finish()
}

/// A shipment and its lines.
pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<Loaded> {
    let shipment = shipment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.shipment"))?;
    let lines = shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.eq(id))
        .order_by_asc(shipment_line::Column::Id)
        .all(conn)
        .await?;
    Ok(Loaded { shipment, lines })
}

/// Shipments with their lines, in the order of `shipments`.
async fn with_lines(
    conn: &impl ConnectionTrait,
    shipments: Vec<shipment::Model>,
) -> AppResult<Vec<Loaded>> {
    let ids: Vec<Uuid> = shipments.iter().map(|s| s.id).collect();
    let mut lines: HashMap<Uuid, Vec<shipment_line::Model>> = HashMap::new();
    for line in shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.is_in(ids))
        .order_by_asc(shipment_line::Column::Id)
        .all(conn)
        .await?
    {
        lines.entry(line.shipment_id).or_default().push(line);
    }
    Ok(shipments
        .into_iter()
        .map(|shipment| Loaded {
            lines: lines.remove(&shipment.id).unwrap_or_default(),
            shipment,
        })
        .collect())
}

/// An order's shipments, first first.
pub async fn of_order(conn: &impl ConnectionTrait, order: Uuid) -> AppResult<Vec<Loaded>> {
    let shipments = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order))
        .order_by_asc(shipment::Column::Number)
        .all(conn)
        .await?;
    with_lines(conn, shipments).await
}

/// The shipments among `ids` of orders meeting `orders` (the viewer's sight of orders).
pub async fn visible(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    orders: Condition,
) -> AppResult<Vec<Loaded>> {
    let seen = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(orders)
        .into_query();
    let shipments = shipment::Entity::find()
        .filter(shipment::Column::Id.is_in(ids))
        .filter(shipment::Column::OrderId.in_subquery(seen))
        .all(conn)
        .await?;
    with_lines(conn, shipments).await
}

/// Touches the order's row if its status is one of `statuses`: the order is then the
/// caller's until it commits (see the module's note).
async fn claim_order(
    txn: &DatabaseTransaction,
    id: Uuid,
    statuses: &[OrderStatus],
    now: DateTime<Utc>,
) -> AppResult<order::Model> {
    let touched = order::Entity::update_many()
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.is_in(statuses.iter().copied()))
        .exec(txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("shipments.order_changed_meanwhile"),
        ));
    }
    orders::load(txn, id).await
}

/// The producer ships a part (or the rest) of a confirmed order: the order is SHIPPED from its
/// first shipment, and ships again while anything is outstanding.
pub async fn ship(caller: Caller<'_>, dispatch: Dispatch) -> AppResult<order::Model> {
    let dispatch = Dispatch {
        carrier: clean(dispatch.carrier),
        waybill_no: clean(dispatch.waybill_no),
        ..dispatch
    };
    let now = Utc::now().trunc_subsecs(6);
    check_dispatch(&dispatch, now.date_naive()).finish()?;
    let db = caller.db();
    let id = dispatch.order_id;
    let (current, side) = orders::load_with_side(db, id, caller.viewer).await?;
    let side = side.ok_or(AppError::Forbidden("forbidden.you_act_neither_side_order"))?;
    if side != Side::Producer
        || !matches!(
            current.status,
            OrderStatus::Confirmed | OrderStatus::Shipped
        )
    {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            refusal(side, OrderTransition::Ship, &current),
        ));
    }
    accounts::check_paid_before(db, &current, Stage::Shipping).await?;
    let plan = planned_lines(&orders::lines(db, id).await?, dispatch.lines.as_deref())?;
    let lots = named_lots(db, &current, &plan, &dispatch.lots).await?;
    let txn = db.begin().await?;
    let claimed = claim_order(
        &txn,
        id,
        &[OrderStatus::Confirmed, OrderStatus::Shipped],
        now,
    )
    .await?;
    let shipment = insert_shipment(
        &txn,
        caller,
        &claimed,
        (&dispatch, &plan, &lots),
        false,
        now,
    )
    .await?;
    if claimed.status == OrderStatus::Confirmed {
        reputation::first_shipment(&txn, &claimed, now).await?;
        order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Shipped))
            .filter(order::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let note = format!(
        "shipment {}{}",
        shipment.number,
        match (&shipment.carrier, &shipment.waybill_no) {
            (Some(carrier), Some(waybill)) => format!(": {carrier} {waybill}"),
            (Some(carrier), None) => format!(": {carrier}"),
            _ => ": self-delivery".to_owned(),
        }
    );
    let row = orders::record_event(
        &txn,
        caller,
        id,
        Some(claimed.status),
        OrderStatus::Shipped,
        Some(note),
    )
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "shipOrder",
                target_type: "Order",
                target_id: Some(id),
                summary: json!({
                    "from": claimed.status.api_name(),
                    "to": OrderStatus::Shipped.api_name(),
                    "shipment": shipment.id,
                    "number": shipment.number,
                    "carrier": shipment.carrier,
                    "waybillNo": shipment.waybill_no,
                    "expectedArrival": shipment.expected_arrival,
                    "lines": plan.iter().map(|(_, l, q)| json!({ "line": l.id, "quantity": q })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    let changed = OrderChanged::new(&row, current.buyer_org_id, current.producer_org_id);
    caller.services.bus.publish([Event::OrderChanged(changed)]);
    orders::load(db, id).await
}

/// Why `side` may not make `step` now, in the words `transition` uses.
fn refusal(side: Side, step: OrderTransition, order: &order::Model) -> String {
    msg!(
        "orders.cannot_order",
        side = match side {
            Side::Buyer => msg!("side.buyer"),
            Side::Producer => msg!("side.producer"),
        },
        step = entity::api_name::graphql_name(step),
        status = order.status.api_name()
    )
}

/// Writes a shipment and its lines, each line's shipped quantity growing only up to what was
/// ordered (a concurrent shipment that took it first refuses this one, naming the line). The
/// one shipment of an order shipped `whole` before shipments were recorded sets each line's
/// shipped quantity to what was ordered.
async fn insert_shipment(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    order: &order::Model,
    (dispatch, plan, lots): (&Dispatch, &Plan, &LotsByLine),
    whole: bool,
    now: DateTime<Utc>,
) -> AppResult<shipment::Model> {
    let count = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order.id))
        .count(txn)
        .await?;
    let number = i32::try_from(count + 1)
        .map_err(|_| AppError::state(ErrorCode::Invalid, msg!("shipments.too_many_shipments")))?;
    let shipment = shipment::ActiveModel {
        id: Set(new_uuid()),
        order_id: Set(order.id),
        number: Set(number),
        carrier: Set(dispatch.carrier.clone()),
        waybill_no: Set(dispatch.waybill_no.clone()),
        expected_arrival: Set(dispatch.expected_arrival),
        shipped_by: Set(caller.viewer.user_id),
        shipped_at: Set(now),
        received_by: Set(None),
        received_at: Set(None),
        inspection_report: Set(None),
        rejected_returned_by: Set(None),
        rejected_returned_at: Set(None),
    }
    .insert(txn)
    .await?;
    for (index, line, quantity) in plan {
        let shipped = Expr::col(order_line::Column::ShippedQuantity).add(*quantity);
        let update = order_line::Entity::update_many().filter(order_line::Column::Id.eq(line.id));
        let update = if whole {
            update.col_expr(
                order_line::Column::ShippedQuantity,
                Expr::col(order_line::Column::Quantity),
            )
        } else {
            update
                .col_expr(order_line::Column::ShippedQuantity, shipped.clone())
                .filter(shipped.lte(Expr::col(order_line::Column::Quantity)))
        };
        let taken = update.exec(txn).await?;
        if taken.rows_affected == 0 {
            // Dropping the transaction undoes the shipment.
            let message = msg!(
                "shipments.was_shipped_meanwhile_less_outstanding",
                product_name = line.product_name
            );
            return Err(match index {
                Some(index) => AppError::user(UserError {
                    field: at("lines", *index, "quantity"),
                    code: ErrorCode::Invalid,
                    message,
                }),
                None => AppError::state(ErrorCode::InvalidState, message),
            });
        }
        let lot = lots.get(&line.id);
        if let Some((index, lot)) = lot {
            take_from_lot(txn, lot, *index, *quantity).await?;
        }
        shipment_line::ActiveModel {
            id: Set(new_uuid()),
            shipment_id: Set(shipment.id),
            order_line_id: Set(line.id),
            quantity: Set(*quantity),
            lot_id: Set(lot.map(|(_, l)| l.id)),
            accepted_quantity: Set(None),
        }
        .insert(txn)
        .await?;
    }
    Ok(shipment)
}

/// The lots a dispatch names, checked against the lines they ship: each of the order's producer
/// (another's answers like an unknown lot), of the line's product, and not failed at its origin
/// inspection.
async fn named_lots(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    plan: &Plan,
    named: &[NamedLot],
) -> AppResult<LotsByLine> {
    let mut by_line = LotsByLine::new();
    if named.is_empty() {
        return Ok(by_line);
    }
    let found = lot::Entity::find()
        .filter(lot::Column::Id.is_in(named.iter().map(|n| n.lot_id)))
        .filter(lot::Column::ProducerOrgId.eq(order.producer_org_id))
        .all(conn)
        .await?;
    let mut problems = Checks::default();
    for n in named {
        let field = at("lines", n.index, "lotId");
        let Some(lot) = found.iter().find(|l| l.id == n.lot_id) else {
            problems.push(UserError {
                field,
                code: ErrorCode::NotFound,
                message: msg!("shipments.no_lot_producer_has_id"),
            });
            continue;
        };
        // A line not in the plan was refused by `planned_lines` already.
        let Some((_, line, _)) = plan.iter().find(|(_, l, _)| l.id == n.line_id) else {
            continue;
        };
        if lot.product_id != line.product_id {
            problems.push(UserError {
                field,
                code: ErrorCode::Invalid,
                message: msg!(
                    "shipments.lot_not",
                    trace_code = lot.trace_code,
                    product_name = line.product_name
                ),
            });
        } else if lot.inspection_result == LotInspection::Unqualified {
            problems.push(UserError {
                field,
                code: ErrorCode::Invalid,
                message: msg!(
                    "shipments.lot_failed_origin_inspection_may_not",
                    trace_code = lot.trace_code
                ),
            });
        } else {
            by_line.insert(line.id, (n.index, lot.clone()));
        }
    }
    problems.finish()?;
    Ok(by_line)
}

/// Counts `quantity` shipped from `lot`, never past what it holds (in the UPDATE's WHERE, so
/// two shipments at once cannot both take its last units).
async fn take_from_lot(
    txn: &DatabaseTransaction,
    lot: &lot::Model,
    index: usize,
    quantity: i64,
) -> AppResult<()> {
    let shipped = Expr::col(lot::Column::ShippedQuantity).add(quantity);
    let taken = lot::Entity::update_many()
        .col_expr(lot::Column::ShippedQuantity, shipped.clone())
        .filter(lot::Column::Id.eq(lot.id))
        .filter(shipped.lte(Expr::col(lot::Column::Quantity)))
        .exec(txn)
        .await?;
    if taken.rows_affected == 0 {
        let left = lot::Entity::find_by_id(lot.id)
            .one(txn)
            .await?
            .map_or(0, |l| l.quantity - l.shipped_quantity);
        return Err(AppError::user(UserError {
            field: at("lines", index, "quantity"),
            code: ErrorCode::Invalid,
            message: msg!(
                "shipments.lot_has_left_ship",
                trace_code = lot.trace_code,
                left = left
            ),
        }));
    }
    Ok(())
}

/// A shipment and the viewer's side of its order; another party's shipment answers like an
/// unknown one.
async fn with_side(
    caller: Caller<'_>,
    id: Uuid,
) -> AppResult<(Loaded, order::Model, Option<Side>)> {
    let db = caller.db();
    let loaded = load(db, id).await?;
    match orders::load_with_side(db, loaded.shipment.order_id, caller.viewer).await {
        Ok((order, side)) => Ok((loaded, order, side)),
        Err(AppError::NotFound(_)) => Err(AppError::NotFound("not_found.shipment")),
        Err(other) => Err(other),
    }
}

/// The buyer receives and inspects a shipment: what it accepts of each line counts toward the
/// line and enters the ledger, in one transaction. The order is RECEIVED (and due, when paid
/// after delivery) once nothing is outstanding and every shipment is received.
pub async fn receive(caller: Caller<'_>, id: Uuid, receipt: Receipt) -> AppResult<Loaded> {
    let receipt = clean_receipt(receipt);
    check_receipt(&receipt)?;
    let (loaded, current, side) = with_side(caller, id).await?;
    if side != Some(Side::Buyer) {
        return Err(AppError::Forbidden(
            "forbidden.buying_unit_receives_shipments",
        ));
    }
    if loaded.shipment.received_at.is_some() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "shipments.shipment_was_received_already",
                number = loaded.shipment.number
            ),
        ));
    }
    let db = caller.db();
    let order_lines = orders::lines(db, current.id).await?;
    let shipped: Vec<(order_line::Model, i64)> = loaded
        .lines
        .iter()
        .filter_map(|sl| {
            let line = order_lines.iter().find(|l| l.id == sl.order_line_id)?;
            Some((line.clone(), sl.quantity))
        })
        .collect();
    let plan = accepted_plan(&shipped, &receipt.accepted)?;
    let txn = db.begin().await?;
    let claimed = claim_order(&txn, current.id, &[OrderStatus::Shipped], Utc::now()).await?;
    let published = receive_in(
        &txn,
        caller,
        &claimed,
        &loaded.shipment,
        &plan,
        &receipt,
        "receiveShipment",
    )
    .await?;
    txn.commit().await?;
    caller.services.bus.publish(published);
    load(db, id).await
}

fn clean_receipt(receipt: Receipt) -> Receipt {
    Receipt {
        report: clean(receipt.report),
        invoice_no: clean(receipt.invoice_no),
        ..receipt
    }
}

/// `receiveOrder`: receives the order's one shipment when it carries everything ordered (an
/// order shipped whole). An order shipped before shipments were recorded gets its one
/// shipment now. Otherwise each shipment is received on its own (`receiveShipment`).
pub async fn receive_order(
    caller: Caller<'_>,
    id: Uuid,
    receipt: Receipt,
) -> AppResult<order::Model> {
    let receipt = clean_receipt(receipt);
    check_receipt(&receipt)?;
    let db = caller.db();
    let (current, side) = orders::load_with_side(db, id, caller.viewer).await?;
    let side = side.ok_or(AppError::Forbidden("forbidden.you_act_neither_side_order"))?;
    if !orders::available(&current, side).contains(&OrderTransition::Receive) {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            refusal(side, OrderTransition::Receive, &current),
        ));
    }
    let order_lines = orders::lines(db, id).await?;
    let shipments = of_order(db, id).await?;
    let whole = order_lines.iter().all(|l| outstanding(l) == 0);
    let (existing, shipped): (Option<&Loaded>, Vec<(order_line::Model, i64)>) =
        match shipments.as_slice() {
            // Shipped before shipments were recorded (generated history): whole.
            [] => (
                None,
                order_lines
                    .iter()
                    .filter(|l| l.quantity > 0)
                    .map(|l| (l.clone(), l.quantity))
                    .collect(),
            ),
            [only] if whole && only.shipment.received_at.is_none() => (
                Some(only),
                only.lines
                    .iter()
                    .filter_map(|sl| {
                        let line = order_lines.iter().find(|l| l.id == sl.order_line_id)?;
                        Some((line.clone(), sl.quantity))
                    })
                    .collect(),
            ),
            _ => {
                return Err(AppError::state(
                    ErrorCode::InvalidState,
                    msg!("shipments.order_ships_parts_receive_each_shipment"),
                ));
            }
        };
    let plan = accepted_plan(&shipped, &receipt.accepted)?;
    let txn = db.begin().await?;
    let claimed = claim_order(&txn, id, &[OrderStatus::Shipped], Utc::now()).await?;
    let shipment = match existing {
        Some(loaded) => loaded.shipment.clone(),
        None => {
            let whole: Plan = shipped.iter().map(|(l, q)| (None, l.clone(), *q)).collect();
            let dispatch = Dispatch {
                order_id: id,
                ..Dispatch::default()
            };
            let now = Utc::now().trunc_subsecs(6);
            let lots = LotsByLine::new();
            insert_shipment(
                &txn,
                caller,
                &claimed,
                (&dispatch, &whole, &lots),
                true,
                now,
            )
            .await?
        }
    };
    let published = receive_in(
        &txn,
        caller,
        &claimed,
        &shipment,
        &plan,
        &receipt,
        "receiveOrder",
    )
    .await?;
    txn.commit().await?;
    caller.services.bus.publish(published);
    orders::load(db, id).await
}

/// Records a shipment's receipt in `txn` (the order claimed): the shipment, its lines, the
/// order's lines and status, the history, the audit and the ledger. Returns what to publish.
async fn receive_in(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    order: &order::Model,
    shipment: &shipment::Model,
    plan: &[(order_line::Model, i64, i64)],
    receipt: &Receipt,
    action: &'static str,
) -> AppResult<Vec<Event>> {
    let now = Utc::now().trunc_subsecs(6);
    let marked = shipment::Entity::update_many()
        .col_expr(shipment::Column::ReceivedAt, Expr::value(now))
        .col_expr(
            shipment::Column::ReceivedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(
            shipment::Column::InspectionReport,
            Expr::value(receipt.report.clone()),
        )
        .filter(shipment::Column::Id.eq(shipment.id))
        .filter(shipment::Column::ReceivedAt.is_null())
        .exec(txn)
        .await?;
    if marked.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "shipments.shipment_was_received_meanwhile",
                number = shipment.number
            ),
        ));
    }
    for (line, _, accepted) in plan {
        shipment_line::Entity::update_many()
            .col_expr(
                shipment_line::Column::AcceptedQuantity,
                Expr::value(*accepted),
            )
            .filter(shipment_line::Column::ShipmentId.eq(shipment.id))
            .filter(shipment_line::Column::OrderLineId.eq(line.id))
            .exec(txn)
            .await?;
        order_line::Entity::update_many()
            .col_expr(
                order_line::Column::AcceptedQuantity,
                Func::coalesce([
                    Expr::col(order_line::Column::AcceptedQuantity),
                    Expr::val(0i64),
                ])
                .add(*accepted),
            )
            .filter(order_line::Column::Id.eq(line.id))
            .exec(txn)
            .await?;
    }
    let outstanding_lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .filter(
            Expr::col(order_line::Column::ShippedQuantity)
                .lt(Expr::col(order_line::Column::Quantity)),
        )
        .count(txn)
        .await?;
    let unreceived = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order.id))
        .filter(shipment::Column::ReceivedAt.is_null())
        .count(txn)
        .await?;
    let complete = outstanding_lines == 0 && unreceived == 0;
    let next = if complete {
        OrderStatus::Received
    } else {
        OrderStatus::Shipped
    };
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .filter(order::Column::Id.eq(order.id));
    if complete {
        reputation::received(txn, order.producer_org_id).await?;
        let due_on = accounts::due_on_receipt(order.payment_terms, now.date_naive());
        update = update.col_expr(order::Column::DueOn, Expr::value(due_on));
    }
    if let Some(invoice) = &receipt.invoice_no {
        update = update.col_expr(order::Column::InvoiceNo, Expr::value(invoice.clone()));
    }
    update.exec(txn).await?;
    let (shipped, accepted) = plan.iter().fold((0, 0), |(s, a), (_, q, x)| (s + q, a + x));
    let note = format!(
        "shipment {} received: {accepted} of {shipped} accepted",
        shipment.number
    );
    // The history and audit rows go first: the ledger's locks are then held only for its own
    // writes and the commit.
    let row =
        orders::record_event(txn, caller, order.id, Some(order.status), next, Some(note)).await?;
    caller
        .audit(
            txn,
            Change {
                action,
                target_type: "Order",
                target_id: Some(order.id),
                summary: json!({
                    "from": order.status.api_name(),
                    "to": next.api_name(),
                    "shipment": shipment.id,
                    "number": shipment.number,
                    "invoiceNo": receipt.invoice_no,
                    "lines": plan.iter().map(|(l, q, a)| json!({ "line": l.id, "shipped": q, "accepted": a })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    let accepted: Vec<(&order_line::Model, i64)> =
        plan.iter().map(|(line, _, a)| (line, *a)).collect();
    let entries = ledger::entries::record_sales(txn, order, &accepted, now.date_naive()).await?;
    Ok(vec![
        Event::OrderChanged(OrderChanged::new(
            &row,
            order.buyer_org_id,
            order.producer_org_id,
        )),
        Event::LedgerAppended(LedgerAppended::new(&entries)),
    ])
}

/// The producer confirms the goods rejected at a shipment's inspection came back: they go
/// back into stock, once.
pub async fn confirm_rejected_returned(caller: Caller<'_>, id: Uuid) -> AppResult<Loaded> {
    let (loaded, current, side) = with_side(caller, id).await?;
    if side != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.producer_confirms_rejected_goods_came_back",
        ));
    }
    let number = loaded.shipment.number;
    if loaded.shipment.received_at.is_none() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("shipments.shipment_not_received_yet", number = number),
        ));
    }
    if loaded.shipment.rejected_returned_at.is_some() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "shipments.rejected_goods_shipment_were_confirmed_back",
                number = number
            ),
        ));
    }
    let db = caller.db();
    let order_lines = orders::lines(db, current.id).await?;
    // By product, in ID order: restocks take row locks in the order orders reserve them.
    let mut back: Vec<(Uuid, i64)> = loaded
        .lines
        .iter()
        .filter_map(|sl| {
            let line = order_lines.iter().find(|l| l.id == sl.order_line_id)?;
            Some((line.product_id, rejected(sl).unwrap_or(0)))
        })
        .filter(|(_, q)| *q > 0)
        .collect();
    back.sort();
    if back.is_empty() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("shipments.nothing_shipment_was_rejected", number = number),
        ));
    }
    let now = Utc::now().trunc_subsecs(6);
    let txn = db.begin().await?;
    let marked = shipment::Entity::update_many()
        .col_expr(shipment::Column::RejectedReturnedAt, Expr::value(now))
        .col_expr(
            shipment::Column::RejectedReturnedBy,
            Expr::value(caller.viewer.user_id),
        )
        .filter(shipment::Column::Id.eq(id))
        .filter(shipment::Column::ReceivedAt.is_not_null())
        .filter(shipment::Column::RejectedReturnedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "shipments.rejected_goods_shipment_were_confirmed_back_2",
                number = number
            ),
        ));
    }
    let reason = format!("rejected at inspection of shipment {number}, back from the buyer");
    for (product_id, quantity) in &back {
        restock(&txn, caller, *product_id, *quantity, &reason, now).await?;
    }
    let note = format!("shipment {number}: rejected goods back in stock");
    let row = orders::record_event(
        &txn,
        caller,
        current.id,
        Some(current.status),
        current.status,
        Some(note),
    )
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "confirmRejectedGoodsReturned",
                target_type: "Shipment",
                target_id: Some(id),
                summary: json!({
                    "order": current.id,
                    "number": number,
                    "restocked": back.iter().map(|(p, q)| json!({ "product": p, "quantity": q })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    let changed = OrderChanged::new(&row, current.buyer_org_id, current.producer_org_id);
    caller.services.bus.publish([Event::OrderChanged(changed)]);
    load(db, id).await
}

/// Adds goods back to a product's stock, recorded as a stock adjustment with its reason.
async fn restock(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    product_id: Uuid,
    quantity: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    product::Entity::update_many()
        .col_expr(
            product::Column::Stock,
            Expr::col(product::Column::Stock).add(quantity),
        )
        .col_expr(product::Column::UpdatedAt, Expr::value(now))
        .filter(product::Column::Id.eq(product_id))
        .exec(txn)
        .await?;
    let after = product::Entity::find_by_id(product_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("not_found.product"))?;
    stock_adjustment::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(product_id),
        delta: Set(quantity),
        stock_after: Set(after.stock),
        reason: Set(reason.to_owned()),
        adjusted_by: Set(Some(caller.viewer.user_id)),
        adjusted_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, shipped: i64) -> order_line::Model {
        order_line::Model {
            id: Uuid::now_v7(),
            order_id: Uuid::nil(),
            position: 0,
            product_id: Uuid::now_v7(),
            product_name: "红薯".into(),
            category: entity::product::ProductCategory::GrainOil,
            spec: "5kg".into(),
            unit: "箱".into(),
            price_fen: 100,
            quantity,
            shipped_quantity: shipped,
            accepted_quantity: None,
            refunded_quantity: 0,
            purchase_drive_id: None,
        }
    }

    fn fields<T: std::fmt::Debug>(result: AppResult<T>) -> Vec<(Vec<String>, ErrorCode)> {
        match result {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default(), e.code))
                .collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn path(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn carriers_and_waybills_are_checked() {
        assert!(valid_carrier("顺丰速运"));
        assert!(valid_carrier("EMS (China Post)"));
        assert!(!valid_carrier("<script>"));
        assert!(!valid_carrier(&"a".repeat(41)));
        assert!(valid_waybill("SF1234567890"));
        assert!(!valid_waybill("SF 123"));
        assert!(!valid_waybill("12"));
        assert!(!valid_waybill("单号12345"));
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
        let dispatch = |carrier: Option<&str>, waybill: Option<&str>, days: i64| Dispatch {
            carrier: carrier.map(str::to_owned),
            waybill_no: waybill.map(str::to_owned),
            expected_arrival: today.checked_add_signed(chrono::Duration::days(days)),
            ..Dispatch::default()
        };
        assert!(
            check_dispatch(&dispatch(None, None, 0), today)
                .finish()
                .is_ok()
        );
        assert!(
            check_dispatch(&dispatch(Some("顺丰"), Some("SF123456"), 3), today)
                .finish()
                .is_ok()
        );
        assert_eq!(
            fields(check_dispatch(&dispatch(None, Some("SF123456"), -1), today).finish()),
            [
                (path(&["input", "carrier"]), ErrorCode::Invalid),
                (path(&["input", "expectedArrival"]), ErrorCode::Invalid),
            ]
        );
    }

    #[test]
    fn a_shipment_ships_only_what_is_outstanding() {
        let lines = [line(10, 4), line(5, 5)];
        let all = planned_lines(&lines, None).expect("what is outstanding");
        assert_eq!(
            all.iter().map(|(_, l, q)| (l.id, *q)).collect::<Vec<_>>(),
            [(lines[0].id, 6)]
        );
        assert_eq!(
            fields(planned_lines(
                &lines,
                Some(&[(lines[0].id, 7), (lines[1].id, 1), (Uuid::now_v7(), 1)])
            )),
            [
                (
                    path(&["input", "lines", "0", "quantity"]),
                    ErrorCode::Invalid
                ),
                (
                    path(&["input", "lines", "1", "quantity"]),
                    ErrorCode::Invalid
                ),
                (
                    path(&["input", "lines", "2", "lineId"]),
                    ErrorCode::NotFound
                ),
            ]
        );
        assert_eq!(
            fields(planned_lines(
                &lines,
                Some(&[(lines[0].id, 1), (lines[0].id, 1)])
            )),
            [(
                path(&["input", "lines", "1", "lineId"]),
                ErrorCode::Duplicate
            )]
        );
        assert!(planned_lines(&[line(3, 3)], None).is_err());
        assert!(planned_lines(&lines, Some(&[])).is_err());
    }

    #[test]
    fn a_receipt_names_every_line_of_the_shipment_within_what_shipped() {
        let (a, b) = (line(10, 4), line(5, 5));
        let shipped = [(a.clone(), 4), (b.clone(), 2)];
        let plan = accepted_plan(&shipped, &[(b.id, 0), (a.id, 3)]).expect("every line");
        assert_eq!(
            plan.iter()
                .map(|(l, q, x)| (l.id, *q, *x))
                .collect::<Vec<_>>(),
            [(a.id, 4, 3), (b.id, 2, 0)]
        );
        assert_eq!(
            fields(accepted_plan(&shipped, &[(a.id, 5), (b.id, 2)])),
            [(
                path(&["input", "accepted", "0", "acceptedQuantity"]),
                ErrorCode::Invalid
            )]
        );
        assert_eq!(
            fields(accepted_plan(&shipped, &[(a.id, 1)])),
            [(path(&["input", "accepted"]), ErrorCode::Invalid)]
        );
    }

    #[test]
    fn inspection_results_follow_the_accepted_quantities() {
        let shipment = |received: bool| shipment::Model {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            number: 1,
            carrier: None,
            waybill_no: None,
            expected_arrival: None,
            shipped_by: Uuid::now_v7(),
            shipped_at: Utc::now(),
            received_by: None,
            received_at: received.then(Utc::now),
            inspection_report: None,
            rejected_returned_by: None,
            rejected_returned_at: None,
        };
        let sl = |quantity, accepted| shipment_line::Model {
            id: Uuid::now_v7(),
            shipment_id: Uuid::nil(),
            order_line_id: Uuid::nil(),
            quantity,
            lot_id: None,
            accepted_quantity: accepted,
        };
        let loaded = |received, lines| Loaded {
            shipment: shipment(received),
            lines,
        };
        assert_eq!(loaded(false, vec![sl(3, None)]).result(), None);
        assert_eq!(
            loaded(true, vec![sl(3, Some(3)), sl(2, Some(2))]).result(),
            Some(InspectionResult::Accepted)
        );
        assert_eq!(
            loaded(true, vec![sl(3, Some(1)), sl(2, Some(2))]).result(),
            Some(InspectionResult::Partial)
        );
        assert_eq!(
            loaded(true, vec![sl(3, Some(0))]).result(),
            Some(InspectionResult::Rejected)
        );
        assert_eq!(rejected(&sl(3, Some(1))), Some(2));
    }
}
