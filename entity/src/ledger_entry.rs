use sea_orm::entity::prelude::*;

use crate::{
    buyer::BuyerKind, pairing::PairingKind, producer::ProducerKind, product::ProductCategory,
    region::PovertyStatus,
};

/// One line of the consumption-assistance ledger, never edited: a refund is a new negative entry.
/// Statuses are as they were on the day of the sale. Enumerations are stored (and hashed) by
/// their declared values ([`crate::api_name::ApiName`]), which are their GraphQL values.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub seq: i64,
    pub kind: LedgerEntryKind,
    pub refund_of: Option<Uuid>,
    /// Where the sale happened: an order placed here (at a fair or not), or a sale an outlet or
    /// a fair exhibitor reported and an officer accepted.
    pub channel: LedgerChannel,
    /// The order and line, for sales through orders (`None` for reported sales).
    pub order_id: Option<Uuid>,
    pub order_line_id: Option<Uuid>,
    /// The accepted report line, for reported sales.
    pub report_line_id: Option<Uuid>,
    pub outlet_id: Option<Uuid>,
    pub fair_id: Option<Uuid>,
    /// What the purchase was for, reported separately (以购代捐, 以买代帮…).
    pub purpose: Purpose,
    pub buyer_org_id: Uuid,
    pub buyer_kind: BuyerKind,
    /// The buyer's place on the day (the consumption side), and its chain: a buyer registered
    /// at a city has no county.
    pub buyer_region_code: String,
    pub buyer_province_code: String,
    pub buyer_city_code: Option<String>,
    pub buyer_county_code: Option<String>,
    pub producer_org_id: Uuid,
    /// `None` only on entries migrated after their producer was removed.
    pub producer_kind: Option<ProducerKind>,
    pub product_id: Uuid,
    pub product_name: String,
    pub category: ProductCategory,
    pub quantity: i64,
    pub amount_fen: i64,
    pub region_code: String,
    pub province_code: String,
    pub city_code: String,
    pub county_code: String,
    pub township_code: Option<String>,
    pub village_code: Option<String>,
    pub province_status: PovertyStatus,
    pub city_status: PovertyStatus,
    pub county_status: PovertyStatus,
    pub township_status: Option<PovertyStatus>,
    pub village_status: Option<PovertyStatus>,
    pub certified: bool,
    pub poor_households_linked: i32,
    pub paired: bool,
    /// The pairing the sale counts toward (set exactly when `paired`), and its kind.
    pub pairing_id: Option<Uuid>,
    pub pairing_kind: Option<PairingKind>,
    pub reporting_year: i32,
    pub occurred_on: Date,
    pub recorded_at: DateTimeUtc,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum LedgerEntryKind {
    #[sea_orm(string_value = "SALE")]
    Sale,
    #[sea_orm(string_value = "REFUND")]
    Refund,
}

/// Where a sale happened (seed 000's channels). A reported sale's buyer side is the organisation
/// answering for the outlet or the fair, and counts toward no unit's own target.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum LedgerChannel {
    /// An order placed on this platform outside a fair.
    #[sea_orm(string_value = "ORDER")]
    Order,
    /// A zone, counter, dedicated shop or online hall's reported sale (专区, 专柜, 专卖店, 电商扶贫馆).
    #[sea_orm(string_value = "OUTLET")]
    Outlet,
    /// At a fair (产销对接大会): an order placed at it, or an exhibitor's reported on-site sale.
    #[sea_orm(string_value = "FAIR")]
    Fair,
}

/// What a purchase was for, reported separately (DOMAIN.md).
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Purpose {
    /// 食堂采购
    #[sea_orm(string_value = "CANTEEN_SUPPLY")]
    CanteenSupply,
    /// 工会福利
    #[sea_orm(string_value = "UNION_WELFARE")]
    UnionWelfare,
    /// 以购代捐
    #[sea_orm(string_value = "PURCHASE_INSTEAD_OF_DONATION")]
    PurchaseInsteadOfDonation,
    /// 以买代帮
    #[sea_orm(string_value = "HELP_SELLING")]
    HelpSelling,
    /// 个人消费 (and sales to the public at outlets and fairs)
    #[sea_orm(string_value = "PERSONAL")]
    Personal,
    /// 转售 (a supermarket buying stock)
    #[sea_orm(string_value = "RESALE")]
    Resale,
}

impl Purpose {
    /// The purpose an order states when its buyer names none: what units of that kind buy for.
    /// Migration `m20261204_000014_ledger_channels` applies the same table to older orders.
    pub fn default_for(kind: BuyerKind) -> Self {
        match kind {
            BuyerKind::Agency
            | BuyerKind::StateEnterprise
            | BuyerKind::School
            | BuyerKind::Hospital
            | BuyerKind::ArmyUnit
            | BuyerKind::Canteen => Self::CanteenSupply,
            BuyerKind::Supermarket => Self::Resale,
            BuyerKind::PrivateEnterprise | BuyerKind::SocialOrganization => {
                Self::PurchaseInsteadOfDonation
            }
            BuyerKind::Individual => Self::Personal,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
