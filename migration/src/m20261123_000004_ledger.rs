//! The consumption-assistance ledger (消费扶贫台账): one entry per accepted order line, never
//! updated or deleted (triggers refuse it), each carrying the hash of its content and of the
//! entry before it. `ledger_head` holds the chain's tip; appending locks it, so entries get
//! consecutive sequence numbers even from concurrent receipts.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerHead::Table)
                    .col(integer(LedgerHead::Id).primary_key())
                    .col(big_integer(LedgerHead::Seq))
                    .col(string_len(LedgerHead::LastHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(LedgerHead::Table)
                    .columns([LedgerHead::Id, LedgerHead::Seq, LedgerHead::LastHash])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(pk_uuid(LedgerEntries::Id))
                    .col(big_integer_uniq(LedgerEntries::Seq))
                    .col(
                        string_len(LedgerEntries::Kind, 8)
                            .check(Expr::col(LedgerEntries::Kind).is_in(["SALE", "REFUND"])),
                    )
                    .col(uuid_null(LedgerEntries::RefundOf))
                    .col(uuid(LedgerEntries::OrderId))
                    .col(uuid(LedgerEntries::OrderLineId))
                    .col(uuid(LedgerEntries::BuyerOrgId))
                    .col(string_len(LedgerEntries::BuyerKind, 24))
                    .col(uuid(LedgerEntries::ProducerOrgId))
                    .col(uuid(LedgerEntries::ProductId))
                    .col(string_len(LedgerEntries::ProductName, 100))
                    .col(string_len(LedgerEntries::Category, 24))
                    .col(big_integer(LedgerEntries::Quantity))
                    .col(big_integer(LedgerEntries::AmountFen))
                    .col(string_len(LedgerEntries::RegionCode, 12))
                    .col(string_len(LedgerEntries::ProvinceCode, 2))
                    .col(string_len(LedgerEntries::CityCode, 4))
                    .col(string_len(LedgerEntries::CountyCode, 6))
                    .col(string_len_null(LedgerEntries::TownshipCode, 9))
                    .col(string_len_null(LedgerEntries::VillageCode, 12))
                    .col(string_len(LedgerEntries::ProvinceStatus, 16))
                    .col(string_len(LedgerEntries::CityStatus, 16))
                    .col(string_len(LedgerEntries::CountyStatus, 16))
                    .col(string_len_null(LedgerEntries::TownshipStatus, 16))
                    .col(string_len_null(LedgerEntries::VillageStatus, 16))
                    .col(boolean(LedgerEntries::Certified))
                    .col(integer(LedgerEntries::PoorHouseholdsLinked))
                    .col(boolean(LedgerEntries::Paired))
                    .col(integer(LedgerEntries::ReportingYear))
                    .col(date(LedgerEntries::OccurredOn))
                    .col(timestamp_with_time_zone(LedgerEntries::RecordedAt))
                    .col(string_len(LedgerEntries::PrevHash, 64))
                    .col(string_len(LedgerEntries::Hash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_ledger_county", LedgerEntries::CountyCode),
            ("idx_ledger_region", LedgerEntries::RegionCode),
            ("idx_ledger_buyer", LedgerEntries::BuyerOrgId),
            ("idx_ledger_occurred", LedgerEntries::OccurredOn),
            ("idx_ledger_order_line", LedgerEntries::OrderLineId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LedgerEntries::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        // Monthly rollups, maintained in the receipt's transaction: summaries read these, not
        // the entries.
        manager
            .create_table(
                Table::create()
                    .table(LedgerTallies::Table)
                    .col(pk_uuid(LedgerTallies::Id))
                    .col(string_len(LedgerTallies::Month, 7))
                    .col(string_len(LedgerTallies::RegionCode, 12))
                    .col(uuid(LedgerTallies::BuyerOrgId))
                    .col(string_len(LedgerTallies::BuyerKind, 24))
                    .col(uuid(LedgerTallies::ProducerOrgId))
                    .col(string_len(LedgerTallies::Category, 24))
                    .col(boolean(LedgerTallies::Certified))
                    .col(boolean(LedgerTallies::Paired))
                    .col(big_integer(LedgerTallies::AmountFen))
                    .col(big_integer(LedgerTallies::Quantity))
                    .col(big_integer(LedgerTallies::Entries))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ledger_tallies_grain")
                    .table(LedgerTallies::Table)
                    .col(LedgerTallies::Month)
                    .col(LedgerTallies::RegionCode)
                    .col(LedgerTallies::BuyerOrgId)
                    .col(LedgerTallies::BuyerKind)
                    .col(LedgerTallies::ProducerOrgId)
                    .col(LedgerTallies::Category)
                    .col(LedgerTallies::Certified)
                    .col(LedgerTallies::Paired)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_tallies_buyer_month")
                    .table(LedgerTallies::Table)
                    .col(LedgerTallies::BuyerOrgId)
                    .col(LedgerTallies::Month)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
                     BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
                     FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
                )
                .await?;
            }
            _ => {
                for event in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER ledger_entries_no_{event} BEFORE {event} ON ledger_entries
                         BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LedgerEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LedgerHead::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LedgerHead {
    Table,
    Id,
    Seq,
    LastHash,
}

#[derive(DeriveIden, Clone, Copy)]
enum LedgerEntries {
    Table,
    Id,
    Seq,
    Kind,
    RefundOf,
    OrderId,
    OrderLineId,
    BuyerOrgId,
    BuyerKind,
    ProducerOrgId,
    ProductId,
    ProductName,
    Category,
    Quantity,
    AmountFen,
    RegionCode,
    ProvinceCode,
    CityCode,
    CountyCode,
    TownshipCode,
    VillageCode,
    ProvinceStatus,
    CityStatus,
    CountyStatus,
    TownshipStatus,
    VillageStatus,
    Certified,
    PoorHouseholdsLinked,
    Paired,
    ReportingYear,
    OccurredOn,
    RecordedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum LedgerTallies {
    Table,
    Id,
    Month,
    RegionCode,
    BuyerOrgId,
    BuyerKind,
    ProducerOrgId,
    Category,
    Certified,
    Paired,
    AmountFen,
    Quantity,
    Entries,
}
