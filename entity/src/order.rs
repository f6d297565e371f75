use sea_orm::entity::prelude::*;

/// An order from one buyer to one producer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub group_id: Uuid,
    pub buyer_org_id: Uuid,
    pub producer_org_id: Uuid,
    /// The directed procurement agreement it was ordered under, if any.
    pub agreement_id: Option<Uuid>,
    /// The fair it was placed at, if any: its sales count toward the fair.
    pub fair_id: Option<Uuid>,
    pub status: OrderStatus,
    pub payment_terms: PaymentTerms,
    /// What the purchase is for; its ledger entries carry it.
    pub purpose: crate::ledger_entry::Purpose,
    pub total_fen: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub invoice_no: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancel_reason: Option<String>,
    /// The buyer's rating of the producer, 1 to 5.
    pub rating: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rating_comment: Option<String>,
    /// When a pay-after-delivery order must be paid: 30 days after receipt (DOMAIN.md).
    pub due_on: Option<Date>,
    /// The one 15-day extension was granted.
    pub due_extended: bool,
    pub placed_by: Uuid,
    pub placed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderStatus {
    #[sea_orm(string_value = "PLACED")]
    Placed,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    /// Inspected and accepted by the buyer (验收).
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "SETTLED")]
    Settled,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum PaymentTerms {
    /// Paid before shipping (within 30 days on the national platform).
    #[sea_orm(string_value = "PAY_FIRST")]
    PayFirst,
    #[sea_orm(string_value = "PAY_AFTER_DELIVERY")]
    PayAfterDelivery,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
