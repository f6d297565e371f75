//! Shipments (issue 17): an order ships in one or more parts, each with its carrier, waybill,
//! expected arrival and quantities per line, and is received and inspected (验货) part by part.
//! Orders already shipped get one shipment covering every line (received ones marked received,
//! with what was accepted), so their history reads the same way as new orders'.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statuses of orders that have shipped.
const SHIPPED: &str = "('SHIPPED', 'RECEIVED', 'SETTLED')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shipments::Table)
                    .col(pk_uuid(Shipments::Id))
                    .col(uuid(Shipments::OrderId))
                    .col(integer(Shipments::Number).check(Expr::col(Shipments::Number).gt(0)))
                    .col(string_len_null(Shipments::Carrier, 40))
                    .col(string_len_null(Shipments::WaybillNo, 40))
                    .col(date_null(Shipments::ExpectedArrival))
                    .col(uuid(Shipments::ShippedBy))
                    .col(timestamp_with_time_zone(Shipments::ShippedAt))
                    .col(uuid_null(Shipments::ReceivedBy))
                    .col(timestamp_with_time_zone_null(Shipments::ReceivedAt))
                    .col(text_null(Shipments::InspectionReport))
                    .col(uuid_null(Shipments::RejectedReturnedBy))
                    .col(timestamp_with_time_zone_null(Shipments::RejectedReturnedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shipments::Table, Shipments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_shipments_order_number")
                    .table(Shipments::Table)
                    .col(Shipments::OrderId)
                    .col(Shipments::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShipmentLines::Table)
                    .col(pk_uuid(ShipmentLines::Id))
                    .col(uuid(ShipmentLines::ShipmentId))
                    .col(uuid(ShipmentLines::OrderLineId))
                    .col(
                        big_integer(ShipmentLines::Quantity)
                            .check(Expr::col(ShipmentLines::Quantity).gt(0)),
                    )
                    .col(big_integer_null(ShipmentLines::AcceptedQuantity))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShipmentLines::Table, ShipmentLines::ShipmentId)
                            .to(Shipments::Table, Shipments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShipmentLines::Table, ShipmentLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_shipment_lines_line")
                    .table(ShipmentLines::Table)
                    .col(ShipmentLines::ShipmentId)
                    .col(ShipmentLines::OrderLineId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .add_column(big_integer(OrderLines::ShippedQuantity).default(0))
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .drop_column(OrderLines::ShippedQuantity)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ShipmentLines::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Shipments::Table).to_owned())
            .await
    }
}

/// One shipment per shipped order, keyed by the order's ID (its lines by their order lines'
/// IDs: one each), dated by the order's history; received ones carry what was accepted.
/// Plain SQL that SQLite and PostgreSQL read alike.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let at = |status: &str| {
        format!(
            "(SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id AND e.to_status = '{status}')"
        )
    };
    let by = |status: &str| {
        format!(
            "(SELECT e.actor_id FROM order_events e WHERE e.order_id = o.id \
             AND e.to_status = '{status}' ORDER BY e.at DESC LIMIT 1)"
        )
    };
    let received = "o.status IN ('RECEIVED', 'SETTLED')";
    db.execute_unprepared(&format!(
        "INSERT INTO shipments (id, order_id, number, shipped_by, shipped_at, received_by, \
         received_at) \
         SELECT o.id, o.id, 1, COALESCE({shipped_by}, o.placed_by), \
         COALESCE({shipped_at}, o.updated_at), \
         CASE WHEN {received} THEN COALESCE({received_by}, o.placed_by) END, \
         CASE WHEN {received} THEN COALESCE({received_at}, o.updated_at) END \
         FROM orders o WHERE o.status IN {SHIPPED}",
        shipped_by = by("SHIPPED"),
        shipped_at = at("SHIPPED"),
        received_by = by("RECEIVED"),
        received_at = at("RECEIVED"),
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO shipment_lines (id, shipment_id, order_line_id, quantity, accepted_quantity) \
         SELECT l.id, l.order_id, l.id, l.quantity, \
         CASE WHEN {received} THEN COALESCE(l.accepted_quantity, 0) END \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.status IN {SHIPPED} AND l.quantity > 0"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "UPDATE order_lines SET shipped_quantity = quantity \
         WHERE order_id IN (SELECT id FROM orders WHERE status IN {SHIPPED})"
    ))
    .await?;
    Ok(())
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    OrderId,
    Number,
    Carrier,
    WaybillNo,
    ExpectedArrival,
    ShippedBy,
    ShippedAt,
    ReceivedBy,
    ReceivedAt,
    InspectionReport,
    RejectedReturnedBy,
    RejectedReturnedAt,
}

#[derive(DeriveIden)]
enum ShipmentLines {
    Table,
    Id,
    ShipmentId,
    OrderLineId,
    Quantity,
    AcceptedQuantity,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    ShippedQuantity,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}
