use sea_orm::entity::prelude::*;

use crate::{buyer::BuyerKind, region::PovertyStatus};

/// A monthly rollup of ledger entries by both sides' counties (origin and buyer), buyer kind,
/// certified, paired, pairing and its kind, and origin status: what summaries read when they need no
/// finer grain.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_county_tallies")]
pub struct Model {
    /// `YYYY-MM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub county_code: String,
    /// The buyer's county on the day, or its place when registered above a county.
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer_area_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer_kind: BuyerKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub certified: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub paired: bool,
    /// The pairing the sales count toward; the nil UUID for none (a key holds no NULL).
    #[sea_orm(primary_key, auto_increment = false)]
    pub pairing_id: Uuid,
    /// The pairing's kind by its API value, or empty for none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub pairing_kind: String,
    /// The origin county's poverty status on the day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub origin_status: PovertyStatus,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
