use sea_orm::entity::prelude::*;

/// Paired assistance (对口帮扶, 定点帮扶, 东西部协作): a helping region or buyer organisation and a
/// helped county or village.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pairings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub helper_region_code: Option<String>,
    pub helper_org_id: Option<Uuid>,
    pub helped_region_code: String,
    pub kind: PairingKind,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PairingKind {
    /// 东西部协作
    #[sea_orm(string_value = "EAST_WEST")]
    EastWest,
    /// 定点帮扶
    #[sea_orm(string_value = "DESIGNATED")]
    Designated,
    /// 省内对口帮扶
    #[sea_orm(string_value = "IN_PROVINCE")]
    InProvince,
    /// 企业结对帮扶 (万企帮万村): an enterprise adopting a county or village.
    #[sea_orm(string_value = "ENTERPRISE_ADOPTION")]
    EnterpriseAdoption,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
