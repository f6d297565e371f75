use sea_orm::entity::prelude::*;

/// A producer's registration as an exhibitor of a fair, and the organising officer's review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fair_exhibitors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fair_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub producer_org_id: Uuid,
    pub status: ExhibitorStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub registered_by: Uuid,
    pub registered_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ExhibitorStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// May sell at the fair: orders to it may name the fair, and it may report on-site sales.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
