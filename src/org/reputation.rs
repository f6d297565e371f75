//! A producer's public track record (issue 18): the average of buyers' ratings (`rateOrder`),
//! the share of shipped orders whose first shipment left within three days of confirmation, and
//! the share of received orders with an after-sales request escalated to an officer. The tallies
//! live on the producer's row and move in the transactions that rate, ship, receive and
//! escalate, so the registry sorts by them with one expression; the migration (and the load-data
//! generator) fill them from the orders already there.

use chrono::{DateTime, Utc};
use entity::{
    order::{self, OrderStatus},
    order_event, producer, return_request,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    pagination::{CursorKind, CursorValue, SortKey},
};

/// A first shipment is on time when it leaves within this many days of confirmation.
pub const SHIP_WITHIN_DAYS: i64 = migration::SHIP_WITHIN_DAYS;
/// Rates are sorted in basis points (1/10,000), integers on every database.
const BASIS: i64 = 10_000;

/// The track record as shown: averages and rates are `None` until there is something to count.
#[derive(Clone, Debug, PartialEq)]
pub struct Reputation {
    pub rating_average: Option<f64>,
    pub rating_count: i64,
    pub on_time_rate: Option<f64>,
    pub shipped_orders: i64,
    pub dispute_rate: Option<f64>,
    pub received_orders: i64,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    // Counts stay far below 2^52: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl From<&producer::Model> for Reputation {
    fn from(p: &producer::Model) -> Self {
        Self {
            rating_average: ratio(p.rating_sum, p.rating_count),
            rating_count: p.rating_count,
            on_time_rate: ratio(p.shipped_on_time, p.shipped_orders),
            shipped_orders: p.shipped_orders,
            dispute_rate: ratio(p.disputed_orders, p.received_orders),
            received_orders: p.received_orders,
        }
    }
}

/// How the registry may be sorted by track record.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(name = "ProducerSort")]
pub enum ProducerOrder {
    /// By ID: stable, the default.
    #[default]
    Id,
    /// Highest average rating first; unrated producers last.
    Rating,
    /// Highest on-time shipment rate first; producers that have shipped nothing last.
    OnTime,
    /// Lowest dispute rate first; producers with nothing received last.
    FewestDisputes,
}

/// `part / whole` in basis points, or `empty` when `whole` is zero: the same integer in SQL
/// (`sort_expr`) and in Rust (`sort_value`), so cursors compare exactly.
fn basis_points(part: i64, whole: i64, empty: i64) -> i64 {
    if whole > 0 {
        part * BASIS / whole
    } else {
        empty
    }
}

fn basis_points_expr(part: producer::Column, whole: producer::Column, empty: i64) -> SimpleExpr {
    Expr::case(Expr::col(whole).eq(0), Expr::val(empty))
        .finally(Expr::col(part).mul(BASIS).div(Expr::col(whole)))
        .into()
}

/// The columns of a rate, and where an empty record sorts.
fn parts(order: ProducerOrder) -> Option<(producer::Column, producer::Column, i64, bool)> {
    use producer::Column as C;
    match order {
        ProducerOrder::Id => None,
        ProducerOrder::Rating => Some((C::RatingSum, C::RatingCount, -1, true)),
        ProducerOrder::OnTime => Some((C::ShippedOnTime, C::ShippedOrders, -1, true)),
        ProducerOrder::FewestDisputes => {
            Some((C::DisputedOrders, C::ReceivedOrders, BASIS + 1, false))
        }
    }
}

/// The sort keys of `order`, ties broken by ID.
pub fn sort_keys(order: ProducerOrder) -> Vec<SortKey> {
    let mut keys = Vec::with_capacity(2);
    if let Some((part, whole, empty, descending)) = parts(order) {
        // Ratings run 1–5: their sum per count is the average in hundredths of a basis point.
        keys.push(SortKey::expr(
            basis_points_expr(part, whole, empty),
            CursorKind::Int,
            descending,
        ));
    }
    keys.push(SortKey::asc(producer::Column::OrganizationId));
    keys
}

/// A producer's cursor under `order`.
pub fn sort_values(order: ProducerOrder, p: &producer::Model) -> Vec<CursorValue> {
    let mut values = Vec::with_capacity(2);
    if let Some((part, whole, empty, _)) = parts(order) {
        let value = |c: producer::Column| match c {
            producer::Column::RatingSum => p.rating_sum,
            producer::Column::RatingCount => p.rating_count,
            producer::Column::ShippedOnTime => p.shipped_on_time,
            producer::Column::ShippedOrders => p.shipped_orders,
            producer::Column::DisputedOrders => p.disputed_orders,
            _ => p.received_orders,
        };
        values.push(CursorValue::Int(basis_points(
            value(part),
            value(whole),
            empty,
        )));
    }
    values.push(CursorValue::Uuid(p.organization_id));
    values
}

/// Adds to a producer's tallies (in the caller's transaction).
async fn add(
    conn: &impl ConnectionTrait,
    producer: Uuid,
    changes: &[(producer::Column, i64)],
) -> AppResult<()> {
    let mut update = producer::Entity::update_many();
    for (column, by) in changes {
        update = update.col_expr(*column, Expr::col(*column).add(*by));
    }
    update
        .filter(producer::Column::OrganizationId.eq(producer))
        .exec(conn)
        .await?;
    Ok(())
}

/// The buyer rated an order of the producer.
pub async fn rated(conn: &impl ConnectionTrait, producer: Uuid, rating: i32) -> AppResult<()> {
    add(
        conn,
        producer,
        &[
            (producer::Column::RatingSum, i64::from(rating)),
            (producer::Column::RatingCount, 1),
        ],
    )
    .await
}

/// Whether a first shipment at `shipped` after confirmation at `confirmed` is on time.
pub fn on_time(confirmed: DateTime<Utc>, shipped: DateTime<Utc>) -> bool {
    (shipped - confirmed).num_seconds() <= SHIP_WITHIN_DAYS * 86_400
}

/// The order's first shipment left at `now`: counted shipped, and on time or not by its
/// confirmation.
pub async fn first_shipment(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let confirmed = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order.id))
        .filter(order_event::Column::ToStatus.eq(OrderStatus::Confirmed))
        .order_by_asc(order_event::Column::At)
        .one(conn)
        .await?
        .map_or(order.placed_at, |e| e.at);
    let in_time = i64::from(on_time(confirmed, now));
    add(
        conn,
        order.producer_org_id,
        &[
            (producer::Column::ShippedOrders, 1),
            (producer::Column::ShippedOnTime, in_time),
        ],
    )
    .await
}

/// An order of the producer was received in full.
pub async fn received(conn: &impl ConnectionTrait, producer: Uuid) -> AppResult<()> {
    add(conn, producer, &[(producer::Column::ReceivedOrders, 1)]).await
}

/// A request on the order was escalated (the order's row is locked by the caller): the order
/// counts as disputed the first time.
pub async fn escalated(conn: &impl ConnectionTrait, order: &order::Model) -> AppResult<()> {
    let escalations = return_request::Entity::find()
        .filter(return_request::Column::OrderId.eq(order.id))
        .filter(return_request::Column::EscalatedAt.is_not_null())
        .count(conn)
        .await?;
    if escalations == 1 {
        add(
            conn,
            order.producer_org_id,
            &[(producer::Column::DisputedOrders, 1)],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_whole_basis_points_and_empty_records_sort_last() {
        assert_eq!(basis_points(8, 2, -1), 40_000, "an average of 4.0");
        assert_eq!(basis_points(2, 3, -1), 6_666);
        assert_eq!(basis_points(0, 0, -1), -1);
        assert_eq!(basis_points(0, 0, BASIS + 1), 10_001);
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(ratio(1, 0), None);
    }

    #[test]
    fn a_first_shipment_is_on_time_within_three_days() {
        let confirmed = Utc::now();
        assert!(on_time(confirmed, confirmed + chrono::Duration::days(3)));
        assert!(!on_time(
            confirmed,
            confirmed + chrono::Duration::days(3) + chrono::Duration::seconds(1)
        ));
    }
}
