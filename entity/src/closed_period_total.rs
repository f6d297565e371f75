use sea_orm::entity::prelude::*;

/// One row of a closed report's totals: a dimension's key and what the period's entries in the
/// region add up to for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "closed_period_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub closed_period_id: Uuid,
    /// A `PeriodDimension` API value (`ORIGIN_COUNTY`, `BUYER_KIND`, `CATEGORY`, `MONTH`).
    pub dimension: String,
    pub key: String,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
