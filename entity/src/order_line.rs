use sea_orm::entity::prelude::*;

use crate::product::ProductCategory;

/// One product of an order, its price and description frozen when ordered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub product_name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub quantity: i64,
    /// Shipped so far, over all its shipments (never more than `quantity`).
    pub shipped_quantity: i64,
    /// What the buyer accepted at inspection (may be less than shipped), over the shipments
    /// received so far.
    pub accepted_quantity: Option<i64>,
    /// Refunded after receipt (never more than accepted).
    pub refunded_quantity: i64,
    /// The purchase drive (集中采购) the product was bought in, if one was running.
    pub purchase_drive_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
