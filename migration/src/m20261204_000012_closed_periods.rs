//! Closed reporting periods (关账): a region's report for a month, half-year or year, frozen with
//! the ledger tip it was computed at, its totals by dimension and its buyers' ranking, and signed
//! by the officer who closed it. `ledger_entries.occurred_on` is already indexed
//! (`idx_ledger_occurred`), which the period's GROUP BY statements range over.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClosedPeriods::Table)
                    .col(pk_uuid(ClosedPeriods::Id))
                    .col(string_len(ClosedPeriods::RegionCode, 12))
                    .col(string_len(ClosedPeriods::Period, 8))
                    .col(string_len(ClosedPeriods::Kind, 16).check(
                        Expr::col(ClosedPeriods::Kind).is_in(["MONTH", "HALF_YEAR", "YEAR"]),
                    ))
                    .col(date(ClosedPeriods::FirstDay))
                    .col(date(ClosedPeriods::LastDay))
                    .col(big_integer(ClosedPeriods::TipSeq))
                    .col(string_len(ClosedPeriods::TipHash, 64))
                    .col(big_integer(ClosedPeriods::AmountFen))
                    .col(big_integer(ClosedPeriods::Quantity))
                    .col(big_integer(ClosedPeriods::Entries))
                    .col(uuid(ClosedPeriods::ClosedBy))
                    .col(timestamp_with_time_zone(ClosedPeriods::ClosedAt))
                    .col(string_len(ClosedPeriods::Signature, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_closed_periods_region_period")
                    .table(ClosedPeriods::Table)
                    .col(ClosedPeriods::RegionCode)
                    .col(ClosedPeriods::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClosedPeriodTotals::Table)
                    .col(pk_uuid(ClosedPeriodTotals::Id))
                    .col(uuid(ClosedPeriodTotals::ClosedPeriodId))
                    .col(string_len(ClosedPeriodTotals::Dimension, 24))
                    .col(string_len(ClosedPeriodTotals::Key, 64))
                    .col(big_integer(ClosedPeriodTotals::AmountFen))
                    .col(big_integer(ClosedPeriodTotals::Quantity))
                    .col(big_integer(ClosedPeriodTotals::Entries))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ClosedPeriodTotals::Table,
                                ClosedPeriodTotals::ClosedPeriodId,
                            )
                            .to(ClosedPeriods::Table, ClosedPeriods::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_closed_period_totals_period")
                    .table(ClosedPeriodTotals::Table)
                    .col(ClosedPeriodTotals::ClosedPeriodId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClosedPeriodRanks::Table)
                    .col(pk_uuid(ClosedPeriodRanks::Id))
                    .col(uuid(ClosedPeriodRanks::ClosedPeriodId))
                    .col(uuid(ClosedPeriodRanks::BuyerOrgId))
                    .col(text(ClosedPeriodRanks::UnitName))
                    .col(integer_null(ClosedPeriodRanks::ReservedShareBp))
                    .col(big_integer(ClosedPeriodRanks::TargetFen))
                    .col(big_integer(ClosedPeriodRanks::PurchasedFen))
                    .col(big_integer(ClosedPeriodRanks::DoneBp))
                    .col(integer(ClosedPeriodRanks::Rank))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClosedPeriodRanks::Table, ClosedPeriodRanks::ClosedPeriodId)
                            .to(ClosedPeriods::Table, ClosedPeriods::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_closed_period_ranks_period")
                    .table(ClosedPeriodRanks::Table)
                    .col(ClosedPeriodRanks::ClosedPeriodId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ClosedPeriodRanks::Table.into_iden(),
            ClosedPeriodTotals::Table.into_iden(),
            ClosedPeriods::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ClosedPeriods {
    Table,
    Id,
    RegionCode,
    Period,
    Kind,
    FirstDay,
    LastDay,
    TipSeq,
    TipHash,
    AmountFen,
    Quantity,
    Entries,
    ClosedBy,
    ClosedAt,
    Signature,
}

#[derive(DeriveIden)]
enum ClosedPeriodTotals {
    Table,
    Id,
    ClosedPeriodId,
    Dimension,
    Key,
    AmountFen,
    Quantity,
    Entries,
}

#[derive(DeriveIden)]
enum ClosedPeriodRanks {
    Table,
    Id,
    ClosedPeriodId,
    BuyerOrgId,
    UnitName,
    ReservedShareBp,
    TargetFen,
    PurchasedFen,
    DoneBp,
    Rank,
}
