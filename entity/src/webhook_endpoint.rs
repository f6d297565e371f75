use sea_orm::entity::prelude::*;

/// An organisation's HTTP endpoint that receives signed notices of the event kinds it chose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The HMAC key deliveries are signed with, shown to the organisation once.
    pub secret: String,
    /// The event kinds' API names, comma-separated (`ORDER_CHANGED,UNSOLD_WARNING`).
    pub event_kinds: String,
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Where an endpoint stands.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[graphql(name = "WebhookEndpointStatus")]
pub enum EndpointStatus {
    /// Deliveries are sent.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Deliveries wait (new events are not recorded for it) until it is enabled again.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
