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
    pub order_id: Uuid,
    pub order_line_id: Uuid,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
