//! County rollups of the ledger: one row per month, county, buyer kind, certified and paired.
//! A year's summary by county or by buyer kind reads a few thousand of these instead of
//! hundreds of thousands of fine-grained tallies. Backfilled from `ledger_tallies`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerCountyTallies::Table)
                    .col(string_len(LedgerCountyTallies::Month, 7))
                    .col(string_len(LedgerCountyTallies::CountyCode, 6))
                    .col(string_len(LedgerCountyTallies::BuyerKind, 24))
                    .col(boolean(LedgerCountyTallies::Certified))
                    .col(boolean(LedgerCountyTallies::Paired))
                    .col(big_integer(LedgerCountyTallies::AmountFen))
                    .col(big_integer(LedgerCountyTallies::Quantity))
                    .col(big_integer(LedgerCountyTallies::Entries))
                    .primary_key(
                        Index::create()
                            .col(LedgerCountyTallies::Month)
                            .col(LedgerCountyTallies::CountyCode)
                            .col(LedgerCountyTallies::BuyerKind)
                            .col(LedgerCountyTallies::Certified)
                            .col(LedgerCountyTallies::Paired),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO ledger_county_tallies (month, county_code, buyer_kind, certified, paired,
                     amount_fen, quantity, entries)
                 SELECT month, SUBSTR(region_code, 1, 6), buyer_kind, certified, paired,
                     SUM(amount_fen), SUM(quantity), SUM(entries)
                 FROM ledger_tallies GROUP BY 1, 2, 3, 4, 5",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LedgerCountyTallies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LedgerCountyTallies {
    Table,
    Month,
    CountyCode,
    BuyerKind,
    Certified,
    Paired,
    AmountFen,
    Quantity,
    Entries,
}
