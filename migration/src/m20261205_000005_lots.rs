//! Lots and trace codes (issue 18): a producer records each lot of a product (production or
//! harvest date, quantity, origin village, inspection); each lot gets a trace code anyone can
//! look up (`traceCode`) and print as a QR code.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Lots::Table)
                    .col(pk_uuid(Lots::Id))
                    .col(string_len_uniq(Lots::TraceCode, 32))
                    .col(uuid(Lots::ProductId))
                    .col(uuid(Lots::ProducerOrgId))
                    .col(date(Lots::ProducedOn))
                    .col(big_integer(Lots::Quantity).check(Expr::col(Lots::Quantity).gt(0)))
                    .col(string_len(Lots::OriginVillageCode, 12))
                    .col(string_len(Lots::InspectionResult, 16).check(
                        Expr::col(Lots::InspectionResult).is_in([
                            "QUALIFIED",
                            "UNQUALIFIED",
                            "NOT_INSPECTED",
                        ]),
                    ))
                    .col(date_null(Lots::InspectedOn))
                    .col(string_len_null(Lots::InspectionBody, 100))
                    .col(string_len_null(Lots::InspectionReportNo, 64))
                    .col(uuid(Lots::RecordedBy))
                    .col(timestamp_with_time_zone(Lots::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Lots::Table, Lots::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Lots::Table, Lots::OriginVillageCode)
                            .to(Regions::Table, Regions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_lots_product")
                    .table(Lots::Table)
                    .col(Lots::ProductId)
                    .col(Lots::ProducedOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Lots::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
    TraceCode,
    ProductId,
    ProducerOrgId,
    ProducedOn,
    Quantity,
    OriginVillageCode,
    InspectionResult,
    InspectedOn,
    InspectionBody,
    InspectionReportNo,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
}
