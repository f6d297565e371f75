use sea_orm::entity::prelude::*;

/// An unsold-produce warning (滞销预警): a product flagged by the scan or reported by its producer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unsold_alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    /// The producer's village, copied so scopes filter on one table.
    pub region_code: String,
    pub kind: UnsoldKind,
    pub status: UnsoldStatus,
    /// Stock when flagged.
    pub stock: i64,
    /// The surplus a producer reported.
    pub reported_quantity: Option<i64>,
    /// Until when a reported surplus lasts.
    pub until: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub last_ordered_at: Option<DateTimeUtc>,
    pub reported_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnsoldKind {
    /// In stock and not ordered for the configured number of days.
    #[sea_orm(string_value = "NO_SALES")]
    NoSales,
    /// Reported by the producer.
    #[sea_orm(string_value = "REPORTED")]
    Reported,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnsoldStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Ordered again, or sold out.
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// A reported surplus whose date has passed.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
