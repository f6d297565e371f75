use sea_orm::entity::prelude::*;

/// A payment the buyer recorded against an order, which the producer confirms (the money
/// arrived) or rejects (with a reason). Only confirmed payments reduce what is due.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub buyer_org_id: Uuid,
    pub amount_fen: i64,
    pub method: PaymentMethod,
    /// The bank's or the platform's reference of the transfer: claimed once per buyer.
    pub reference: String,
    pub paid_on: Date,
    pub status: PaymentStatus,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reject_reason: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PaymentMethod {
    /// 银行转账 (公务卡 and treasury transfers included)
    #[sea_orm(string_value = "BANK_TRANSFER")]
    BankTransfer,
    #[sea_orm(string_value = "ONLINE")]
    Online,
    #[sea_orm(string_value = "CHEQUE")]
    Cheque,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum PaymentStatus {
    /// Recorded by the buyer, awaiting the producer.
    #[sea_orm(string_value = "RECORDED")]
    Recorded,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
