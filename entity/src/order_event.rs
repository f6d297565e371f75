use sea_orm::entity::prelude::*;

use crate::order::OrderStatus;

/// One transition of an order: who moved it from what to what, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub actor_id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
