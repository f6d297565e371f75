use sea_orm::entity::prelude::*;

/// A platform role given to a user, scoped to a region subtree (empty code = nationwide).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: PlatformRole,
    pub region_code: String,
    pub granted_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PlatformRole {
    /// The poverty alleviation office (扶贫办): manages regions, pairings and users.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// County or city office staff, scoped to a region and everything below it.
    #[sea_orm(string_value = "OFFICER")]
    Officer,
    /// Discipline, audit and statistics staff: read-only.
    #[sea_orm(string_value = "AUDITOR")]
    Auditor,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
