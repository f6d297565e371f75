//! Outlets (扶贫产品专区, 专柜, 专卖店, 电商扶贫馆) run by buyer organisations, and their monthly
//! sales reports, which an officer accepts into the ledger. At most one sales report per outlet
//! and month is live (not rejected): a partial unique index, the same text on both engines.

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
                    .table(Outlets::Table)
                    .col(pk_uuid(Outlets::Id))
                    .col(uuid(Outlets::OperatorOrgId))
                    .col(string_len(Outlets::Kind, 16).check(one_of(
                        Outlets::Kind,
                        &["ZONE", "COUNTER", "DEDICATED_SHOP", "ONLINE_HALL"],
                    )))
                    .col(string_len(Outlets::Name, 100))
                    .col(string_len(Outlets::RegionCode, 12))
                    .col(date(Outlets::OpensOn))
                    .col(date_null(Outlets::ClosesOn))
                    .col(string_len(Outlets::Status, 16).check(one_of(
                        Outlets::Status,
                        &["PENDING", "APPROVED", "REJECTED"],
                    )))
                    .col(string_len_null(Outlets::ReviewReason, 500))
                    .col(uuid_null(Outlets::ReviewedBy))
                    .col(timestamp_with_time_zone_null(Outlets::ReviewedAt))
                    .col(uuid(Outlets::CreatedBy))
                    .col(timestamp_with_time_zone(Outlets::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_outlets_operator", Outlets::OperatorOrgId),
            ("ix_outlets_region", Outlets::RegionCode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Outlets::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OutletReports::Table)
                    .col(pk_uuid(OutletReports::Id))
                    .col(uuid(OutletReports::OutletId))
                    .col(string_len(OutletReports::Period, 7))
                    .col(
                        string_len(OutletReports::Kind, 16)
                            .check(one_of(OutletReports::Kind, &["SALES", "CORRECTION"])),
                    )
                    .col(uuid_null(OutletReports::CorrectsReportId))
                    .col(string_len(OutletReports::Status, 16).check(one_of(
                        OutletReports::Status,
                        &["SUBMITTED", "ACCEPTED", "REJECTED"],
                    )))
                    .col(
                        string_len(OutletReports::Source, 8)
                            .check(one_of(OutletReports::Source, &["FORM", "CSV", "XLSX"])),
                    )
                    .col(string_len_null(OutletReports::ReviewReason, 500))
                    .col(uuid(OutletReports::SubmittedBy))
                    .col(timestamp_with_time_zone(OutletReports::SubmittedAt))
                    .col(uuid_null(OutletReports::ReviewedBy))
                    .col(timestamp_with_time_zone_null(OutletReports::ReviewedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outlet_reports_outlet")
                    .table(OutletReports::Table)
                    .col(OutletReports::OutletId)
                    .col(OutletReports::Period)
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_outlet_reports_live_period ON outlet_reports (outlet_id, period) \
             WHERE kind = 'SALES' AND status <> 'REJECTED'",
        )
        .await?;
        // One correction under review per report at a time.
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_outlet_reports_open_correction ON outlet_reports (corrects_report_id) \
             WHERE kind = 'CORRECTION' AND status = 'SUBMITTED'",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutletReportLines::Table)
                    .col(pk_uuid(OutletReportLines::Id))
                    .col(uuid(OutletReportLines::ReportId))
                    .col(integer(OutletReportLines::RowNo))
                    .col(uuid(OutletReportLines::ProductId))
                    .col(uuid(OutletReportLines::ProducerOrgId))
                    .col(
                        big_integer(OutletReportLines::Quantity)
                            .check(Expr::col(OutletReportLines::Quantity).gte(0)),
                    )
                    .col(
                        big_integer(OutletReportLines::AmountFen)
                            .check(Expr::col(OutletReportLines::AmountFen).gte(0)),
                    )
                    .col(date(OutletReportLines::SoldOn))
                    .col(boolean(OutletReportLines::Certified))
                    .col(uuid_null(OutletReportLines::CorrectsLineId))
                    .col(big_integer(OutletReportLines::AlreadyCountedQuantity))
                    .col(big_integer(OutletReportLines::CountedQuantity))
                    .col(big_integer(OutletReportLines::CountedAmountFen))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_outlet_report_lines_report", OutletReportLines::ReportId),
            (
                "ix_outlet_report_lines_product",
                OutletReportLines::ProductId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OutletReportLines::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutletReportLines::Table.into_iden(),
            OutletReports::Table.into_iden(),
            Outlets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Outlets {
    Table,
    Id,
    OperatorOrgId,
    Kind,
    Name,
    RegionCode,
    OpensOn,
    ClosesOn,
    Status,
    ReviewReason,
    ReviewedBy,
    ReviewedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutletReports {
    Table,
    Id,
    OutletId,
    Period,
    Kind,
    CorrectsReportId,
    Status,
    Source,
    ReviewReason,
    SubmittedBy,
    SubmittedAt,
    ReviewedBy,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum OutletReportLines {
    Table,
    Id,
    ReportId,
    RowNo,
    ProductId,
    ProducerOrgId,
    Quantity,
    AmountFen,
    SoldOn,
    Certified,
    CorrectsLineId,
    AlreadyCountedQuantity,
    CountedQuantity,
    CountedAmountFen,
}
