use sea_orm::entity::prelude::*;

/// Who did what to which thing, and when: written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_roles: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub ip: Option<String>,
    pub created_at: DateTimeUtc,
    /// The region the event concerns (see `audit::region_of`); NULL: nationwide staff only.
    pub region_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
