use sea_orm::entity::prelude::*;

/// A producer organisation's registry entry (经营主体): kind, place, licence, benefit linkage,
/// verification and credit standing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "producers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub kind: ProducerKind,
    pub region_code: String,
    pub licence_no: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    /// Comma-separated `LinkageMode` names.
    pub linkage_modes: String,
    pub poor_households_linked: i32,
    pub profit_share_percent: i32,
    pub verification_status: VerificationStatus,
    pub verified_by: Option<Uuid>,
    pub verified_at: Option<DateTimeUtc>,
    pub credit_status: CreditStatus,
    pub credit_reason: Option<String>,
    /// The track record's tallies (`org::reputation`), kept with the orders that move them.
    pub rating_sum: i64,
    pub rating_count: i64,
    /// Orders shipped, and of those the ones whose first shipment left on time.
    pub shipped_orders: i64,
    pub shipped_on_time: i64,
    /// Orders received, and of those the ones with an after-sales request escalated.
    pub received_orders: i64,
    pub disputed_orders: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// Verified and in good standing: its products may be listed, certified and ordered.
    pub fn in_good_standing(&self) -> bool {
        self.verification_status == VerificationStatus::Verified
            && self.credit_status == CreditStatus::Good
    }
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
pub enum ProducerKind {
    /// 龙头企业
    #[sea_orm(string_value = "LEADING_ENTERPRISE")]
    LeadingEnterprise,
    /// 合作社
    #[sea_orm(string_value = "COOPERATIVE")]
    Cooperative,
    /// 家庭农场
    #[sea_orm(string_value = "FAMILY_FARM")]
    FamilyFarm,
    /// 扶贫车间
    #[sea_orm(string_value = "POVERTY_WORKSHOP")]
    PovertyWorkshop,
    /// 村集体
    #[sea_orm(string_value = "VILLAGE_COLLECTIVE")]
    VillageCollective,
    /// 贫困户 selling directly
    #[sea_orm(string_value = "HOUSEHOLD")]
    Household,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VerificationStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "VERIFIED")]
    Verified,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CreditStatus {
    #[sea_orm(string_value = "GOOD")]
    Good,
    /// Listed as abnormal or dishonest (经营异常名录, 失信): out of the catalogue.
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// How a producer lifts registered poor households (利益联结).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum LinkageMode {
    /// Employment: wage income.
    Wage,
    /// Equity, dividends, rent: asset income.
    AssetIncome,
    /// Order purchasing from households: business income.
    BusinessIncome,
}

impl LinkageMode {
    pub const ALL: [LinkageMode; 3] = [Self::Wage, Self::AssetIncome, Self::BusinessIncome];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wage => "WAGE",
            Self::AssetIncome => "ASSET_INCOME",
            Self::BusinessIncome => "BUSINESS_INCOME",
        }
    }

    pub fn parse_list(stored: &str) -> Vec<LinkageMode> {
        Self::ALL
            .into_iter()
            .filter(|m| stored.split(',').any(|s| s == m.as_str()))
            .collect()
    }

    pub fn format_list(modes: &[LinkageMode]) -> String {
        Self::ALL
            .into_iter()
            .filter(|m| modes.contains(m))
            .map(Self::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
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
