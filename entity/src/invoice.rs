use sea_orm::entity::prelude::*;

/// An invoice the producer issued for an order (发票), checked against what was accepted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub producer_org_id: Uuid,
    /// The invoice's number, once per producer.
    pub number: String,
    pub kind: InvoiceKind,
    pub amount_fen: i64,
    pub issued_on: Date,
    pub issued_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceKind {
    /// 增值税普通发票.
    #[sea_orm(string_value = "ORDINARY")]
    Ordinary,
    /// 增值税专用发票.
    #[sea_orm(string_value = "SPECIAL")]
    Special,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
