use sea_orm::entity::prelude::*;

use crate::product::ProductCategory;

/// A need a buyer unit posts (供需对接, "需什么种什么"): what, how much, how often, where and
/// when, at most at what price. Producers quote against it; accepted quotes fill it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_org_id: Uuid,
    /// The buyer's place when it posted: pairings are judged by it without a join.
    pub buyer_region_code: String,
    pub category: ProductCategory,
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    /// The whole quantity wanted over the period, in `unit`.
    pub quantity: i64,
    pub unit: String,
    pub rhythm: DemandRhythm,
    /// Where to deliver (a division code).
    pub region_code: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub price_ceiling_fen: Option<i64>,
    pub certified_only: bool,
    /// Stored status; an `OPEN` need past its period reads as expired.
    pub status: DemandStatus,
    /// Sum of the quantities of accepted quotes.
    pub accepted_quantity: i64,
    pub posted_by: Uuid,
    pub posted_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

impl Model {
    /// Open today: not filled, not closed, and its period not over.
    pub fn open_on(&self, day: Date) -> bool {
        self.status == DemandStatus::Open && day <= self.ends_on
    }
}

/// How often deliveries are wanted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DemandRhythm {
    #[sea_orm(string_value = "ONCE")]
    Once,
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
}

/// What is stored; `EXPIRED` is computed on read (see the API's `DemandState`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DemandStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Accepted quotes reached the quantity.
    #[sea_orm(string_value = "FILLED")]
    Filled,
    /// Closed by the buyer.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
