//! Producers' public track record (issue 18): the tallies behind the average rating, the
//! on-time shipment rate and the dispute rate, kept on the producer's row in the transactions
//! that rate, ship, receive and escalate, so the list can sort by them. Filled from the orders
//! already there (`backfill_reputation`, which the load-data generator runs too).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, Statement, prelude::DateTimeUtc};
use sea_orm_migration::prelude::*;

/// A first shipment is on time when it leaves within this many days of confirmation.
pub const SHIP_WITHIN_DAYS: i64 = 3;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Producers::RatingSum,
            Producers::RatingCount,
            Producers::ShippedOrders,
            Producers::ShippedOnTime,
            Producers::ReceivedOrders,
            Producers::DisputedOrders,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Producers::Table)
                        .add_column(ColumnDef::new(column).big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        backfill_reputation(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Producers::RatingSum,
            Producers::RatingCount,
            Producers::ShippedOrders,
            Producers::ShippedOnTime,
            Producers::ReceivedOrders,
            Producers::DisputedOrders,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Producers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Recomputes every producer's tallies from its orders: ratings, received orders (those with a
/// RECEIVED step), disputed orders (with an after-sales request escalated to an officer), and
/// shipped orders with those whose first shipment left within [`SHIP_WITHIN_DAYS`] of
/// confirmation.
pub async fn backfill_reputation(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    // One pass over the orders (UPDATE … FROM: PostgreSQL, and SQLite since 3.33).
    db.execute_unprepared(
        "UPDATE producers SET rating_sum = a.rating_sum, rating_count = a.rating_count, \
         received_orders = a.received, disputed_orders = a.disputed \
         FROM (SELECT o.producer_org_id AS producer, \
           COALESCE(SUM(o.rating), 0) AS rating_sum, COUNT(o.rating) AS rating_count, \
           SUM(CASE WHEN r.order_id IS NULL THEN 0 ELSE 1 END) AS received, \
           SUM(CASE WHEN d.order_id IS NULL THEN 0 ELSE 1 END) AS disputed \
           FROM orders o \
           LEFT JOIN (SELECT DISTINCT order_id FROM order_events WHERE to_status = 'RECEIVED') r \
             ON r.order_id = o.id \
           LEFT JOIN (SELECT DISTINCT order_id FROM return_requests \
             WHERE escalated_at IS NOT NULL) d ON d.order_id = o.id \
           GROUP BY o.producer_org_id) AS a \
         WHERE producers.organization_id = a.producer",
    )
    .await?;
    // Times compared in Rust: date arithmetic differs between SQLite and PostgreSQL.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT o.producer_org_id AS producer, \
             MIN(CASE WHEN e.to_status = 'CONFIRMED' THEN e.at END) AS confirmed, \
             MIN(CASE WHEN e.to_status = 'SHIPPED' THEN e.at END) AS shipped \
             FROM order_events e JOIN orders o ON o.id = e.order_id \
             WHERE e.to_status IN ('CONFIRMED', 'SHIPPED') \
             GROUP BY e.order_id, o.producer_org_id",
        ))
        .await?;
    let mut tallies: HashMap<sea_orm::prelude::Uuid, (i64, i64)> = HashMap::new();
    for row in rows {
        let producer: sea_orm::prelude::Uuid = row.try_get("", "producer")?;
        let confirmed: Option<DateTimeUtc> = row.try_get("", "confirmed")?;
        let shipped: Option<DateTimeUtc> = row.try_get("", "shipped")?;
        let (Some(confirmed), Some(shipped)) = (confirmed, shipped) else {
            continue;
        };
        let tally = tallies.entry(producer).or_default();
        tally.0 += 1;
        if (shipped - confirmed).num_seconds() <= SHIP_WITHIN_DAYS * 86_400 {
            tally.1 += 1;
        }
    }
    for (producer, (shipped, on_time)) in tallies {
        let update = Query::update()
            .table(Producers::Table)
            .value(Producers::ShippedOrders, shipped)
            .value(Producers::ShippedOnTime, on_time)
            .and_where(Expr::col(Producers::OrganizationId).eq(producer))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Producers {
    Table,
    OrganizationId,
    RatingSum,
    RatingCount,
    ShippedOrders,
    ShippedOnTime,
    ReceivedOrders,
    DisputedOrders,
}
