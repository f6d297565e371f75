use sea_orm::entity::prelude::*;

/// A red warning (红色预警): a buyer unit with a target, or a region with an allocated task,
/// behind its pro-rata pace by more than the configured margin. At most one is open per subject
/// and year; the periodic check updates its figures and closes it once the subject catches up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "red_warnings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: WarningSubject,
    /// `B:<buyer uuid>` or `R:<region code>`: what the one-open-warning index keys.
    pub subject_key: String,
    pub buyer_id: Option<Uuid>,
    /// The region warned, or the buyer unit's location.
    pub region_code: String,
    pub year: i32,
    pub target_fen: i64,
    pub pace_fen: i64,
    pub bought_fen: i64,
    pub shortfall_fen: i64,
    pub margin_bp: i32,
    pub status: RedWarningStatus,
    pub opened_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum WarningSubject {
    #[sea_orm(string_value = "BUYER")]
    Buyer,
    #[sea_orm(string_value = "REGION")]
    Region,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RedWarningStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
