use sea_orm::entity::prelude::*;

/// A buyer's after-sales request (售后): goods back and money back, or money back only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: ReturnKind,
    pub status: ReturnStatus,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub requested_by: Uuid,
    pub requested_at: DateTimeUtc,
    /// The producer's reason (required when it rejects).
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_reason: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub escalation_reason: Option<String>,
    pub escalated_at: Option<DateTimeUtc>,
    /// The county officer who decided an escalated request.
    pub decided_by: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// When the producer confirmed returned goods arrived (and went back into stock).
    pub goods_arrived_at: Option<DateTimeUtc>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReturnKind {
    /// 退货退款: the goods go back, the money too.
    #[sea_orm(string_value = "RETURN")]
    Return,
    /// 仅退款: the money back, the goods stay (spoilt, short).
    #[sea_orm(string_value = "REFUND_ONLY")]
    RefundOnly,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReturnStatus {
    /// Waiting for the producer.
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    /// The producer accepted: refunded.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// The producer rejected it, with a reason; the buyer may escalate once.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Waiting for the county officer.
    #[sea_orm(string_value = "ESCALATED")]
    Escalated,
    /// The officer decided for the buyer: refunded.
    #[sea_orm(string_value = "UPHELD")]
    Upheld,
    /// The officer decided for the producer.
    #[sea_orm(string_value = "DISMISSED")]
    Dismissed,
}

impl ReturnStatus {
    /// Still holds its quantities against what the lines may be asked for.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Requested | Self::Rejected | Self::Escalated)
    }

    /// Ended with the money back.
    pub fn refunded(self) -> bool {
        matches!(self, Self::Accepted | Self::Upheld)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
