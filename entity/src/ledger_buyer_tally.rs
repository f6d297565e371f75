use sea_orm::entity::prelude::*;

/// A monthly rollup of ledger entries by buying unit and its place on the day: what rankings
/// and allocations read (a year of 5,000 units is 60,000 rows at most).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_buyer_tallies")]
pub struct Model {
    /// `YYYY-MM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer_org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer_region_code: String,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
