use sea_orm::entity::prelude::*;

/// A producer's answer to a need: one of its products, a price per unit, a quantity and a
/// delivery window. The buyer accepts it (as an order or an agreement) or declines it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub demand_id: Uuid,
    pub producer_org_id: Uuid,
    pub product_id: Uuid,
    pub price_fen: i64,
    pub quantity: i64,
    pub delivery_from: Date,
    pub delivery_to: Date,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub status: QuoteStatus,
    pub accepted_as: Option<QuoteAcceptance>,
    pub agreement_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_reason: Option<String>,
    pub quoted_by: Uuid,
    pub quoted_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum QuoteStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// What an accepted quote became.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum QuoteAcceptance {
    /// An order at the quoted price (under a one-off agreement that carries the price).
    #[sea_orm(string_value = "ORDER")]
    Order,
    /// A directed procurement agreement over the delivery window.
    #[sea_orm(string_value = "AGREEMENT")]
    Agreement,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
