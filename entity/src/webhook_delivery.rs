use sea_orm::entity::prelude::*;

/// One event for one endpoint: written in the transaction that made the event (the outbox), then
/// sent, retried and logged by the dispatcher.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// The same for every endpoint told of one event, and on every attempt: receivers dedupe on it.
    pub event_id: Uuid,
    /// The event kind's API name.
    pub kind: String,
    /// Deliveries with the same key reach an endpoint in the order they were made (an order's
    /// ID); empty for none.
    pub ordering_key: String,
    /// The JSON body sent, fixed when the event happened.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    /// After this, a failure is final (`FAILED`) and the endpoint is disabled.
    pub give_up_at: DateTimeUtc,
    /// An instance sending it holds it until then.
    pub lease_until: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
}

/// Where a delivery stands.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[graphql(name = "WebhookDeliveryStatus")]
pub enum DeliveryStatus {
    /// Not delivered yet: due at `nextAttemptAt`.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Retried until `giveUpAt` without a 2xx answer (`redeliverWebhook` sends it again).
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhook_endpoint::Entity",
        from = "Column::EndpointId",
        to = "super::webhook_endpoint::Column::Id"
    )]
    Endpoint,
}

impl Related<super::webhook_endpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endpoint.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
