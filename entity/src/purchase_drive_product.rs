use sea_orm::entity::prelude::*;

/// A product a purchase drive lists, and the warning that put it there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_drive_products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub drive_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    pub alert_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
