use sea_orm::entity::prelude::*;

/// One buyer unit of a closed report's ranking: its target for the year and what it had bought
/// by the period's end, as the ledger stood at closing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "closed_period_ranks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub closed_period_id: Uuid,
    pub buyer_org_id: Uuid,
    /// The unit's name at closing.
    pub unit_name: String,
    pub reserved_share_bp: Option<i32>,
    pub target_fen: i64,
    pub purchased_fen: i64,
    /// Basis points of the target reached (10000 = 100%).
    pub done_bp: i64,
    pub rank: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
