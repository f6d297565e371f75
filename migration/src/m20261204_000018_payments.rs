//! Payments against orders (issue 17): the buyer records each payment (amount, method, bank
//! reference, date), the producer confirms or rejects it; a pay-after-delivery order is due 30
//! days after receipt, once extendable by 15 (DOMAIN.md).

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
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::OrderId))
                    .col(uuid(Payments::BuyerOrgId))
                    .col(
                        big_integer(Payments::AmountFen)
                            .check(Expr::col(Payments::AmountFen).gt(0)),
                    )
                    .col(string_len(Payments::Method, 16).check(one_of(
                        Payments::Method,
                        &["BANK_TRANSFER", "ONLINE", "CHEQUE", "OTHER"],
                    )))
                    .col(string_len(Payments::Reference, 64))
                    .col(date(Payments::PaidOn))
                    .col(string_len(Payments::Status, 12).check(one_of(
                        Payments::Status,
                        &["RECORDED", "CONFIRMED", "REJECTED"],
                    )))
                    .col(uuid(Payments::RecordedBy))
                    .col(timestamp_with_time_zone(Payments::RecordedAt))
                    .col(uuid_null(Payments::DecidedBy))
                    .col(timestamp_with_time_zone_null(Payments::DecidedAt))
                    .col(text_null(Payments::RejectReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payments_order")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .to_owned(),
            )
            .await?;
        // One transfer is claimed once: a buyer's reference is unique among its payments that
        // were not rejected (a rejected one may be recorded again, corrected).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_payments_reference ON payments (buyer_org_id, reference) \
                 WHERE status <> 'REJECTED'",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(date_null(Orders::DueOn))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(boolean(Orders::DueExtended).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_due_on")
                    .table(Orders::Table)
                    .col(Orders::DueOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_orders_due_on")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Orders::DueExtended, Orders::DueOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    BuyerOrgId,
    AmountFen,
    Method,
    Reference,
    PaidOn,
    Status,
    RecordedBy,
    RecordedAt,
    DecidedBy,
    DecidedAt,
    RejectReason,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    DueOn,
    DueExtended,
}
