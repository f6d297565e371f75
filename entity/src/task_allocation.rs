use sea_orm::entity::prelude::*;

/// A yearly task (任务分解) a region hands down to a region below it or to a buyer unit located
/// in its subtree. Exactly one recipient is set; allocating again to the same recipient for the
/// same year replaces the amount.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_allocations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub year: i32,
    /// The allocating region.
    pub region_code: String,
    pub to_region_code: Option<String>,
    pub to_buyer_id: Option<Uuid>,
    pub amount_fen: i64,
    pub allocated_by: Uuid,
    pub allocated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
