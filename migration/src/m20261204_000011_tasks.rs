//! Tasks allocated down the region tree (任务分解) and red warnings (红色预警) for units and
//! regions behind their pro-rata pace.

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
                    .table(TaskAllocations::Table)
                    .col(pk_uuid(TaskAllocations::Id))
                    .col(integer(TaskAllocations::Year))
                    .col(string_len(TaskAllocations::RegionCode, 12))
                    .col(string_len_null(TaskAllocations::ToRegionCode, 12))
                    .col(uuid_null(TaskAllocations::ToBuyerId))
                    .col(
                        big_integer(TaskAllocations::AmountFen)
                            .check(Expr::col(TaskAllocations::AmountFen).gt(0)),
                    )
                    .col(uuid(TaskAllocations::AllocatedBy))
                    .col(timestamp_with_time_zone(TaskAllocations::AllocatedAt))
                    // Exactly one recipient: a region below or a buyer unit.
                    .check(Expr::cust(
                        "(to_region_code IS NULL) <> (to_buyer_id IS NULL)",
                    ))
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in unique indexes on both engines, so each index keys one kind of
        // recipient: one allocation per (year, region, recipient).
        for (name, recipient) in [
            ("ux_task_allocations_region", TaskAllocations::ToRegionCode),
            ("ux_task_allocations_buyer", TaskAllocations::ToBuyerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(TaskAllocations::Table)
                        .col(TaskAllocations::Year)
                        .col(TaskAllocations::RegionCode)
                        .col(recipient)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_task_allocations_received")
                    .table(TaskAllocations::Table)
                    .col(TaskAllocations::Year)
                    .col(TaskAllocations::ToRegionCode)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RedWarnings::Table)
                    .col(pk_uuid(RedWarnings::Id))
                    .col(
                        string_len(RedWarnings::SubjectKind, 8)
                            .check(one_of(RedWarnings::SubjectKind, &["BUYER", "REGION"])),
                    )
                    .col(string_len(RedWarnings::SubjectKey, 48))
                    .col(uuid_null(RedWarnings::BuyerId))
                    .col(string_len(RedWarnings::RegionCode, 12))
                    .col(integer(RedWarnings::Year))
                    .col(big_integer(RedWarnings::TargetFen))
                    .col(big_integer(RedWarnings::PaceFen))
                    .col(big_integer(RedWarnings::BoughtFen))
                    .col(big_integer(RedWarnings::ShortfallFen))
                    .col(integer(RedWarnings::MarginBp))
                    .col(
                        string_len(RedWarnings::Status, 8)
                            .check(one_of(RedWarnings::Status, &["OPEN", "CLOSED"])),
                    )
                    .col(timestamp_with_time_zone(RedWarnings::OpenedAt))
                    .col(timestamp_with_time_zone(RedWarnings::UpdatedAt))
                    .col(timestamp_with_time_zone_null(RedWarnings::ClosedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_red_warnings_region", RedWarnings::RegionCode),
            ("ix_red_warnings_buyer", RedWarnings::BuyerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(RedWarnings::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // At most one open warning per subject and year (a partial index: same text on both).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_red_warnings_open ON red_warnings (subject_key, year) \
                 WHERE status = 'OPEN'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RedWarnings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TaskAllocations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TaskAllocations {
    Table,
    Id,
    Year,
    RegionCode,
    ToRegionCode,
    ToBuyerId,
    AmountFen,
    AllocatedBy,
    AllocatedAt,
}

#[derive(DeriveIden)]
enum RedWarnings {
    Table,
    Id,
    SubjectKind,
    SubjectKey,
    BuyerId,
    RegionCode,
    Year,
    TargetFen,
    PaceFen,
    BoughtFen,
    ShortfallFen,
    MarginBp,
    Status,
    OpenedAt,
    UpdatedAt,
    ClosedAt,
}
