use sea_orm::entity::prelude::*;

/// An outlet's sales report for a month, or a correction reducing an accepted one; an officer
/// accepts it into the ledger or rejects it with a reason.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outlet_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub outlet_id: Uuid,
    /// `YYYY-MM`.
    pub period: String,
    pub kind: OutletReportKind,
    /// The accepted sales report a correction reduces.
    pub corrects_report_id: Option<Uuid>,
    pub status: OutletReportStatus,
    pub source: ReportSource,
    pub review_reason: Option<String>,
    pub submitted_by: Uuid,
    pub submitted_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutletReportKind {
    #[sea_orm(string_value = "SALES")]
    Sales,
    #[sea_orm(string_value = "CORRECTION")]
    Correction,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutletReportStatus {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// How the report's lines came in.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum ReportSource {
    #[sea_orm(string_value = "FORM")]
    Form,
    #[sea_orm(string_value = "CSV")]
    Csv,
    #[sea_orm(string_value = "XLSX")]
    Xlsx,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
