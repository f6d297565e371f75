use sea_orm::entity::prelude::*;

use crate::{
    buyer::BuyerKind,
    ledger_entry::{LedgerChannel, Purpose},
    product::ProductCategory,
    region::PovertyStatus,
};

/// A monthly rollup of ledger entries at the finest grain summaries group by.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    pub region_code: String,
    pub buyer_org_id: Uuid,
    pub buyer_kind: BuyerKind,
    /// The buyer's place on the day.
    pub buyer_region_code: String,
    pub producer_org_id: Uuid,
    /// The producer's kind by its API value (empty only for entries migrated without one).
    pub producer_kind: String,
    /// The origin county's poverty status on the day.
    pub origin_status: PovertyStatus,
    /// The pairing the sales count toward; the nil UUID for none (a unique key holds no NULL).
    pub pairing_id: Uuid,
    /// The pairing's kind by its API value, or empty for none.
    pub pairing_kind: String,
    pub category: ProductCategory,
    pub certified: bool,
    pub paired: bool,
    pub channel: LedgerChannel,
    pub purpose: Purpose,
    /// Reported sales (an outlet's or a fair's), which count toward no unit's own target.
    pub reported: bool,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
    /// The producer's linked poor households: the most declared on any entry of the row, so a
    /// summary counts each producer's households once.
    pub households_linked: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
