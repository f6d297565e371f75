use sea_orm::entity::prelude::*;

/// A buyer's yearly declaration (832-style): its canteen food budget and the share reserved for
/// poor-area products, or how it is exempt or covered by another unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procurement_declarations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_org_id: Uuid,
    pub year: i32,
    pub canteen: CanteenArrangement,
    pub canteen_budget_fen: Option<i64>,
    /// Basis points: 1000 = 10%.
    pub reserved_share_bp: Option<i32>,
    pub target_fen: i64,
    pub shares_canteen_of: Option<Uuid>,
    pub contractor_org_id: Option<Uuid>,
    pub declared_by: Uuid,
    pub declared_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CanteenArrangement {
    /// Runs its own canteen: declares a budget and a reserved share.
    #[sea_orm(string_value = "OWN_CANTEEN")]
    OwnCanteen,
    /// Has no canteen: exempt.
    #[sea_orm(string_value = "NO_CANTEEN")]
    NoCanteen,
    /// Shares another unit's canteen, which declares for both.
    #[sea_orm(string_value = "SHARES_CANTEEN")]
    SharesCanteen,
    /// An outsourced contractor runs the canteen and buys on the unit's account.
    #[sea_orm(string_value = "OUTSOURCED")]
    Outsourced,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
