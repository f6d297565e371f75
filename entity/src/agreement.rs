use sea_orm::entity::prelude::*;

/// A directed procurement agreement (定向采购协议, 农超对接): a buyer and a producer agree a
/// product, price, volume and period; orders under it use its price and count toward it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_org_id: Uuid,
    pub producer_org_id: Uuid,
    pub product_id: Uuid,
    pub price_fen: i64,
    pub total_quantity: i64,
    pub ordered_quantity: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Delivery rhythm, e.g. "每周一、四配送".
    pub rhythm: String,
    pub status: AgreementStatus,
    pub proposed_by: Uuid,
    pub proposed_at: DateTimeUtc,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub terminate_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AgreementStatus {
    /// Proposed by the buyer, awaiting the producer.
    #[sea_orm(string_value = "PROPOSED")]
    Proposed,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "TERMINATED")]
    Terminated,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
