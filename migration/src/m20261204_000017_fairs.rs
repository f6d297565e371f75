//! Fairs (产销对接大会, issue 16): an officer's fair with its dates, venue, organiser (a buyer
//! organisation that answers for on-site sales) and target; producers registered as exhibitors
//! and reviewed; exhibitors' reports of on-site sales with their lines; and the fair an order was
//! placed at (`orders.fair_id`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn one_of<T: IntoIden + 'static>(column: T, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(ToString::to_string))
}

const REVIEW: [&str; 3] = ["PENDING", "APPROVED", "REJECTED"];
const REPORT: [&str; 3] = ["PENDING", "ACCEPTED", "REJECTED"];

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
            .create_table(
                Table::create()
                    .table(Fairs::Table)
                    .col(pk_uuid(Fairs::Id))
                    .col(string_len(Fairs::Name, 100))
                    .col(string_len(Fairs::VenueRegionCode, 12))
                    .col(date(Fairs::StartsOn))
                    .col(date(Fairs::EndsOn))
                    .col(uuid(Fairs::OrganiserOrgId))
                    .col(
                        big_integer_null(Fairs::TargetFen)
                            .check(Expr::col(Fairs::TargetFen).gte(0)),
                    )
                    .col(uuid(Fairs::CreatedBy))
                    .col(timestamp_with_time_zone(Fairs::CreatedAt))
                    .check(Expr::col(Fairs::EndsOn).gte(Expr::col(Fairs::StartsOn)))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_fairs_venue",
            Fairs::Table,
            vec![Fairs::VenueRegionCode.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FairExhibitors::Table)
                    .col(uuid(FairExhibitors::FairId))
                    .col(uuid(FairExhibitors::ProducerOrgId))
                    .col(
                        string_len(FairExhibitors::Status, 16)
                            .check(one_of(FairExhibitors::Status, &REVIEW)),
                    )
                    .col(text_null(FairExhibitors::Reason))
                    .col(uuid(FairExhibitors::RegisteredBy))
                    .col(timestamp_with_time_zone(FairExhibitors::RegisteredAt))
                    .col(uuid_null(FairExhibitors::ReviewedBy))
                    .col(timestamp_with_time_zone_null(FairExhibitors::ReviewedAt))
                    .primary_key(
                        Index::create()
                            .col(FairExhibitors::FairId)
                            .col(FairExhibitors::ProducerOrgId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FairSalesReports::Table)
                    .col(pk_uuid(FairSalesReports::Id))
                    .col(uuid(FairSalesReports::FairId))
                    .col(uuid(FairSalesReports::ProducerOrgId))
                    .col(
                        string_len(FairSalesReports::Status, 16)
                            .check(one_of(FairSalesReports::Status, &REPORT)),
                    )
                    .col(big_integer(FairSalesReports::AmountFen))
                    .col(big_integer(FairSalesReports::Quantity))
                    .col(text_null(FairSalesReports::Reason))
                    .col(uuid(FairSalesReports::ReportedBy))
                    .col(timestamp_with_time_zone(FairSalesReports::ReportedAt))
                    .col(uuid_null(FairSalesReports::ReviewedBy))
                    .col(timestamp_with_time_zone_null(FairSalesReports::ReviewedAt))
                    .to_owned(),
            )
            .await?;
        // One live report per exhibitor and fair: a rejected one may be reported again.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_fair_sales_reports_live ON fair_sales_reports \
                 (fair_id, producer_org_id) WHERE status <> 'REJECTED'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FairSalesLines::Table)
                    .col(pk_uuid(FairSalesLines::Id))
                    .col(uuid(FairSalesLines::ReportId))
                    .col(uuid(FairSalesLines::ProductId))
                    .col(
                        big_integer(FairSalesLines::Quantity)
                            .check(Expr::col(FairSalesLines::Quantity).gt(0)),
                    )
                    .col(
                        big_integer(FairSalesLines::AmountFen)
                            .check(Expr::col(FairSalesLines::AmountFen).gt(0)),
                    )
                    .col(date(FairSalesLines::SoldOn))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_fair_sales_lines_report",
            FairSalesLines::Table,
            vec![FairSalesLines::ReportId.into_iden()],
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(uuid_null(Orders::FairId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_orders_fair",
            Orders::Table,
            vec![Orders::FairId.into_iden()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_fair")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::FairId)
                    .to_owned(),
            )
            .await?;
        for table in [
            FairSalesLines::Table.into_iden(),
            FairSalesReports::Table.into_iden(),
            FairExhibitors::Table.into_iden(),
            Fairs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Fairs {
    Table,
    Id,
    Name,
    VenueRegionCode,
    StartsOn,
    EndsOn,
    OrganiserOrgId,
    TargetFen,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FairExhibitors {
    Table,
    FairId,
    ProducerOrgId,
    Status,
    Reason,
    RegisteredBy,
    RegisteredAt,
    ReviewedBy,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum FairSalesReports {
    Table,
    Id,
    FairId,
    ProducerOrgId,
    Status,
    AmountFen,
    Quantity,
    Reason,
    ReportedBy,
    ReportedAt,
    ReviewedBy,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum FairSalesLines {
    Table,
    Id,
    ReportId,
    ProductId,
    Quantity,
    AmountFen,
    SoldOn,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    FairId,
}
