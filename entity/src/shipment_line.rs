use sea_orm::entity::prelude::*;

/// How much of one order line a shipment carries, and how much of it the buyer accepted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shipment_id: Uuid,
    pub order_line_id: Uuid,
    pub quantity: i64,
    /// The lot the goods come from, when the producer named it.
    pub lot_id: Option<Uuid>,
    /// Set when the shipment is received (0 to `quantity`); the rest was rejected.
    pub accepted_quantity: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
