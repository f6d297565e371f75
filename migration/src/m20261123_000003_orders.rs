//! Orders: one per producer, lines with prices frozen at ordering, every transition recorded,
//! and the idempotency keys that make `placeOrder` safe to retry.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    // The orders one `placeOrder` created share a group.
                    .col(uuid(Orders::GroupId))
                    .col(uuid(Orders::BuyerOrgId))
                    .col(uuid(Orders::ProducerOrgId))
                    .col(uuid_null(Orders::AgreementId))
                    .col(
                        string_len(Orders::Status, 16).check(Expr::col(Orders::Status).is_in([
                            "PLACED",
                            "CONFIRMED",
                            "SHIPPED",
                            "RECEIVED",
                            "SETTLED",
                            "CANCELLED",
                        ])),
                    )
                    .col(string_len(Orders::PaymentTerms, 24).check(
                        Expr::col(Orders::PaymentTerms).is_in(["PAY_FIRST", "PAY_AFTER_DELIVERY"]),
                    ))
                    .col(big_integer(Orders::TotalFen).check(Expr::col(Orders::TotalFen).gte(0)))
                    .col(text_null(Orders::Note))
                    .col(string_len_null(Orders::InvoiceNo, 64))
                    .col(text_null(Orders::CancelReason))
                    .col(
                        integer_null(Orders::Rating).check(Expr::col(Orders::Rating).between(1, 5)),
                    )
                    .col(text_null(Orders::RatingComment))
                    .col(uuid(Orders::PlacedBy))
                    .col(timestamp_with_time_zone(Orders::PlacedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_orders_buyer", Orders::BuyerOrgId),
            ("idx_orders_producer", Orders::ProducerOrgId),
            ("idx_orders_group", Orders::GroupId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Orders::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Agreements::Table)
                    .col(pk_uuid(Agreements::Id))
                    .col(uuid(Agreements::BuyerOrgId))
                    .col(uuid(Agreements::ProducerOrgId))
                    .col(uuid(Agreements::ProductId))
                    .col(
                        big_integer(Agreements::PriceFen)
                            .check(Expr::col(Agreements::PriceFen).gt(0)),
                    )
                    .col(
                        big_integer(Agreements::TotalQuantity)
                            .check(Expr::col(Agreements::TotalQuantity).gt(0)),
                    )
                    // Maintained by conditional updates: orders never exceed the agreed volume.
                    .col(
                        big_integer(Agreements::OrderedQuantity).default(0).check(
                            Expr::col(Agreements::OrderedQuantity)
                                .lte(Expr::col(Agreements::TotalQuantity)),
                        ),
                    )
                    .col(date(Agreements::StartsOn))
                    .col(date(Agreements::EndsOn))
                    .col(string_len(Agreements::Rhythm, 200))
                    .col(string_len(Agreements::Status, 16).check(
                        Expr::col(Agreements::Status).is_in(["PROPOSED", "ACTIVE", "TERMINATED"]),
                    ))
                    .col(uuid(Agreements::ProposedBy))
                    .col(timestamp_with_time_zone(Agreements::ProposedAt))
                    .col(uuid_null(Agreements::AcceptedBy))
                    .col(timestamp_with_time_zone_null(Agreements::AcceptedAt))
                    .col(text_null(Agreements::TerminateReason))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_agreements_buyer", Agreements::BuyerOrgId),
            ("idx_agreements_producer", Agreements::ProducerOrgId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Agreements::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(pk_uuid(OrderLines::Id))
                    .col(uuid(OrderLines::OrderId))
                    .col(integer(OrderLines::Position))
                    .col(uuid(OrderLines::ProductId))
                    .col(string_len(OrderLines::ProductName, 100))
                    .col(string_len(OrderLines::Category, 24))
                    .col(string_len(OrderLines::Spec, 100))
                    .col(string_len(OrderLines::Unit, 16))
                    .col(
                        big_integer(OrderLines::PriceFen)
                            .check(Expr::col(OrderLines::PriceFen).gt(0)),
                    )
                    .col(
                        big_integer(OrderLines::Quantity)
                            .check(Expr::col(OrderLines::Quantity).gt(0)),
                    )
                    .col(big_integer_null(OrderLines::AcceptedQuantity))
                    .col(big_integer(OrderLines::RefundedQuantity).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_lines_order")
                    .table(OrderLines::Table)
                    .col(OrderLines::OrderId)
                    .col(OrderLines::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .col(pk_uuid(OrderEvents::Id))
                    .col(uuid(OrderEvents::OrderId))
                    .col(string_len_null(OrderEvents::FromStatus, 16))
                    .col(string_len(OrderEvents::ToStatus, 16))
                    .col(uuid(OrderEvents::ActorId))
                    .col(text_null(OrderEvents::Note))
                    .col(timestamp_with_time_zone(OrderEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_events_order")
                    .table(OrderEvents::Table)
                    .col(OrderEvents::OrderId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(pk_uuid(IdempotencyKeys::Id))
                    .col(uuid(IdempotencyKeys::OrganizationId))
                    .col(uuid(IdempotencyKeys::UserId))
                    .col(string_len(IdempotencyKeys::Key, 100))
                    // What the first request asked, so a reuse for something else is refused.
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(uuid(IdempotencyKeys::GroupId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_idempotency_keys")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::OrganizationId)
                    .col(IdempotencyKeys::UserId)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Agreements::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            OrderEvents::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    GroupId,
    BuyerOrgId,
    ProducerOrgId,
    AgreementId,
    Status,
    PaymentTerms,
    TotalFen,
    Note,
    InvoiceNo,
    CancelReason,
    Rating,
    RatingComment,
    PlacedBy,
    PlacedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    Position,
    ProductId,
    ProductName,
    Category,
    Spec,
    Unit,
    PriceFen,
    Quantity,
    AcceptedQuantity,
    RefundedQuantity,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    FromStatus,
    ToStatus,
    ActorId,
    Note,
    At,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    OrganizationId,
    UserId,
    Key,
    RequestHash,
    GroupId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Agreements {
    Table,
    Id,
    BuyerOrgId,
    ProducerOrgId,
    ProductId,
    PriceFen,
    TotalQuantity,
    OrderedQuantity,
    StartsOn,
    EndsOn,
    Rhythm,
    Status,
    ProposedBy,
    ProposedAt,
    AcceptedBy,
    AcceptedAt,
    TerminateReason,
}
