//! Needs and quotes (供需对接): buyers post needs, producers quote, accepted quotes fill needs.

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
                    .table(Demands::Table)
                    .col(pk_uuid(Demands::Id))
                    .col(uuid(Demands::BuyerOrgId))
                    .col(string_len(Demands::BuyerRegionCode, 12))
                    .col(string_len(Demands::Category, 24))
                    .col(text(Demands::Spec))
                    .col(big_integer(Demands::Quantity).check(Expr::col(Demands::Quantity).gt(0)))
                    .col(string_len(Demands::Unit, 20))
                    .col(
                        string_len(Demands::Rhythm, 16)
                            .check(one_of(Demands::Rhythm, &["ONCE", "WEEKLY", "MONTHLY"])),
                    )
                    .col(string_len(Demands::RegionCode, 12))
                    .col(date(Demands::StartsOn))
                    .col(date(Demands::EndsOn))
                    .col(big_integer_null(Demands::PriceCeilingFen))
                    .col(boolean(Demands::CertifiedOnly))
                    .col(
                        string_len(Demands::Status, 16)
                            .check(one_of(Demands::Status, &["OPEN", "FILLED", "CLOSED"])),
                    )
                    .col(
                        big_integer(Demands::AcceptedQuantity)
                            .default(0)
                            .check(Expr::col(Demands::AcceptedQuantity).gte(0)),
                    )
                    .col(uuid(Demands::PostedBy))
                    .col(timestamp_with_time_zone(Demands::PostedAt))
                    .col(timestamp_with_time_zone_null(Demands::ClosedAt))
                    .check(Expr::col(Demands::StartsOn).lte(Expr::col(Demands::EndsOn)))
                    .to_owned(),
            )
            .await?;
        // Producers list open needs newest first; a buyer lists its own.
        for (name, columns) in [
            ("ix_demands_status", vec![Demands::Status, Demands::Id]),
            ("ix_demands_buyer", vec![Demands::BuyerOrgId, Demands::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Demands::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Quotes::Table)
                    .col(pk_uuid(Quotes::Id))
                    .col(uuid(Quotes::DemandId))
                    .col(uuid(Quotes::ProducerOrgId))
                    .col(uuid(Quotes::ProductId))
                    .col(big_integer(Quotes::PriceFen).check(Expr::col(Quotes::PriceFen).gt(0)))
                    .col(big_integer(Quotes::Quantity).check(Expr::col(Quotes::Quantity).gt(0)))
                    .col(date(Quotes::DeliveryFrom))
                    .col(date(Quotes::DeliveryTo))
                    .col(text_null(Quotes::Note))
                    .col(
                        string_len(Quotes::Status, 16)
                            .check(one_of(Quotes::Status, &["PENDING", "ACCEPTED", "DECLINED"])),
                    )
                    .col(string_len_null(Quotes::AcceptedAs, 16))
                    .col(uuid_null(Quotes::AgreementId))
                    .col(uuid_null(Quotes::OrderId))
                    .col(text_null(Quotes::DeclineReason))
                    .col(uuid(Quotes::QuotedBy))
                    .col(timestamp_with_time_zone(Quotes::QuotedAt))
                    .col(uuid_null(Quotes::DecidedBy))
                    .col(timestamp_with_time_zone_null(Quotes::DecidedAt))
                    .check(Expr::col(Quotes::DeliveryFrom).lte(Expr::col(Quotes::DeliveryTo)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quotes_demand")
                            .from(Quotes::Table, Quotes::DemandId)
                            .to(Demands::Table, Demands::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_quotes_demand", vec![Quotes::DemandId, Quotes::Id]),
            (
                "ix_quotes_producer",
                vec![Quotes::ProducerOrgId, Quotes::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Quotes::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Quotes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Demands::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Demands {
    Table,
    Id,
    BuyerOrgId,
    BuyerRegionCode,
    Category,
    Spec,
    Quantity,
    Unit,
    Rhythm,
    RegionCode,
    StartsOn,
    EndsOn,
    PriceCeilingFen,
    CertifiedOnly,
    Status,
    AcceptedQuantity,
    PostedBy,
    PostedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Quotes {
    Table,
    Id,
    DemandId,
    ProducerOrgId,
    ProductId,
    PriceFen,
    Quantity,
    DeliveryFrom,
    DeliveryTo,
    Note,
    Status,
    AcceptedAs,
    AgreementId,
    OrderId,
    DeclineReason,
    QuotedBy,
    QuotedAt,
    DecidedBy,
    DecidedAt,
}
