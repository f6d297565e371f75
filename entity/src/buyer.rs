use sea_orm::entity::prelude::*;

/// A buying unit's registry entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "buyers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub kind: BuyerKind,
    pub region_code: String,
    pub parent_org_id: Option<Uuid>,
    pub contact_name: String,
    pub contact_phone: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum BuyerKind {
    /// 党政机关
    #[sea_orm(string_value = "AGENCY")]
    Agency,
    /// 国有企事业单位
    #[sea_orm(string_value = "STATE_ENTERPRISE")]
    StateEnterprise,
    #[sea_orm(string_value = "SCHOOL")]
    School,
    #[sea_orm(string_value = "HOSPITAL")]
    Hospital,
    #[sea_orm(string_value = "ARMY_UNIT")]
    ArmyUnit,
    /// 食堂 (including an outsourced canteen contractor)
    #[sea_orm(string_value = "CANTEEN")]
    Canteen,
    #[sea_orm(string_value = "SUPERMARKET")]
    Supermarket,
    #[sea_orm(string_value = "PRIVATE_ENTERPRISE")]
    PrivateEnterprise,
    #[sea_orm(string_value = "SOCIAL_ORGANIZATION")]
    SocialOrganization,
    #[sea_orm(string_value = "INDIVIDUAL")]
    Individual,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
