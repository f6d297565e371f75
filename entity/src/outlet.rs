use sea_orm::entity::prelude::*;

/// A place off the platform where certified products are sold (seed 000's channels): a zone in
/// a supermarket, a counter, a dedicated shop or an online hall. Its operator, a buyer
/// organisation, answers for the sales it reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outlets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub operator_org_id: Uuid,
    pub kind: OutletKind,
    pub name: String,
    pub region_code: String,
    pub opens_on: Date,
    pub closes_on: Option<Date>,
    pub status: OutletStatus,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutletKind {
    /// 扶贫产品专门销售区域 / 消费扶贫专区 in a supermarket
    #[sea_orm(string_value = "ZONE")]
    Zone,
    /// 专柜
    #[sea_orm(string_value = "COUNTER")]
    Counter,
    /// 专卖店
    #[sea_orm(string_value = "DEDICATED_SHOP")]
    DedicatedShop,
    /// 电商扶贫馆 / 扶贫频道
    #[sea_orm(string_value = "ONLINE_HALL")]
    OnlineHall,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutletStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
