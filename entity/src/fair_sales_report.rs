use sea_orm::entity::prelude::*;

/// An exhibitor's report of its on-site sales at a fair; accepted, its lines enter the ledger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fair_sales_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fair_id: Uuid,
    pub producer_org_id: Uuid,
    pub status: SalesReportStatus,
    /// The lines' sums, kept with the report.
    pub amount_fen: i64,
    pub quantity: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub reported_by: Uuid,
    pub reported_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SalesReportStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// In the ledger.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
