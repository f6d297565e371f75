use sea_orm::entity::prelude::*;

use crate::{buyer::BuyerKind, product::ProductCategory};

/// A monthly rollup of ledger entries at the finest grain summaries group by.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    pub region_code: String,
    pub buyer_org_id: Uuid,
    pub buyer_kind: BuyerKind,
    pub producer_org_id: Uuid,
    pub category: ProductCategory,
    pub certified: bool,
    pub paired: bool,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
