//! Order rules: placing a basket (`place`), the state machine (`available`, `transition`),
//! refunds and ratings. `place` splits a basket into one order per producer, freezes prices,
//! and reserves stock with one conditional update per product (in a fixed order, so concurrent
//! baskets cannot deadlock): stock never goes below zero whatever the concurrency. A client's
//! idempotency key, stored in the same transaction, makes retries return the first result.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{
    agreement,
    api_name::ApiName,
    idempotency_key,
    ledger_entry::Purpose,
    membership, order,
    order::{OrderStatus, PaymentTerms},
    order_event, order_line, product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    ExprTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    TransactionTrait,
    sea_query::{Expr, Query},
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::accounts::{self, Stage};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, visibility::reveal},
    error::{AppError, AppResult, Checks, ErrorCode, UserError, is_unique_violation},
    ids::new_uuid,
    ledger,
    live::events::{Event, LedgerAppended, OrderChanged},
    org::{buyers, membership::membership_of},
};

const MAX_LINES: usize = 100;
const MAX_QUANTITY: i64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct Basket {
    pub lines: Vec<(Uuid, i64)>,
    /// Order under this directed procurement agreement, at its price.
    pub agreement_id: Option<Uuid>,
    /// Placed at this fair (产销对接大会): every line's producer is an approved exhibitor.
    pub fair_id: Option<Uuid>,
    pub payment_terms: PaymentTerms,
    /// What the purchase is for; by default what units of the buyer's kind buy for.
    pub purpose: Option<Purpose>,
    pub note: Option<String>,
    pub idempotency_key: String,
}

fn request_hash(basket: &Basket) -> String {
    let mut lines = basket.lines.clone();
    lines.sort();
    let mut canonical = json!({
        "lines": lines.iter().map(|(p, q)| (p.to_string(), q)).collect::<Vec<_>>(),
        "terms": basket.payment_terms.api_name(),
        "agreement": basket.agreement_id.map(|a| a.to_string()),
        "note": basket.note,
        "fair": basket.fair_id.map(|f| f.to_string()),
    });
    // Added only when stated, so keys stored before purposes existed still match their replay.
    if let Some(purpose) = basket.purpose {
        canonical["purpose"] = purpose.api_name().into();
    }
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check(basket: &Basket) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            (1..=MAX_LINES).contains(&basket.lines.len()),
            "lines",
            ErrorCode::Invalid,
            msg!("orders.order_has_1_lines", max_lines = MAX_LINES),
        )
        .length(&basket.idempotency_key, "idempotencyKey", 8, 100)
        .length(basket.note.as_deref().unwrap_or_default(), "note", 0, 500);
    let mut seen = std::collections::HashSet::new();
    for (index, (product, quantity)) in basket.lines.iter().enumerate() {
        let field = format!("lines.{index}");
        if !(1..=MAX_QUANTITY).contains(quantity) {
            checks.push(line_error(
                index,
                ErrorCode::Invalid,
                msg!("orders.quantity_must_positive"),
            ));
        }
        if !seen.insert(*product) {
            checks.push(UserError {
                field: Some(vec!["input".into(), field]),
                code: ErrorCode::Duplicate,
                message: msg!("orders.each_product_once_per_order"),
            });
        }
    }
    checks.finish()
}

fn line_error(index: usize, code: ErrorCode, message: impl Into<String>) -> UserError {
    UserError {
        field: Some(vec!["input".into(), "lines".into(), index.to_string()]),
        code,
        message: message.into(),
    }
}

/// The orders a basket became (one per producer), from the group an idempotency key names.
pub async fn orders_of_group(
    conn: &impl ConnectionTrait,
    group: Uuid,
) -> AppResult<Vec<order::Model>> {
    Ok(order::Entity::find()
        .filter(order::Column::GroupId.eq(group))
        .order_by_asc(order::Column::Id)
        .all(conn)
        .await?)
}

/// Places a basket: one order per producer, prices frozen, stock reserved, all or nothing.
pub async fn place(caller: Caller<'_>, basket: Basket) -> AppResult<Vec<order::Model>> {
    check(&basket)?;
    let db = caller.db();
    let buyer = buyers::buyer_of(db, caller.viewer).await?;
    let hash = request_hash(&basket);
    let key = basket.idempotency_key.trim().to_owned();
    let txn = db.begin().await?;
    let group = new_uuid();
    let now = Utc::now();
    // The key goes in first: a retry finds it taken (a concurrent one waits on it first) and
    // answers with the orders it made.
    if let Err(error) = claim_key(&txn, caller, buyer, &key, &hash, group, now).await {
        txn.rollback().await.ok();
        if is_unique_violation(&error) {
            let previous = find_key(db, buyer, caller.viewer.user_id, &key)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotency key vanished")))?;
            return replay(db, &previous, &hash).await;
        }
        return Err(error.into());
    }
    let (created, events) = place_in(&txn, caller, &basket, buyer, group, now).await?;
    txn.commit().await?;
    caller.services.bus.publish(events);
    Ok(created)
}

/// Writes a basket's orders in `txn` (the caller's transaction, which also holds whatever
/// else must stand or fall with them): products checked, agreement drawn, stock reserved.
/// Returns the orders and their events, to publish after commit. The idempotency key is the
/// caller's business.
pub async fn place_in(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    basket: &Basket,
    buyer: Uuid,
    group: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(Vec<order::Model>, Vec<Event>)> {
    let products = products_of(txn, basket).await?;
    let mut problems = check_products(basket, &products);
    let agreement = agreement_for(txn, basket, buyer, &mut problems).await?;
    at_fair(txn, basket, &products, now, &mut problems).await?;
    problems.finish()?;
    if let Some(agreement) = &agreement {
        let quantity = basket_quantity(basket)?;
        super::agreements::draw(txn, agreement, buyer, quantity, now.date_naive()).await?;
    }
    let purpose = match basket.purpose {
        Some(purpose) => purpose,
        None => Purpose::default_for(buyers::load(txn, buyer).await?.1.kind),
    };
    reserve(txn, basket, &products, now).await?;
    let drives = crate::unsold::drives::running_for(txn, products.keys(), now.date_naive()).await?;
    let placing = Placing {
        caller,
        basket,
        group,
        buyer,
        purpose,
        agreement: agreement.as_ref(),
        drives: &drives,
        now,
    };
    let mut created = Vec::new();
    let mut events = Vec::new();
    for (producer, lines) in by_producer(basket, &products) {
        let (placed, event) = placing.order_to(txn, producer, &lines).await?;
        created.push(placed);
        events.push(event);
    }
    Ok((created, events))
}

/// Claims the basket's idempotency key for `group`, in the order's transaction.
async fn claim_key(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    buyer: Uuid,
    key: &str,
    hash: &str,
    group: Uuid,
    now: DateTime<Utc>,
) -> Result<idempotency_key::Model, DbErr> {
    idempotency_key::ActiveModel {
        id: Set(new_uuid()),
        organization_id: Set(buyer),
        user_id: Set(caller.viewer.user_id),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        group_id: Set(group),
        created_at: Set(now),
    }
    .insert(txn)
    .await
}

/// The basket's products, by ID (unknown ones are missing).
async fn products_of(
    conn: &impl ConnectionTrait,
    basket: &Basket,
) -> AppResult<HashMap<Uuid, product::Model>> {
    let ids: Vec<Uuid> = basket.lines.iter().map(|(p, _)| *p).collect();
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Each line's product must be listed and ordered from its minimum quantity.
fn check_products(basket: &Basket, products: &HashMap<Uuid, product::Model>) -> Checks {
    let mut problems = Checks::default();
    for (index, (id, quantity)) in basket.lines.iter().enumerate() {
        match products.get(id) {
            // A buyer may not see an unlisted product: it answers like an unknown one.
            Some(p) if !p.listed => {
                problems.push(line_error(
                    index,
                    ErrorCode::NotFound,
                    msg!("orders.no_such_product_catalogue_unknown_withdrawn"),
                ));
            }
            Some(p) if i64::from(p.min_order_quantity) > *quantity => {
                problems.push(line_error(
                    index,
                    ErrorCode::Invalid,
                    msg!(
                        "orders.sold_from",
                        name = p.name,
                        min_order_quantity = p.min_order_quantity,
                        unit = p.unit
                    ),
                ));
            }
            Some(_) => {}
            None => {
                problems.push(line_error(
                    index,
                    ErrorCode::NotFound,
                    msg!("orders.no_such_product_catalogue_unknown_withdrawn"),
                ));
            }
        }
    }
    problems
}

/// The buyer's agreement the basket is ordered under, if any; lines of other products are
/// added to `problems`.
async fn agreement_for(
    conn: &impl ConnectionTrait,
    basket: &Basket,
    buyer: Uuid,
    problems: &mut Checks,
) -> AppResult<Option<agreement::Model>> {
    let Some(id) = basket.agreement_id else {
        return Ok(None);
    };
    // Another buyer's agreement answers exactly like an unknown one.
    let agreement = match super::agreements::load(conn, id).await {
        Ok(a) if a.buyer_org_id == buyer => a,
        Ok(_) | Err(AppError::NotFound(_)) => {
            return Err(AppError::field(
                "agreementId",
                ErrorCode::NotFound,
                msg!("orders.no_agreement_yours_has_id"),
            ));
        }
        Err(other) => return Err(other),
    };
    check_agreement_lines(basket, &agreement, problems);
    Ok(Some(agreement))
}

/// At a fair, the fair runs today and every known product's producer exhibits there.
async fn at_fair(
    conn: &impl ConnectionTrait,
    basket: &Basket,
    products: &HashMap<Uuid, product::Model>,
    now: DateTime<Utc>,
    problems: &mut Checks,
) -> AppResult<()> {
    let Some(fair) = basket.fair_id else {
        return Ok(());
    };
    let lines: Vec<(usize, Uuid)> = basket
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, (id, _))| products.get(id).map(|p| (i, p.producer_org_id)))
        .collect();
    crate::trade::fairs::check_order_at(conn, fair, &lines, now.date_naive(), problems).await
}

/// Under an agreement, every line is of the agreed product.
fn check_agreement_lines(basket: &Basket, agreement: &agreement::Model, problems: &mut Checks) {
    for (index, (product, _)) in basket.lines.iter().enumerate() {
        if *product != agreement.product_id {
            problems.push(line_error(
                index,
                ErrorCode::Invalid,
                msg!("orders.product_not_under_agreement"),
            ));
        }
    }
}

/// The basket's whole quantity, refused when it overflows.
fn basket_quantity(basket: &Basket) -> AppResult<i64> {
    basket
        .lines
        .iter()
        .try_fold(0i64, |sum, (_, q)| sum.checked_add(*q))
        .ok_or_else(|| {
            AppError::field(
                "lines",
                ErrorCode::Invalid,
                msg!("orders.too_large_quantity"),
            )
        })
}

/// Takes each line's quantity off its product's stock, or refuses the basket.
async fn reserve(
    txn: &DatabaseTransaction,
    basket: &Basket,
    products: &HashMap<Uuid, product::Model>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Reserve in product-ID order: every basket locks rows in the same order, so none deadlock.
    let mut ordered: Vec<(usize, Uuid, i64)> = basket
        .lines
        .iter()
        .enumerate()
        .map(|(i, (p, q))| (i, *p, *q))
        .collect();
    ordered.sort_by_key(|(_, p, _)| *p);
    for (index, id, quantity) in &ordered {
        let reserved = product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).sub(*quantity),
            )
            .col_expr(product::Column::LastOrderedAt, Expr::value(Some(now)))
            .filter(product::Column::Id.eq(*id))
            .filter(product::Column::Stock.gte(*quantity))
            .filter(product::Column::Listed.eq(true))
            .exec(txn)
            .await?;
        if reserved.rows_affected == 0 {
            // Dropping the transaction undoes the reservations made so far.
            return Err(AppError::user(line_error(
                *index,
                ErrorCode::InsufficientStock,
                msg!("orders.not_enough_stock", value0 = products[id].name),
            )));
        }
    }
    Ok(())
}

/// A basket line: its index in the input, its product and quantity.
type Line<'a> = (usize, &'a product::Model, i64);

/// The basket's lines grouped by producer, each group in basket order.
fn by_producer<'a>(
    basket: &Basket,
    products: &'a HashMap<Uuid, product::Model>,
) -> BTreeMap<Uuid, Vec<Line<'a>>> {
    let mut grouped: BTreeMap<Uuid, Vec<Line<'a>>> = BTreeMap::new();
    for (index, (id, quantity)) in basket.lines.iter().enumerate() {
        let p = &products[id];
        grouped
            .entry(p.producer_org_id)
            .or_default()
            .push((index, p, *quantity));
    }
    grouped
}

/// An order's total at `price`, refused when it would overflow.
fn order_total(lines: &[Line<'_>], price: impl Fn(&product::Model) -> i64) -> AppResult<i64> {
    // Checked: quantities and prices are bounded, but a total must never wrap.
    lines
        .iter()
        .try_fold(0i64, |sum, (_, p, q)| {
            price(p).checked_mul(*q).and_then(|a| sum.checked_add(a))
        })
        .ok_or_else(|| {
            AppError::field(
                "lines",
                ErrorCode::Invalid,
                msg!("orders.order_s_total_too_large"),
            )
        })
}

/// What every order of one basket shares.
struct Placing<'a> {
    caller: Caller<'a>,
    basket: &'a Basket,
    group: Uuid,
    buyer: Uuid,
    purpose: Purpose,
    agreement: Option<&'a agreement::Model>,
    /// The drive running today for each product.
    drives: &'a HashMap<Uuid, Uuid>,
    now: DateTime<Utc>,
}

impl Placing<'_> {
    /// Under an agreement the agreed price applies, not the catalogue's.
    fn price(&self, p: &product::Model) -> i64 {
        self.agreement.map_or(p.price_fen, |a| a.price_fen)
    }

    /// Writes the order to one producer, its lines, history and audit event.
    async fn order_to(
        &self,
        txn: &DatabaseTransaction,
        producer: Uuid,
        lines: &[Line<'_>],
    ) -> AppResult<(order::Model, Event)> {
        let total = order_total(lines, |p| self.price(p))?;
        let placed = order::ActiveModel {
            id: Set(new_uuid()),
            group_id: Set(self.group),
            buyer_org_id: Set(self.buyer),
            producer_org_id: Set(producer),
            agreement_id: Set(self.agreement.map(|a| a.id)),
            fair_id: Set(self.basket.fair_id),
            status: Set(OrderStatus::Placed),
            payment_terms: Set(self.basket.payment_terms),
            due_on: Set(None),
            due_extended: Set(false),
            purpose: Set(self.purpose),
            total_fen: Set(total),
            note: Set(self.basket.note.clone()),
            invoice_no: Set(None),
            cancel_reason: Set(None),
            rating: Set(None),
            rating_comment: Set(None),
            placed_by: Set(self.caller.viewer.user_id),
            placed_at: Set(self.now),
            updated_at: Set(self.now),
        }
        .insert(txn)
        .await?;
        self.insert_lines(txn, placed.id, lines).await?;
        let row =
            record_event(txn, self.caller, placed.id, None, OrderStatus::Placed, None).await?;
        self.caller
            .audit(
                txn,
                Change {
                    action: "placeOrder",
                    target_type: "Order",
                    target_id: Some(placed.id),
                    summary: json!({ "producer": producer, "totalFen": total, "lines": lines.len() }),
                },
            )
            .await?;
        let event = Event::OrderChanged(OrderChanged::new(&row, self.buyer, producer));
        Ok((placed, event))
    }

    /// The order's lines, prices frozen, each tallied for its product's running drive.
    async fn insert_lines(
        &self,
        txn: &DatabaseTransaction,
        order: Uuid,
        lines: &[Line<'_>],
    ) -> AppResult<()> {
        for (position, (_, p, quantity)) in lines.iter().enumerate() {
            order_line::ActiveModel {
                id: Set(new_uuid()),
                order_id: Set(order),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                product_id: Set(p.id),
                product_name: Set(p.name.clone()),
                category: Set(p.category),
                spec: Set(p.spec.clone()),
                unit: Set(p.unit.clone()),
                price_fen: Set(self.price(p)),
                quantity: Set(*quantity),
                shipped_quantity: Set(0),
                accepted_quantity: Set(None),
                refunded_quantity: Set(0),
                purchase_drive_id: Set(self.drives.get(&p.id).copied()),
            }
            .insert(txn)
            .await?;
        }
        Ok(())
    }
}

async fn find_key(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    user: Uuid,
    key: &str,
) -> AppResult<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::OrganizationId.eq(organization))
        .filter(idempotency_key::Column::UserId.eq(user))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(conn)
        .await?)
}

async fn replay(
    conn: &impl ConnectionTrait,
    previous: &idempotency_key::Model,
    hash: &str,
) -> AppResult<Vec<order::Model>> {
    if previous.request_hash != hash {
        return Err(AppError::field(
            "idempotencyKey",
            ErrorCode::IdempotencyKeyReused,
            msg!("orders.key_was_used_different_order"),
        ));
    }
    orders_of_group(conn, previous.group_id).await
}

/// Writes a row of the order's history and, in the same transaction, the webhook deliveries
/// that tell both parties (in order per order): every transition goes through here.
pub(crate) async fn record_event(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    order: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    note: Option<String>,
) -> AppResult<order_event::Model> {
    let row = order_event::ActiveModel {
        id: Set(new_uuid()),
        order_id: Set(order),
        from_status: Set(from),
        to_status: Set(to),
        actor_id: Set(caller.viewer.user_id),
        note: Set(note),
        at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    let parties = order::Entity::find_by_id(order)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))?;
    let notice = crate::webhooks::outbox::order_changed(&row, &parties);
    crate::webhooks::outbox::enqueue(conn, &caller.services.settings.webhooks, notice).await?;
    Ok(row)
}

/// Which side of an order the viewer acts for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Buyer,
    Producer,
}

/// A move of the order state machine.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderTransition {
    /// The producer accepts the order (PLACED → CONFIRMED).
    Confirm,
    /// The producer ships it (CONFIRMED → SHIPPED).
    Ship,
    /// The buyer inspects and accepts it (SHIPPED → RECEIVED).
    Receive,
    /// The buyer before shipping, or the producer before confirming, calls it off.
    Cancel,
    /// The buyer records payment (RECEIVED → SETTLED).
    Settle,
    /// The producer refunds accepted goods, in whole or in part (`refundOrder`).
    Refund,
    /// The buyer rates the producer once, after receipt (`rateOrder`).
    Rate,
}

/// What `side` may do to an order now: front-ends show these, never guess.
pub fn available(order: &order::Model, side: Side) -> Vec<OrderTransition> {
    use OrderStatus as S;
    use OrderTransition as T;
    let mut moves = match (side, order.status) {
        (Side::Producer, S::Placed) => vec![T::Confirm, T::Cancel],
        (Side::Producer, S::Confirmed) => vec![T::Ship],
        (Side::Producer, S::Received | S::Settled) => vec![T::Refund],
        (Side::Buyer, S::Placed | S::Confirmed) => vec![T::Cancel],
        (Side::Buyer, S::Shipped) => vec![T::Receive],
        (Side::Buyer, S::Received) => vec![T::Settle],
        _ => Vec::new(),
    };
    if side == Side::Buyer
        && matches!(order.status, S::Received | S::Settled)
        && order.rating.is_none()
    {
        moves.push(T::Rate);
    }
    moves
}

/// The viewer's side of an order, if they act for one.
pub async fn side_of(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    order: &order::Model,
) -> AppResult<Option<Side>> {
    let acting_for = membership_of(conn, viewer.user_id)
        .await?
        .map(|m| m.organization_id);
    Ok(side_for(order, acting_for))
}

fn side_for(order: &order::Model, acting_for: Option<Uuid>) -> Option<Side> {
    match acting_for {
        Some(org) if org == order.buyer_org_id => Some(Side::Buyer),
        Some(org) if org == order.producer_org_id => Some(Side::Producer),
        _ => None,
    }
}

/// An order and the viewer's side of it, in one round trip (every move of an order starts so).
pub(crate) async fn load_with_side(
    conn: &impl ConnectionTrait,
    id: Uuid,
    viewer: &Viewer,
) -> AppResult<(order::Model, Option<Side>)> {
    let acting_for = Query::select()
        .column(membership::Column::OrganizationId)
        .from(membership::Entity)
        .and_where(Expr::col(membership::Column::UserId).eq(viewer.user_id))
        .to_owned();
    let query = order::Entity::find_by_id(id)
        .expr_as(
            Expr::SubQuery(None, Box::new(acting_for.into())),
            "acting_for",
        )
        .into_query();
    let row = conn
        .query_one(&query)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))?;
    let order = order::Model::from_query_result(&row, "")?;
    let side = side_for(&order, row.try_get("", "acting_for")?);
    // `Sight::orders` in one round trip: a foreign order answers like an unknown one.
    let order = reveal(
        Some(order),
        |_| side.is_some() || viewer.is_admin(),
        "not_found.order",
    )?;
    Ok((order, side))
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<order::Model> {
    order::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.order"))
}

pub async fn lines(conn: &impl ConnectionTrait, order: Uuid) -> AppResult<Vec<order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order))
        .order_by_asc(order_line::Column::Position)
        .all(conn)
        .await?)
}

/// Matches the lines a receipt or refund names (`input.<field>[i].lineId`) to the order's own:
/// each must be a line of this order and named once; with `every_line`, each of the order's
/// lines must be named. A line of another order answers exactly like an unknown one, so the
/// error reveals nothing about other orders. Returns quantity per line, nothing unnamed.
pub fn match_lines(
    order_lines: &[order_line::Model],
    named: &[(Uuid, i64)],
    field: &str,
    every_line: bool,
) -> AppResult<HashMap<Uuid, i64>> {
    let at = |index: usize, leaf: &str| {
        Some(vec![
            "input".to_owned(),
            field.to_owned(),
            index.to_string(),
            leaf.to_owned(),
        ])
    };
    let mut problems = Checks::default();
    let mut matched = HashMap::with_capacity(named.len());
    for (index, (line, quantity)) in named.iter().enumerate() {
        if !order_lines.iter().any(|l| l.id == *line) {
            problems.push(UserError {
                field: at(index, "lineId"),
                code: ErrorCode::NotFound,
                message: msg!("orders.no_line_order_has_id"),
            });
        } else if matched.insert(*line, *quantity).is_some() {
            problems.push(UserError {
                field: at(index, "lineId"),
                code: ErrorCode::Duplicate,
                message: msg!("orders.each_line_once"),
            });
        }
    }
    if every_line {
        for line in order_lines.iter().filter(|l| !matched.contains_key(&l.id)) {
            problems.push(UserError::on(
                field,
                ErrorCode::Invalid,
                msg!(
                    "orders.name_every_line_order_accept_0",
                    product_name = line.product_name
                ),
            ));
        }
    }
    problems.finish()?;
    Ok(matched)
}

/// A move `transition` makes: an `OrderTransition` other than shipping and receiving
/// (`shipments`), a refund or a rating, which have their own rules (`refund`, `rate`), so they
/// cannot reach this one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Confirm,
    Cancel,
    Settle,
}

impl Step {
    fn transition(self) -> OrderTransition {
        match self {
            Step::Confirm => OrderTransition::Confirm,
            Step::Cancel => OrderTransition::Cancel,
            Step::Settle => OrderTransition::Settle,
        }
    }

    fn next(self) -> OrderStatus {
        match self {
            Step::Confirm => OrderStatus::Confirmed,
            Step::Cancel => OrderStatus::Cancelled,
            Step::Settle => OrderStatus::Settled,
        }
    }

    /// The audit action: the mutation's name.
    fn action(self) -> &'static str {
        match self {
            Step::Confirm => "confirmOrder",
            Step::Cancel => "cancelOrder",
            Step::Settle => "settleOrder",
        }
    }
}

/// Whether `side` may make `step` from the order's current state.
fn check_step(current: &order::Model, side: Side, step: Step) -> AppResult<()> {
    if available(current, side).contains(&step.transition()) {
        return Ok(());
    }
    Err(AppError::state(
        ErrorCode::InvalidState,
        msg!(
            "orders.cannot_order",
            side = match side {
                Side::Buyer => msg!("side.buyer"),
                Side::Producer => msg!("side.producer"),
            },
            step = entity::api_name::graphql_name(step.transition()),
            status = current.status.api_name()
        ),
    ))
}

/// The reason, trimmed; a cancel must give one.
fn step_reason(step: Step, reason: Option<String>) -> AppResult<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if step == Step::Cancel && reason.is_none() {
        return Err(AppError::field(
            "reason",
            ErrorCode::Invalid,
            msg!("orders.give_reason_cancelling"),
        ));
    }
    Ok(reason)
}

/// Moves an order one step, if the viewer's side may make that move from its current state.
pub async fn transition(
    caller: Caller<'_>,
    id: Uuid,
    step: Step,
    reason: Option<String>,
) -> AppResult<order::Model> {
    let db = caller.db();
    let (current, side) = load_with_side(db, id, caller.viewer).await?;
    let side = side.ok_or(AppError::Forbidden("forbidden.you_act_neither_side_order"))?;
    check_step(&current, side, step)?;
    let reason = step_reason(step, reason)?;
    let checked = match step {
        Step::Settle => accounts::check_paid_before(db, &current, Stage::Settling).await?,
        _ => None,
    };
    // A settlement names the amounts it closed on.
    let reason = match (step, &checked) {
        (Step::Settle, Some(account)) => Some(accounts::settlement_note(account)),
        _ => reason,
    };
    // Only a cancel (stock back) touches the lines; shipping and receiving are shipments'.
    let order_lines = if step == Step::Cancel {
        lines(db, id).await?
    } else {
        Vec::new()
    };
    let txn = db.begin().await?;
    let moved = write_step(&txn, &current, step, &reason).await?;
    let (from, next) = (current.status, moved.status);
    let row = record_event(&txn, caller, id, Some(from), next, reason.clone()).await?;
    let summary = json!({ "from": from.api_name(), "to": next.api_name(), "reason": reason });
    caller
        .audit(
            &txn,
            Change {
                action: step.action(),
                target_type: "Order",
                target_id: Some(id),
                summary,
            },
        )
        .await?;
    if step == Step::Cancel {
        restock(&txn, &current, &order_lines).await?;
    }
    txn.commit().await?;
    let changed = OrderChanged::new(&row, current.buyer_org_id, current.producer_org_id);
    caller.services.bus.publish([Event::OrderChanged(changed)]);
    Ok(moved)
}

/// Moves the order's status (with the cancel reason), unless it moved meanwhile.
async fn write_step(
    txn: &DatabaseTransaction,
    current: &order::Model,
    step: Step,
    reason: &Option<String>,
) -> AppResult<order::Model> {
    let next = step.next();
    // Microseconds, as the database keeps them: the order returned equals the one stored.
    let now = Utc::now().trunc_subsecs(6);
    let mut moved = order::Model {
        status: next,
        updated_at: now,
        ..current.clone()
    };
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(current.id))
        .filter(order::Column::Status.eq(current.status));
    if step == Step::Cancel {
        update = update.col_expr(order::Column::CancelReason, Expr::value(reason.clone()));
        moved.cancel_reason = reason.clone();
    }
    // The status in the WHERE clause makes a concurrent move of the same order lose cleanly.
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("orders.order_changed_meanwhile"),
        ));
    }
    Ok(moved)
}

/// A cancelled order's stock goes back, and what it drew from its agreement.
async fn restock(
    txn: &DatabaseTransaction,
    current: &order::Model,
    order_lines: &[order_line::Model],
) -> AppResult<()> {
    for line in order_lines {
        product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).add(line.quantity),
            )
            .filter(product::Column::Id.eq(line.product_id))
            .exec(txn)
            .await?;
    }
    if let Some(agreement) = current.agreement_id {
        let drawn = order_lines.iter().map(|l| l.quantity).sum();
        super::agreements::release(txn, agreement, drawn).await?;
    }
    Ok(())
}

/// Refunds accepted goods (the producer, after receipt): each refunded line becomes a new,
/// negative ledger entry pointing at its sale; nothing already written changes.
pub async fn refund(
    caller: Caller<'_>,
    id: Uuid,
    requested: Vec<(Uuid, i64)>,
    reason: &str,
) -> AppResult<order::Model> {
    let mut checks = Checks::default();
    checks.length(reason, "reason", 2, 500);
    checks.finish()?;
    let db = caller.db();
    let (current, side) = load_with_side(db, id, caller.viewer).await?;
    if side != Some(Side::Producer) {
        return Err(AppError::Forbidden(
            "forbidden.refunds_recorded_producer_who_pays_them",
        ));
    }
    if !available(&current, Side::Producer).contains(&OrderTransition::Refund) {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("orders.only_received_orders_can_refunded"),
        ));
    }
    let plan = refund_plan(&lines(db, id).await?, &requested)?;
    let txn = db.begin().await?;
    let note = format!("refund: {}", reason.trim());
    let summary = json!({ "reason": reason.trim() });
    let refunded = refund_in(&txn, caller, &current, &plan, note, "refundOrder", summary).await?;
    txn.commit().await?;
    publish_refund(caller, &current, &refunded);
    load(db, id).await
}

/// What a refund wrote: the order's history row and the negative ledger entries.
pub struct Refunded {
    pub event: order_event::Model,
    pub entries: Vec<entity::ledger_entry::Model>,
}

/// Refunds `plan` in `txn`: each line's refunded total grows (never past what was accepted),
/// each becomes a new negative ledger entry pointing at its sale, and the order's history and
/// the audit record it under `action` (`summary` gains the lines). Publish after the commit.
pub(crate) async fn refund_in(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    current: &order::Model,
    plan: &[(order_line::Model, i64)],
    note: String,
    action: &'static str,
    mut summary: serde_json::Value,
) -> AppResult<Refunded> {
    take_refunds(txn, plan).await?;
    let entries = ledger::entries::record_refund(txn, plan, Utc::now().date_naive()).await?;
    let status = Some(current.status);
    let event = record_event(txn, caller, current.id, status, current.status, Some(note)).await?;
    summary["lines"] = plan
        .iter()
        .map(|(l, q)| json!({ "line": l.id, "quantity": q }))
        .collect();
    caller
        .audit(
            txn,
            Change {
                action,
                target_type: "Order",
                target_id: Some(current.id),
                summary,
            },
        )
        .await?;
    Ok(Refunded { event, entries })
}

/// Tells subscribers about a committed refund.
pub(crate) fn publish_refund(caller: Caller<'_>, current: &order::Model, refunded: &Refunded) {
    caller.services.bus.publish([
        Event::OrderChanged(OrderChanged::new(
            &refunded.event,
            current.buyer_org_id,
            current.producer_org_id,
        )),
        Event::LedgerAppended(LedgerAppended::new(&refunded.entries)),
    ]);
}

/// What is still refundable of a line: accepted, less refunded already.
pub(crate) fn refundable(line: &order_line::Model) -> i64 {
    line.accepted_quantity.unwrap_or(0) - line.refunded_quantity
}

/// The lines to refund and how much of each. Nothing named: everything still refundable.
/// Named lines must be this order's, each within what is refundable.
pub(crate) fn refund_plan(
    order_lines: &[order_line::Model],
    requested: &[(Uuid, i64)],
) -> AppResult<Vec<(order_line::Model, i64)>> {
    let plan: Vec<(order_line::Model, i64)> = if requested.is_empty() {
        order_lines
            .iter()
            .map(|l| (l.clone(), refundable(l)))
            .filter(|(_, q)| *q > 0)
            .collect()
    } else {
        named_refunds(order_lines, requested)?
    };
    if plan.is_empty() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("orders.nothing_left_refund"),
        ));
    }
    Ok(plan)
}

fn named_refunds(
    order_lines: &[order_line::Model],
    requested: &[(Uuid, i64)],
) -> AppResult<Vec<(order_line::Model, i64)>> {
    match_lines(order_lines, requested, "lines", false)?;
    let mut problems = Checks::default();
    let mut plan = Vec::new();
    for (index, (id, quantity)) in requested.iter().enumerate() {
        let Some(line) = order_lines.iter().find(|l| l.id == *id) else {
            continue;
        };
        if !(0..=refundable(line)).contains(quantity) {
            problems.push(UserError {
                field: Some(vec![
                    "input".into(),
                    "lines".into(),
                    index.to_string(),
                    "quantity".into(),
                ]),
                code: ErrorCode::Invalid,
                message: msg!(
                    "orders.refund_between_0",
                    value0 = refundable(line),
                    product_name = line.product_name
                ),
            });
        } else if *quantity > 0 {
            plan.push((line.clone(), *quantity));
        }
    }
    problems.finish()?;
    Ok(plan)
}

/// Adds each planned quantity to its line's refunded total, never past what was accepted.
async fn take_refunds(
    txn: &DatabaseTransaction,
    plan: &[(order_line::Model, i64)],
) -> AppResult<()> {
    for (line, quantity) in plan {
        // The refunded total can only grow up to what was accepted, even under concurrency.
        let updated = order_line::Entity::update_many()
            .col_expr(
                order_line::Column::RefundedQuantity,
                Expr::col(order_line::Column::RefundedQuantity).add(*quantity),
            )
            .filter(order_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(order_line::Column::RefundedQuantity)
                    .add(*quantity)
                    .lte(Expr::col(order_line::Column::AcceptedQuantity)),
            )
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("orders.line_was_refunded_meanwhile"),
            ));
        }
    }
    Ok(())
}

/// The buyer rates the producer once, after receipt.
pub async fn rate(
    caller: Caller<'_>,
    id: Uuid,
    rating: i32,
    comment: Option<String>,
) -> AppResult<order::Model> {
    let mut checks = Checks::default();
    checks
        .require(
            (1..=5).contains(&rating),
            "rating",
            ErrorCode::Invalid,
            msg!("orders.rate_from_1_5"),
        )
        .length(comment.as_deref().unwrap_or_default(), "comment", 0, 500);
    checks.finish()?;
    let db = caller.db();
    let (current, side) = load_with_side(db, id, caller.viewer).await?;
    if side != Some(Side::Buyer) {
        return Err(AppError::Forbidden("forbidden.buyer_rates_orders"));
    }
    if !available(&current, Side::Buyer).contains(&OrderTransition::Rate) {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("orders.rate_once_after_receipt"),
        ));
    }
    let txn = db.begin().await?;
    let rated = order::Entity::update_many()
        .col_expr(order::Column::Rating, Expr::value(rating))
        .col_expr(order::Column::RatingComment, Expr::value(comment.clone()))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Rating.is_null())
        .exec(&txn)
        .await?;
    if rated.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("orders.order_rated_already"),
        ));
    }
    crate::org::reputation::rated(&txn, current.producer_org_id, rating).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "rateOrder",
                target_type: "Order",
                target_id: Some(id),
                summary: json!({ "rating": rating, "comment": comment }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_in(status: OrderStatus, rating: Option<i32>) -> order::Model {
        order::Model {
            id: Uuid::now_v7(),
            group_id: Uuid::now_v7(),
            buyer_org_id: Uuid::now_v7(),
            producer_org_id: Uuid::now_v7(),
            agreement_id: None,
            fair_id: None,
            status,
            payment_terms: PaymentTerms::PayAfterDelivery,
            due_on: None,
            due_extended: false,
            purpose: Purpose::CanteenSupply,
            total_fen: 100,
            note: None,
            invoice_no: None,
            cancel_reason: None,
            rating,
            rating_comment: None,
            placed_by: Uuid::now_v7(),
            placed_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn each_side_sees_only_its_moves() {
        use OrderTransition as T;
        let at = |s| order_in(s, None);
        assert_eq!(
            available(&at(OrderStatus::Placed), Side::Producer),
            [T::Confirm, T::Cancel]
        );
        assert_eq!(
            available(&at(OrderStatus::Confirmed), Side::Buyer),
            [T::Cancel]
        );
        assert!(available(&at(OrderStatus::Shipped), Side::Producer).is_empty());
        assert_eq!(
            available(&at(OrderStatus::Shipped), Side::Buyer),
            [T::Receive]
        );
        assert_eq!(
            available(&at(OrderStatus::Received), Side::Buyer),
            [T::Settle, T::Rate]
        );
        assert_eq!(
            available(&order_in(OrderStatus::Settled, Some(5)), Side::Buyer),
            []
        );
        assert_eq!(
            available(&at(OrderStatus::Settled), Side::Producer),
            [T::Refund]
        );
        assert!(available(&at(OrderStatus::Cancelled), Side::Buyer).is_empty());
    }

    fn line(order: Uuid, name: &str) -> order_line::Model {
        order_line::Model {
            id: Uuid::now_v7(),
            order_id: order,
            position: 0,
            product_id: Uuid::now_v7(),
            product_name: name.into(),
            category: entity::product::ProductCategory::GrainOil,
            spec: "5kg".into(),
            unit: "箱".into(),
            price_fen: 100,
            quantity: 5,
            shipped_quantity: 0,
            accepted_quantity: None,
            refunded_quantity: 0,
            purchase_drive_id: None,
        }
    }

    fn fields(result: AppResult<HashMap<Uuid, i64>>) -> Vec<(Vec<String>, ErrorCode)> {
        match result {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default(), e.code))
                .collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn named_lines_must_be_the_orders_own_once_each() {
        let order = Uuid::now_v7();
        let lines = [line(order, "红薯"), line(order, "粉条")];
        let foreign = line(Uuid::now_v7(), "小米");
        let at = |i: &str| {
            vec![
                "input".to_owned(),
                "accepted".to_owned(),
                i.to_owned(),
                "lineId".to_owned(),
            ]
        };
        let all = match_lines(
            &lines,
            &[(lines[1].id, 0), (lines[0].id, 5)],
            "accepted",
            true,
        )
        .expect("every line once");
        assert_eq!(all, HashMap::from([(lines[0].id, 5), (lines[1].id, 0)]));
        assert_eq!(
            fields(match_lines(
                &lines,
                &[(lines[0].id, 5), (lines[1].id, 5), (foreign.id, 5)],
                "accepted",
                true
            )),
            [(at("2"), ErrorCode::NotFound)]
        );
        assert_eq!(
            fields(match_lines(
                &lines,
                &[(lines[0].id, 5), (lines[0].id, 1), (lines[1].id, 5)],
                "accepted",
                true
            )),
            [(at("1"), ErrorCode::Duplicate)]
        );
        assert_eq!(
            fields(match_lines(&lines, &[(lines[0].id, 5)], "accepted", true)),
            [(
                vec!["input".to_owned(), "accepted".to_owned()],
                ErrorCode::Invalid
            )]
        );
        // A refund may name a subset.
        assert_eq!(
            match_lines(&lines, &[(lines[0].id, 2)], "lines", false).expect("a subset"),
            HashMap::from([(lines[0].id, 2)])
        );
    }

    #[test]
    fn the_request_hash_ignores_line_order() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let basket = |lines| Basket {
            lines,
            agreement_id: None,
            fair_id: None,
            payment_terms: PaymentTerms::PayAfterDelivery,
            purpose: None,
            note: None,
            idempotency_key: "k".repeat(8),
        };
        assert_eq!(
            request_hash(&basket(vec![(a, 1), (b, 2)])),
            request_hash(&basket(vec![(b, 2), (a, 1)]))
        );
        assert_ne!(
            request_hash(&basket(vec![(a, 1)])),
            request_hash(&basket(vec![(a, 2)]))
        );
        // The same basket at a fair is another request.
        let at_fair = Basket {
            fair_id: Some(b),
            ..basket(vec![(a, 1)])
        };
        assert_ne!(request_hash(&at_fair), request_hash(&basket(vec![(a, 1)])));
    }

    fn product(producer: Uuid, listed: bool, min: i32) -> product::Model {
        product::Model {
            id: Uuid::now_v7(),
            producer_org_id: producer,
            name: "红薯".into(),
            category: entity::product::ProductCategory::GrainOil,
            spec: "5kg".into(),
            unit: "箱".into(),
            price_fen: 300,
            min_order_quantity: min,
            stock: 10,
            origin_statement: String::new(),
            images: "[]".into(),
            quality_marks: 0,
            trace_code: None,
            sku: None,
            status: entity::product::ProductStatus::Published,
            region_code: "110101".into(),
            poverty_rank: 0,
            listed,
            price_flag_median_fen: None,
            certified_from: None,
            certified_until: None,
            last_ordered_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn basket_of(lines: Vec<(Uuid, i64)>) -> Basket {
        Basket {
            lines,
            agreement_id: None,
            fair_id: None,
            payment_terms: PaymentTerms::PayAfterDelivery,
            purpose: None,
            note: None,
            idempotency_key: "k".repeat(8),
        }
    }

    fn codes(result: AppResult<()>) -> Vec<(Vec<String>, ErrorCode)> {
        match result {
            Ok(()) => Vec::new(),
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default(), e.code))
                .collect(),
            Err(other) => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn at_line(index: &str) -> Vec<String> {
        vec!["input".to_owned(), "lines".to_owned(), index.to_owned()]
    }

    #[test]
    fn unlisted_unknown_and_too_small_lines_are_refused() {
        let producer = Uuid::now_v7();
        let (ok, unlisted, bulk) = (
            product(producer, true, 1),
            product(producer, false, 1),
            product(producer, true, 5),
        );
        let products: HashMap<_, _> = [&ok, &unlisted, &bulk]
            .into_iter()
            .map(|p| (p.id, p.clone()))
            .collect();
        let basket = basket_of(vec![
            (ok.id, 1),
            (unlisted.id, 1),
            (bulk.id, 4),
            (Uuid::now_v7(), 1),
        ]);
        assert_eq!(
            codes(check_products(&basket, &products).finish()),
            [
                (at_line("1"), ErrorCode::NotFound),
                (at_line("2"), ErrorCode::Invalid),
                (at_line("3"), ErrorCode::NotFound),
            ]
        );
    }

    #[test]
    fn an_agreement_covers_only_its_product() {
        let p = product(Uuid::now_v7(), true, 1);
        let agreement = agreement::Model {
            id: Uuid::now_v7(),
            buyer_org_id: Uuid::now_v7(),
            producer_org_id: p.producer_org_id,
            product_id: p.id,
            price_fen: 250,
            total_quantity: 100,
            ordered_quantity: 0,
            starts_on: Utc::now().date_naive(),
            ends_on: Utc::now().date_naive(),
            rhythm: "每周一".into(),
            status: entity::agreement::AgreementStatus::Active,
            proposed_by: Uuid::now_v7(),
            proposed_at: Utc::now(),
            accepted_by: None,
            accepted_at: None,
            terminate_reason: None,
        };
        let mut problems = Checks::default();
        check_agreement_lines(
            &basket_of(vec![(p.id, 1), (Uuid::now_v7(), 1)]),
            &agreement,
            &mut problems,
        );
        assert_eq!(
            codes(problems.finish()),
            [(at_line("1"), ErrorCode::Invalid)]
        );
    }

    #[test]
    fn totals_and_quantities_never_wrap() {
        assert!(
            basket_quantity(&basket_of(vec![
                (Uuid::now_v7(), i64::MAX),
                (Uuid::now_v7(), 1)
            ]))
            .is_err()
        );
        assert_eq!(
            basket_quantity(&basket_of(vec![(Uuid::now_v7(), 2), (Uuid::now_v7(), 3)])).ok(),
            Some(5)
        );
        let p = product(Uuid::now_v7(), true, 1);
        assert_eq!(
            order_total(&[(0, &p, 2), (1, &p, 3)], |p| p.price_fen).ok(),
            Some(1500)
        );
        assert!(order_total(&[(0, &p, i64::MAX)], |p| p.price_fen).is_err());
    }

    #[test]
    fn a_basket_splits_by_producer_in_basket_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (a1, b1, a2) = (
            product(a, true, 1),
            product(b, true, 1),
            product(a, true, 1),
        );
        let products: HashMap<_, _> = [&a1, &b1, &a2]
            .into_iter()
            .map(|p| (p.id, p.clone()))
            .collect();
        let basket = basket_of(vec![(a1.id, 1), (b1.id, 2), (a2.id, 3)]);
        let grouped = by_producer(&basket, &products);
        let indexes = |org| {
            grouped[&org]
                .iter()
                .map(|(i, _, q)| (*i, *q))
                .collect::<Vec<_>>()
        };
        assert_eq!(indexes(a), [(0, 1), (2, 3)]);
        assert_eq!(indexes(b), [(1, 2)]);
    }

    #[test]
    fn a_step_is_checked_against_the_side_and_a_cancel_needs_a_reason() {
        let placed = order_in(OrderStatus::Placed, None);
        assert!(check_step(&placed, Side::Producer, Step::Confirm).is_ok());
        assert_eq!(
            codes(check_step(&placed, Side::Buyer, Step::Confirm)),
            [(Vec::new(), ErrorCode::InvalidState)]
        );
        assert_eq!(
            step_reason(Step::Cancel, Some("  late  ".into())).ok(),
            Some(Some("late".into()))
        );
        assert!(step_reason(Step::Cancel, Some("   ".into())).is_err());
        assert_eq!(step_reason(Step::Confirm, None).ok(), Some(None));
        assert_eq!(Step::Settle.next(), OrderStatus::Settled);
    }

    #[test]
    fn a_refund_plan_stays_within_what_was_accepted() {
        let order = Uuid::now_v7();
        let mut accepted = line(order, "红薯");
        accepted.accepted_quantity = Some(5);
        accepted.refunded_quantity = 2;
        let mut rejected = line(order, "粉条");
        rejected.accepted_quantity = Some(0);
        let lines = [accepted.clone(), rejected.clone()];
        let all = refund_plan(&lines, &[]).expect("everything refundable");
        assert_eq!(
            all.iter().map(|(l, q)| (l.id, *q)).collect::<Vec<_>>(),
            [(accepted.id, 3)]
        );
        assert!(refund_plan(&lines, &[(accepted.id, 4)]).is_err());
        assert!(refund_plan(&lines, &[(rejected.id, 0)]).is_err());
        let some = refund_plan(&lines, &[(accepted.id, 1)]).expect("a part");
        assert_eq!(some[0].1, 1);
    }
}
