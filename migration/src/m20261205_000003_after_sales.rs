//! After-sales and invoices (issue 17): the buyer asks for a return or a refund of accepted
//! goods; the producer accepts or rejects it with a reason; a rejected request may be escalated
//! once to the county officer, who decides; the outcome is the ledger's negative entry, and
//! returned goods go back into stock when the producer confirms they arrived. The producer's
//! invoices (普通 / 专用) are recorded against what was accepted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn one_of<T: IntoIden + 'static>(column: T, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(ToString::to_string))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReturnRequests::Table)
                    .col(pk_uuid(ReturnRequests::Id))
                    .col(uuid(ReturnRequests::OrderId))
                    .col(
                        string_len(ReturnRequests::Kind, 16)
                            .check(one_of(ReturnRequests::Kind, &["RETURN", "REFUND_ONLY"])),
                    )
                    .col(string_len(ReturnRequests::Status, 16).check(one_of(
                        ReturnRequests::Status,
                        &[
                            "REQUESTED",
                            "ACCEPTED",
                            "REJECTED",
                            "ESCALATED",
                            "UPHELD",
                            "DISMISSED",
                        ],
                    )))
                    .col(text(ReturnRequests::Reason))
                    .col(uuid(ReturnRequests::RequestedBy))
                    .col(timestamp_with_time_zone(ReturnRequests::RequestedAt))
                    .col(text_null(ReturnRequests::AnswerReason))
                    .col(timestamp_with_time_zone_null(ReturnRequests::AnsweredAt))
                    .col(text_null(ReturnRequests::EscalationReason))
                    .col(timestamp_with_time_zone_null(ReturnRequests::EscalatedAt))
                    .col(uuid_null(ReturnRequests::DecidedBy))
                    .col(text_null(ReturnRequests::DecisionReason))
                    .col(timestamp_with_time_zone_null(ReturnRequests::DecidedAt))
                    .col(timestamp_with_time_zone_null(
                        ReturnRequests::GoodsArrivedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnRequests::Table, ReturnRequests::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_return_requests_order")
                    .table(ReturnRequests::Table)
                    .col(ReturnRequests::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReturnRequestLines::Table)
                    .col(uuid(ReturnRequestLines::RequestId))
                    .col(uuid(ReturnRequestLines::OrderLineId))
                    .col(
                        big_integer(ReturnRequestLines::Quantity)
                            .check(Expr::col(ReturnRequestLines::Quantity).gt(0)),
                    )
                    .primary_key(
                        Index::create()
                            .col(ReturnRequestLines::RequestId)
                            .col(ReturnRequestLines::OrderLineId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnRequestLines::Table, ReturnRequestLines::RequestId)
                            .to(ReturnRequests::Table, ReturnRequests::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReturnRequestLines::Table, ReturnRequestLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(pk_uuid(Invoices::Id))
                    .col(uuid(Invoices::OrderId))
                    .col(uuid(Invoices::ProducerOrgId))
                    .col(string_len(Invoices::Number, 32))
                    .col(
                        string_len(Invoices::Kind, 16)
                            .check(one_of(Invoices::Kind, &["ORDINARY", "SPECIAL"])),
                    )
                    .col(
                        big_integer(Invoices::AmountFen)
                            .check(Expr::col(Invoices::AmountFen).gt(0)),
                    )
                    .col(date(Invoices::IssuedOn))
                    .col(uuid(Invoices::IssuedBy))
                    .col(timestamp_with_time_zone(Invoices::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invoices::Table, Invoices::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A producer's invoice number is its own once.
        manager
            .create_index(
                Index::create()
                    .name("ux_invoices_producer_number")
                    .table(Invoices::Table)
                    .col(Invoices::ProducerOrgId)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invoices::Table.into_iden(),
            ReturnRequestLines::Table.into_iden(),
            ReturnRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReturnRequests {
    Table,
    Id,
    OrderId,
    Kind,
    Status,
    Reason,
    RequestedBy,
    RequestedAt,
    AnswerReason,
    AnsweredAt,
    EscalationReason,
    EscalatedAt,
    DecidedBy,
    DecisionReason,
    DecidedAt,
    GoodsArrivedAt,
}

#[derive(DeriveIden)]
enum ReturnRequestLines {
    Table,
    RequestId,
    OrderLineId,
    Quantity,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    OrderId,
    ProducerOrgId,
    Number,
    Kind,
    AmountFen,
    IssuedOn,
    IssuedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
}
