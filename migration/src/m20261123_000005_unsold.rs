//! Unsold-produce warnings (滞销预警), purchase drives (集中采购) and the claims that make a
//! periodic job run once per period however many instances run it. Products remember when they
//! were last ordered, and order lines the drive they were bought in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.clone()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(timestamp_with_time_zone_null(Products::LastOrderedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnsoldAlerts::Table)
                    .col(pk_uuid(UnsoldAlerts::Id))
                    .col(uuid(UnsoldAlerts::ProductId))
                    .col(uuid(UnsoldAlerts::ProducerOrgId))
                    .col(string_len(UnsoldAlerts::RegionCode, 12))
                    .col(
                        string_len(UnsoldAlerts::Kind, 16)
                            .check(Expr::col(UnsoldAlerts::Kind).is_in(["NO_SALES", "REPORTED"])),
                    )
                    .col(string_len(UnsoldAlerts::Status, 16).check(
                        Expr::col(UnsoldAlerts::Status).is_in(["OPEN", "RESOLVED", "EXPIRED"]),
                    ))
                    .col(big_integer(UnsoldAlerts::Stock))
                    .col(
                        big_integer_null(UnsoldAlerts::ReportedQuantity)
                            .check(Expr::col(UnsoldAlerts::ReportedQuantity).gt(0)),
                    )
                    .col(date_null(UnsoldAlerts::Until))
                    .col(text_null(UnsoldAlerts::Note))
                    .col(timestamp_with_time_zone_null(UnsoldAlerts::LastOrderedAt))
                    .col(uuid_null(UnsoldAlerts::ReportedBy))
                    .col(timestamp_with_time_zone(UnsoldAlerts::CreatedAt))
                    .col(timestamp_with_time_zone_null(UnsoldAlerts::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnsoldAlerts::Table, UnsoldAlerts::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_unsold_alerts_status_region",
            UnsoldAlerts::Table,
            vec![
                UnsoldAlerts::Status.into_iden(),
                UnsoldAlerts::RegionCode.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "idx_unsold_alerts_product",
            UnsoldAlerts::Table,
            vec![UnsoldAlerts::ProductId.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PurchaseDrives::Table)
                    .col(pk_uuid(PurchaseDrives::Id))
                    .col(string_len(PurchaseDrives::Name, 100))
                    .col(string_len(PurchaseDrives::RegionCode, 12))
                    .col(date(PurchaseDrives::StartsOn))
                    .col(date(PurchaseDrives::EndsOn).check(
                        Expr::col(PurchaseDrives::EndsOn).gte(Expr::col(PurchaseDrives::StartsOn)),
                    ))
                    .col(text_null(PurchaseDrives::Note))
                    .col(uuid(PurchaseDrives::CreatedBy))
                    .col(timestamp_with_time_zone(PurchaseDrives::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_purchase_drives_region",
            PurchaseDrives::Table,
            vec![PurchaseDrives::RegionCode.into_iden()],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PurchaseDriveProducts::Table)
                    .col(uuid(PurchaseDriveProducts::DriveId))
                    .col(uuid(PurchaseDriveProducts::ProductId))
                    .col(uuid_null(PurchaseDriveProducts::AlertId))
                    .primary_key(
                        Index::create()
                            .col(PurchaseDriveProducts::DriveId)
                            .col(PurchaseDriveProducts::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PurchaseDriveProducts::Table, PurchaseDriveProducts::DriveId)
                            .to(PurchaseDrives::Table, PurchaseDrives::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PurchaseDriveProducts::Table,
                                PurchaseDriveProducts::ProductId,
                            )
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_purchase_drive_products_product",
            PurchaseDriveProducts::Table,
            vec![PurchaseDriveProducts::ProductId.into_iden()],
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .add_column(uuid_null(OrderLines::PurchaseDriveId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_order_lines_drive",
            OrderLines::Table,
            vec![OrderLines::PurchaseDriveId.into_iden()],
        )
        .await?;

        // One row per job and period: the instance whose insert wins runs the job.
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(string_len(JobRuns::Job, 40))
                    .col(string_len(JobRuns::Period, 40))
                    .col(timestamp_with_time_zone(JobRuns::StartedAt))
                    .col(integer(JobRuns::Affected).default(0))
                    .primary_key(Index::create().col(JobRuns::Job).col(JobRuns::Period))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobRuns::Table.into_iden(),
            PurchaseDriveProducts::Table.into_iden(),
            PurchaseDrives::Table.into_iden(),
            UnsoldAlerts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_order_lines_drive")
                    .table(OrderLines::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .drop_column(OrderLines::PurchaseDriveId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::LastOrderedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    LastOrderedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    PurchaseDriveId,
}

#[derive(DeriveIden)]
enum UnsoldAlerts {
    Table,
    Id,
    ProductId,
    ProducerOrgId,
    RegionCode,
    Kind,
    Status,
    Stock,
    ReportedQuantity,
    Until,
    Note,
    LastOrderedAt,
    ReportedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum PurchaseDrives {
    Table,
    Id,
    Name,
    RegionCode,
    StartsOn,
    EndsOn,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PurchaseDriveProducts {
    Table,
    DriveId,
    ProductId,
    AlertId,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Job,
    Period,
    StartedAt,
    Affected,
}
