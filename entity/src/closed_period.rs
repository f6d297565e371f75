use sea_orm::entity::prelude::*;

/// A region's report for a period, frozen at closing: the ledger tip it was computed at, the
/// grand total (its rows by dimension are `closed_period_total`, its ranking
/// `closed_period_rank`), who closed it and the signature over all of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "closed_periods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_code: String,
    /// `2026-06`, `2026-H1` or `2026`.
    pub period: String,
    pub kind: PeriodKind,
    pub first_day: Date,
    pub last_day: Date,
    pub tip_seq: i64,
    pub tip_hash: String,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
    pub closed_by: Uuid,
    pub closed_at: DateTimeUtc,
    /// SHA-256 (hex) of the report's canonical bytes (`reporting::periods::signed_bytes`).
    pub signature: String,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PeriodKind {
    /// 月 (月通报)
    #[sea_orm(string_value = "MONTH")]
    Month,
    /// 半年 (H1 January–June, H2 July–December)
    #[sea_orm(string_value = "HALF_YEAR")]
    HalfYear,
    /// 年
    #[sea_orm(string_value = "YEAR")]
    Year,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
