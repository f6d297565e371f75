//! Overdue-payment warnings (issue 17): the periodic check warns both parties once per due
//! date that passed with money still due; a new due date (an extension) warns again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentWarnings::Table)
                    .col(uuid(PaymentWarnings::OrderId))
                    .col(date(PaymentWarnings::DueOn))
                    .col(big_integer(PaymentWarnings::DueFen))
                    .col(timestamp_with_time_zone(PaymentWarnings::WarnedAt))
                    .primary_key(
                        Index::create()
                            .col(PaymentWarnings::OrderId)
                            .col(PaymentWarnings::DueOn),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentWarnings::Table, PaymentWarnings::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PaymentWarnings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PaymentWarnings {
    Table,
    OrderId,
    DueOn,
    DueFen,
    WarnedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}
