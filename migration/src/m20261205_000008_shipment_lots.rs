//! Orders name the lot shipped (issue 18): a shipment line may name the lot its goods come
//! from, so the buyer can trace what arrived; a lot ships at most what it holds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Lots::Table)
                    .add_column(
                        ColumnDef::new(Lots::ShippedQuantity)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a foreign key to an existing table; the rules check the lot.
        manager
            .alter_table(
                Table::alter()
                    .table(ShipmentLines::Table)
                    .add_column(ColumnDef::new(ShipmentLines::LotId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shipment_lines_lot")
                    .table(ShipmentLines::Table)
                    .col(ShipmentLines::LotId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_shipment_lines_lot")
                    .table(ShipmentLines::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ShipmentLines::Table)
                    .drop_column(ShipmentLines::LotId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Lots::Table)
                    .drop_column(Lots::ShippedQuantity)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    ShippedQuantity,
}

#[derive(DeriveIden)]
enum ShipmentLines {
    Table,
    LotId,
}
