use sea_orm::entity::prelude::*;

use crate::buyer::BuyerKind;

/// A monthly rollup of ledger entries by county, buyer kind, certified and paired: what
/// summaries read when they need no finer grain.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_county_tallies")]
pub struct Model {
    /// `YYYY-MM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub county_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer_kind: BuyerKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub certified: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub paired: bool,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
